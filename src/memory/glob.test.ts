import { describe, expect, it } from 'vitest'
import { compileGlob, compileGlobs } from './glob.js'
import { Memory } from './memory.js'

const matches = (glob: string, keys: string[]) => keys.filter(compileGlob(glob))

describe('compileGlob', () => {
  it('refuses what is not a glob, by name', () => {
    expect(() => compileGlob(5 as never)).toThrow(
      'compileGlob: expected a glob such as "notes/*", got number',
    )
  })

  it('matches a literal key exactly', () => {
    expect(
      matches('notes/lisbon', ['notes/lisbon', 'notes/lisbon/x', 'notes/lisbo', 'xnotes/lisbon']),
    ).toEqual(['notes/lisbon'])
  })

  it('lets "*" match within one segment only', () => {
    expect(matches('notes/*', ['notes/a', 'notes/abc', 'notes/a/b', 'notes', 'other/a', 'notesa'])).toEqual([
      'notes/a',
      'notes/abc',
    ])
    expect(matches('*/summary', ['a/summary', 'b/summary', 'a/b/summary', 'summary'])).toEqual([
      'a/summary',
      'b/summary',
    ])
    expect(matches('notes/a*', ['notes/a', 'notes/abc', 'notes/b', 'notes/a/c'])).toEqual([
      'notes/a',
      'notes/abc',
    ])
  })

  it('lets "**" match any number of segments', () => {
    expect(matches('notes/**', ['notes/a', 'notes/a/b', 'notes/a/b/c', 'other/a', 'notesx/a'])).toEqual([
      'notes/a',
      'notes/a/b',
      'notes/a/b/c',
    ])
    expect(matches('agents/**/summary', ['agents/r/summary', 'agents/r/0/summary', 'agents/r/0/x'])).toEqual([
      'agents/r/summary',
      'agents/r/0/summary',
    ])
  })

  it('lets "**" between segments match zero segments too', () => {
    // "any number of segments" includes none: a/**/z covers a/z, as in gitignore-style globs.
    expect(compileGlob('agents/**/summary')('agents/summary')).toBe(true)
    expect(compileGlob('**/summary')('summary')).toBe(true)
  })

  it('matches everything with "**" alone', () => {
    const all = compileGlob('**')
    for (const key of ['a', 'a/b', 'a/b/c', 'x.y:z@1']) expect(all(key)).toBe(true)
  })

  it('treats regular-expression characters in a glob literally', () => {
    expect(matches('v1.0/notes', ['v1.0/notes', 'v1x0/notes'])).toEqual(['v1.0/notes'])
    expect(matches('a+b/*', ['a+b/c', 'aab/c', 'aaab/c'])).toEqual(['a+b/c'])
    expect(matches('(x)/*', ['(x)/y', 'x/y'])).toEqual(['(x)/y'])
  })
})

describe('compileGlobs', () => {
  it('matches a key any of the globs matches', () => {
    const match = compileGlobs(['notes/*', 'drafts/**'])
    expect(['notes/a', 'drafts/a/b', 'notes/a/b', 'final/x'].filter(match)).toEqual(['notes/a', 'drafts/a/b'])
  })

  it('matches nothing for an empty list', () => {
    const match = compileGlobs([])
    expect(['a', 'a/b', 'notes/x'].some(match)).toBe(false)
  })
})

describe('Memory scoped views', () => {
  it('refuses reads and writes outside the globs with a MEMORY_SCOPE error and stores nothing', () => {
    let now = 5
    const memory = new Memory(() => now)
    const writes: string[] = []
    const view = memory.scoped(
      { read: ['notes/*'], write: ['notes/*'] },
      'root/1/agent:a#0',
      () => 'root/1/agent:a#0/2/tool/c1',
      (entry) => writes.push(entry.key),
    )
    expect(() => view.write('secret/x', 1)).toThrow(expect.objectContaining({ code: 'MEMORY_SCOPE' }))
    expect(() => view.write('notes/a/b', 1)).toThrow(expect.objectContaining({ code: 'MEMORY_SCOPE' }))
    expect(memory.size).toBe(0)
    now = 42
    view.write('notes/a', 'ok')
    expect(writes).toEqual(['notes/a'])
    expect(memory.get('notes/a')).toEqual({
      key: 'notes/a',
      value: 'ok',
      by: 'root/1/agent:a#0',
      step: 'root/1/agent:a#0/2/tool/c1',
      at: 42,
    })
    memory.set('secret/x', 'hidden', 'root', 'root/1/tool/c0')
    expect(() => view.read('secret/x')).toThrow(expect.objectContaining({ code: 'MEMORY_SCOPE' }))
    expect(() => view.entry('secret/x')).toThrow(expect.objectContaining({ code: 'MEMORY_SCOPE' }))
    expect(view.read('notes/a')).toBe('ok')
    expect(view.list().map((e) => e.key)).toEqual(['notes/a'])
    expect(memory.list().map((e) => e.key)).toEqual(['notes/a', 'secret/x'])
  })

  it('allows everything without a scope, and each missing side of a scope means everything', () => {
    const memory = new Memory(() => 0)
    const open = memory.scoped(
      undefined,
      'root',
      () => 'root/1/tool/c',
      () => {},
    )
    open.write('any/deep/key', 1)
    expect(open.read('any/deep/key')).toBe(1)
    const writeOnly = memory.scoped(
      { write: ['out/*'] },
      'root',
      () => 'root/1/tool/c',
      () => {},
    )
    expect(writeOnly.read('any/deep/key')).toBe(1)
    expect(() => writeOnly.write('any/deep/key', 2)).toThrow(
      expect.objectContaining({ code: 'MEMORY_SCOPE' }),
    )
  })

  it('refuses a key or prefix that is not a string with a MEMORY_SCOPE error naming it, scoped or not', () => {
    const memory = new Memory(() => 0)
    memory.set('notes/a', 1, 'root', 'root/1/tool/c')
    for (const scope of [undefined, { read: ['notes/*'], write: ['notes/*'] }]) {
      const view = memory.scoped(
        scope,
        'root',
        () => 'root/1/tool/c',
        () => {},
      )
      for (const key of [5, undefined, null, {}]) {
        expect(() => view.read(key as never)).toThrow(
          expect.objectContaining({
            code: 'MEMORY_SCOPE',
            message: expect.stringMatching(/^memory read: the key must be a string/),
          }),
        )
        expect(() => view.entry(key as never)).toThrow(
          expect.objectContaining({
            code: 'MEMORY_SCOPE',
            message: expect.stringMatching(/^memory entry: the key must be a string/),
          }),
        )
        expect(() => view.write(key as never, 1)).toThrow(
          expect.objectContaining({
            code: 'MEMORY_SCOPE',
            message: expect.stringMatching(/^memory key is invalid: it must be a string/),
          }),
        )
      }
      for (const prefix of [5, null, {}])
        expect(() => view.list(prefix as never)).toThrow(
          expect.objectContaining({
            code: 'MEMORY_SCOPE',
            message: expect.stringMatching(/^memory list: the prefix must be a string/),
          }),
        )
    }
    expect(memory.size).toBe(1)
  })
  it('lets an agent read its own compacted results, not those of the sub-agents below it', () => {
    const memory = new Memory(() => 0)
    const keys = [
      'context/root/call_9',
      'context/root/1/agent:r-0/call_1',
      'context/root/1/agent:r-0/2/agent:s-0/call_1',
    ]
    for (const key of keys) memory.set(key, key, 'root', 'root/1/compact')
    const view = (by: string) =>
      memory.scoped(
        { read: ['notes/*'] },
        by,
        () => `${by}/1/tool/c`,
        () => {},
      )
    const readable = (by: string) =>
      keys.filter((key) => {
        try {
          view(by).read(key)
          return true
        } catch {
          return false
        }
      })
    expect(readable('root')).toEqual(['context/root/call_9'])
    expect(readable('root/1/agent:r#0')).toEqual(['context/root/1/agent:r-0/call_1'])
    expect(readable('root/1/agent:r#0/2/agent:s#0')).toEqual(['context/root/1/agent:r-0/2/agent:s-0/call_1'])
    expect(
      view('root')
        .list('context/')
        .map((e) => e.key),
    ).toEqual(['context/root/call_9'])
  })
  it('refuses malformed keys', () => {
    const memory = new Memory(() => 0)
    for (const key of ['', 'a//b', '/a', 'a/', 'has space']) {
      expect(() => memory.set(key, 1, 'root', 'root/1/tool/c')).toThrow()
    }
    expect(memory.size).toBe(0)
  })
})

describe('compileGlob on hostile globs', () => {
  // The regular expression the matcher once compiled globs to: the reference for what they mean.
  const reference = (glob: string) => {
    if (glob === '**') return () => true
    const literal = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    const parts = glob.split('/')
    const source = parts
      .map((segment, i) => {
        const last = i === parts.length - 1
        if (segment === '**') return last ? '.*' : '(?:[^/]*/)*'
        return segment.split(/\*+/).map(literal).join('[^/]*') + (last ? '' : '/')
      })
      .join('')
    const re = new RegExp(`^${source}$`)
    return (key: string) => re.test(key)
  }

  it('agrees with the reference on thousands of random globs and keys', () => {
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const pick = (alphabet: string[], max: number) =>
      Array.from({ length: random(max + 1) }, () => alphabet[random(alphabet.length)]).join('')
    for (let i = 0; i < 5_000; i++) {
      const glob = pick(['a', 'b', '*', '**', '/', '.', '?'], 8)
      const key = pick(['a', 'b', '/', '.', '?', 'ab'], 8)
      expect(compileGlob(glob)(key), `${JSON.stringify(glob)} on ${JSON.stringify(key)}`).toBe(
        reference(glob)(key),
      )
    }
  })

  it('matches globs that make a backtracking matcher run for ever, at once', () => {
    const glob = `${'*a'.repeat(30)}*c`
    const long = 'a'.repeat(50_000)
    // A backtracking matcher would not come back from this within the life of the machine.
    expect(compileGlob(glob)(long)).toBe(false)
    expect(compileGlob(glob)(`${long}c`)).toBe(true)
    expect(compileGlob(`**/${'*a'.repeat(30)}*c`)(`x/y/${long}`)).toBe(false)
    const deep = Array.from({ length: 2_000 }, () => 'a').join('/')
    expect(compileGlob(`${'**/'.repeat(50)}b`)(deep)).toBe(false)
    expect(compileGlobs([glob, '**/b'])(`${deep}/b`)).toBe(true)
  })
})
