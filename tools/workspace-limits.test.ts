import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tool } from 'baton'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toolContext } from '../test/tool-context.js'
import { workspaceTools } from './workspace.js'
import { WorkspaceRoot } from './workspace-root.js'
import { searchFiles } from './workspace-search.js'

// Workspaces larger than a model should walk in one call, and paths the file system refuses.
let base: string
let root: string

beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'baton-limits-')))
  root = join(base, 'root')
  await mkdir(root)
})

afterAll(async () => {
  await rm(base, { recursive: true, force: true })
})

const ctx = toolContext()

async function call(name: string, input: object): Promise<string> {
  const tool = workspaceTools({ root }).find((t: Tool) => t.name === name)
  if (!tool) throw new Error(`no tool ${name}`)
  return (await tool.run(input, ctx)) as string
}

async function manyFiles(dir: string, count: number, content: string): Promise<void> {
  await mkdir(join(root, dir), { recursive: true })
  for (let i = 0; i < count; i += 500)
    await Promise.all(
      Array.from({ length: Math.min(500, count - i) }, (_, j) =>
        writeFile(join(root, dir, `f${i + j}.txt`), content),
      ),
    )
}

describe('search_files over many files', () => {
  it('a harmless regular expression over 3,000 files is not taken for one that backtracks', async () => {
    await manyFiles('many', 3_000, 'a line of text\n')
    expect(await call('search_files', { query: 'nomatch|other', regex: true, path: 'many' })).toBe(
      'no matches for "nomatch|other" in many',
    )
  })

  it('a pattern that backtracks is stopped, naming the file it was in among those matched together', async () => {
    await mkdir(join(root, 'mixed'))
    await writeFile(join(root, 'mixed', 'a.txt'), 'aaa\n')
    await writeFile(join(root, 'mixed', 'b.txt'), `aaa\n${'a'.repeat(40)}b\n`)
    await writeFile(join(root, 'mixed', 'c.txt'), 'aaa\n')
    await expect(call('search_files', { query: '(a+)+$', regex: true, path: 'mixed' })).rejects.toThrow(
      '(stopped in mixed/b.txt)',
    )
  })

  it('stops after 5,000 files and says how to narrow', async () => {
    await manyFiles('more', 5_001, 'x\n')
    const found = await call('search_files', { query: 'nomatch', path: 'more' })
    expect(found).toBe(
      'no matches for "nomatch" in more\n[the search stopped after 5,000 files; narrow it with path or glob to search the rest]',
    )
  })

  it('stops after 50 MB read and says how to narrow', async () => {
    await mkdir(join(root, 'large'))
    const line = `${'lisbon '.repeat(100)}\n`
    for (let i = 0; i < 11; i++) await writeFile(join(root, 'large', `f${i}.txt`), line.repeat(6_900))
    const found = await call('search_files', { query: 'nomatch', path: 'large' })
    expect(found).toBe(
      'no matches for "nomatch" in large\n[the search stopped after 50,000,000 bytes; narrow it with path or glob to search the rest]',
    )
  }, 20_000)

  it('stops after walking as many entries as allowed, glob or not', async () => {
    await mkdir(join(root, 'walked', 'd1'), { recursive: true })
    await writeFile(join(root, 'walked', 'd1', 'a.md'), 'lisbon\n')
    await writeFile(join(root, 'walked', 'z.md'), 'lisbon\n')
    const search = (entries: number) =>
      searchFiles(new WorkspaceRoot(root), { query: 'lisbon', path: 'walked', glob: '**/*.md' }, ctx.signal, {
        entries,
        files: 10,
        bytes: 1_000,
      })
    expect(await search(3)).toBe('walked/d1/a.md:1: lisbon\nwalked/z.md:1: lisbon')
    expect(await search(2)).toBe(
      'walked/d1/a.md:1: lisbon\n[the search stopped after looking at 2 entries; narrow it with path or glob to search the rest]',
    )
  })
})

describe('files of millions of short lines', () => {
  // 4.9 million empty lines a file: work per line, not per byte, is what costs here (it took
  // 26 s and 500 MB, and the pattern's time limit went on reading the context's globals).
  it('are searched with a regular expression without it being taken for one that backtracks', async () => {
    await mkdir(join(root, 'newlines'))
    for (const name of ['a.txt', 'b.txt', 'c.txt'])
      await writeFile(join(root, 'newlines', name), `${'\n'.repeat(4_900_000)}lisbon\n`)
    expect(await call('search_files', { query: 'lis+bon', regex: true, path: 'newlines' })).toBe(
      ['a.txt', 'b.txt', 'c.txt'].map((name) => `newlines/${name}:4900001: lisbon`).join('\n'),
    )
    expect(await call('read_file', { path: 'newlines/a.txt', startLine: 4_900_001 })).toBe('lisbon')
  }, 40_000)
})

describe('paths the file system refuses', () => {
  const long = 'x'.repeat(300)
  const deep = `${'a/'.repeat(3_000)}b.txt`

  it.each([
    ['read_file', { path: long }],
    ['read_file', { path: `${long}/a.txt` }],
    ['list_files', { path: long }],
    ['search_files', { query: 'x', path: long }],
    ['write_file', { path: `${long}/a.txt`, content: 'x' }],
    ['write_file', { path: deep, content: 'x' }],
  ])('%s %#: the error says the path is too long, and shows no host path', async (name, input) => {
    const error = await call(name, input).then(
      () => undefined,
      (thrown: Error) => thrown,
    )
    expect(error?.message).toMatch(/^".*": the path is too long$/)
    expect(error?.message).not.toContain(base)
  })

  it('a write that fails leaves no directories behind', async () => {
    await expect(call('write_file', { path: deep, content: 'x' })).rejects.toThrow('too long')
    await expect(call('write_file', { path: `made/for/${long}`, content: 'x' })).rejects.toThrow('too long')
    expect(existsSync(join(root, 'a'))).toBe(false)
    expect(existsSync(join(root, 'made'))).toBe(false)
    expect(await readdir(root)).not.toContain('a')
  })
})
