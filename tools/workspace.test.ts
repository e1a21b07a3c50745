import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tool } from 'baton'
import { BatonError } from 'baton'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toolContext } from '../test/tool-context.js'
import { type WorkspaceOptions, workspaceTools } from './workspace.js'

let base: string
let root: string
let outside: string

beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'baton-workspace-')))
  root = join(base, 'root')
  outside = join(base, 'outside')
  await mkdir(join(root, 'notes', 'deep'), { recursive: true })
  await mkdir(join(root, 'node_modules', 'pkg'), { recursive: true })
  await mkdir(outside)
  await writeFile(join(outside, 'secret.txt'), 'TOP SECRET lisbon\n')
  await writeFile(join(root, 'notes', 'lisbon.md'), '# Lisbon\nTrams and tiles.\nPastéis de nata: 1.20 EUR\n')
  await writeFile(join(root, 'notes', 'deep', 'porto.txt'), 'Porto: port wine\nLisbon is 3 hours away\n')
  await writeFile(join(root, 'node_modules', 'pkg', 'index.js'), 'lisbon in a dependency\n')
  await writeFile(join(root, 'lines.txt'), Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n'))
  await writeFile(join(root, 'image.png'), Buffer.from([137, 80, 78, 71, 0, 0, 1, 2, 3]))
  await writeFile(join(root, 'empty.txt'), '')
  await symlink(join(outside, 'secret.txt'), join(root, 'secret-link.txt'))
  await symlink(outside, join(root, 'outside-dir'))
  await symlink(join(root, 'notes', 'lisbon.md'), join(root, 'inside-link.md'))
  await symlink(join(outside, 'nothing-yet.txt'), join(root, 'dangling.txt'))
})

afterAll(async () => {
  await rm(base, { recursive: true, force: true })
})

const ctx = toolContext()

function tools(options: Partial<WorkspaceOptions> = {}): Record<string, Tool> {
  return Object.fromEntries(workspaceTools({ root, ...options }).map((tool) => [tool.name, tool]))
}

async function call(name: string, input: object, options: Partial<WorkspaceOptions> = {}): Promise<string> {
  const tool = tools(options)[name]
  if (!tool) throw new Error(`no tool ${name}`)
  return (await tool.run(input, ctx)) as string
}

describe('workspaceTools', () => {
  it('makes read_file, write_file, list_files and search_files; readOnly leaves out write_file', () => {
    expect(workspaceTools({ root }).map((t) => t.name)).toEqual([
      'read_file',
      'write_file',
      'list_files',
      'search_files',
    ])
    expect(workspaceTools({ root, readOnly: true }).map((t) => t.name)).toEqual([
      'read_file',
      'list_files',
      'search_files',
    ])
  })

  it.each([
    [{ root: '' }, 'workspaceTools: root must be a directory path'],
    [{ root: 'notes', maxReadBytes: 0 }, 'workspaceTools: maxReadBytes must be a positive number, got 0'],
    [
      { root: 'notes', maxWriteBytes: Number.NaN },
      'workspaceTools: maxWriteBytes must be a positive number, got NaN',
    ],
    [{ root: 'notes', readonly: true }, 'workspaceTools: unknown option "readonly" (known: root, readOnly,'],
    [{ root: 'notes', readOnly: 'yes' }, 'workspaceTools: readOnly must be true or false, got "yes"'],
    ['notes', 'workspaceTools: options must be an object, got string'],
    [{ root: 'package.json' }, 'workspaceTools: root must be a directory, and "package.json" is a file'],
  ])('refuses the options %j', (options, message) => {
    expect(() => workspaceTools(options as WorkspaceOptions)).toThrow(BatonError)
    expect(() => workspaceTools(options as WorkspaceOptions)).toThrow(message)
  })

  it('fails clearly when the root does not exist', async () => {
    const [read] = workspaceTools({ root: join(base, 'missing') })
    await expect(read!.run({ path: 'a.txt' }, ctx)).rejects.toThrow(
      /the workspace root .*missing cannot be used \(ENOENT\)/,
    )
  })
})

describe('paths that leave the root are refused', () => {
  it.each([
    ['../outside/secret.txt', '"../outside/secret.txt": ".." leads outside the workspace'],
    ['notes/../../outside/secret.txt', '".." leads outside the workspace'],
    ['..', '"..": ".." leads outside the workspace'],
    ['/etc/passwd', '"/etc/passwd": an absolute path outside the workspace'],
    ['secret-link.txt', '"secret-link.txt": a symbolic link on this path leads outside the workspace'],
    [
      'outside-dir/secret.txt',
      '"outside-dir/secret.txt": a symbolic link on this path leads outside the workspace',
    ],
  ])('read_file %s', async (path, message) => {
    await expect(call('read_file', { path })).rejects.toThrow(message)
  })

  it('read_file: an absolute path to a file outside', async () => {
    const path = join(outside, 'secret.txt')
    await expect(call('read_file', { path })).rejects.toThrow(
      `"${path}": an absolute path outside the workspace`,
    )
  })

  it('list_files and search_files: ".." and a symlinked directory', async () => {
    await expect(call('list_files', { path: '../' })).rejects.toThrow('".." leads outside the workspace')
    await expect(call('list_files', { path: 'outside-dir' })).rejects.toThrow('leads outside the workspace')
    await expect(call('search_files', { query: 'secret', path: 'outside-dir' })).rejects.toThrow(
      'leads outside the workspace',
    )
  })

  it.each([
    ['../escape.txt', '".." leads outside the workspace', 'escape.txt'],
    ['<base>/escape.txt', 'an absolute path outside the workspace', 'escape.txt'],
    ['outside-dir/new.txt', 'a symbolic link on this path leads outside the workspace', 'outside/new.txt'],
    ['outside-dir/sub/new.txt', 'a symbolic link on this path leads outside the workspace', 'outside/sub'],
    ['secret-link.txt', 'a symbolic link on this path leads outside the workspace', 'outside/secret.txt'],
    ['dangling.txt', 'goes through a symbolic link whose target does not exist', 'outside/nothing-yet.txt'],
  ])('write_file %s', async (given, message, untouched) => {
    const path = given.replace('<base>', base)
    const before = existsSync(join(base, untouched))
      ? await readFile(join(base, untouched), 'utf8')
      : undefined
    await expect(call('write_file', { path, content: 'pwned' })).rejects.toThrow(message)
    const after = existsSync(join(base, untouched))
      ? await readFile(join(base, untouched), 'utf8')
      : undefined
    expect(after).toBe(before)
  })
})

describe('read_file', () => {
  it('reads a text file, also by an absolute path inside the root and through a link that stays inside', async () => {
    const text = '# Lisbon\nTrams and tiles.\nPastéis de nata: 1.20 EUR\n'
    expect(await call('read_file', { path: 'notes/lisbon.md' })).toBe(text.slice(0, -1))
    expect(await call('read_file', { path: join(root, 'notes', 'lisbon.md') })).toBe(text.slice(0, -1))
    expect(await call('read_file', { path: './notes/deep/../lisbon.md' })).toBe(text.slice(0, -1))
    expect(await call('read_file', { path: 'inside-link.md' })).toBe(text.slice(0, -1))
  })

  it('reads a range of lines, and says where to read on', async () => {
    expect(await call('read_file', { path: 'lines.txt', startLine: 10, maxLines: 3 })).toBe(
      'line 10\nline 11\nline 12\n[lines 10-12 of lines.txt; more follows: read on with startLine 13]',
    )
    expect(await call('read_file', { path: 'lines.txt', startLine: 49 })).toBe('line 49\nline 50')
    expect(await call('read_file', { path: 'lines.txt', startLine: 51 })).toBe(
      '[lines.txt has 50 lines; startLine 51 is past the end]',
    )
  })

  it('returns at most maxReadBytes per call', async () => {
    const text = await call('read_file', { path: 'lines.txt' }, { maxReadBytes: 30 })
    expect(text).toBe(
      'line 1\nline 2\nline 3\nline 4\n[lines 1-4 of lines.txt; more follows: read on with startLine 5]',
    )
    await writeFile(join(root, 'one-line.txt'), 'x'.repeat(100))
    expect(await call('read_file', { path: 'one-line.txt' }, { maxReadBytes: 10 })).toBe(
      'xxxxxxxxxx\n[1 line(s) longer than 10 bytes were cut]',
    )
  })

  it('describes binary files and empty files', async () => {
    expect(await call('read_file', { path: 'image.png' })).toBe('[binary file image.png, 9 bytes: not shown]')
    expect(await call('read_file', { path: 'empty.txt' })).toBe('[empty.txt is empty]')
  })

  it('names the path and the reason when it cannot read', async () => {
    await expect(call('read_file', { path: 'nope.txt' })).rejects.toThrow(
      '"nope.txt": no such file or directory',
    )
    await expect(call('read_file', { path: 'notes' })).rejects.toThrow(
      '"notes": is a directory; list_files shows what it holds',
    )
    await expect(call('read_file', { path: 'lines.txt/x' })).rejects.toThrow(
      '"lines.txt/x": a part of the path is a file, not a directory',
    )
  })
})

describe('write_file', () => {
  it('writes a file, creating its directories', async () => {
    expect(await call('write_file', { path: 'drafts/day-1/plan.md', content: 'Belém\n' })).toBe(
      'wrote 7 bytes to drafts/day-1/plan.md',
    )
    expect(await readFile(join(root, 'drafts', 'day-1', 'plan.md'), 'utf8')).toBe('Belém\n')
    await call('write_file', { path: 'drafts/day-1/plan.md', content: 'Sintra' })
    expect(await readFile(join(root, 'drafts', 'day-1', 'plan.md'), 'utf8')).toBe('Sintra')
  })

  it('writes through a link that stays inside', async () => {
    await writeFile(join(root, 'target.txt'), 'old')
    await symlink(join(root, 'target.txt'), join(root, 'target-link.txt'))
    await call('write_file', { path: 'target-link.txt', content: 'new' })
    expect(await readFile(join(root, 'target.txt'), 'utf8')).toBe('new')
  })

  it('refuses content over maxWriteBytes, directories and the root', async () => {
    await expect(
      call('write_file', { path: 'big.txt', content: 'x'.repeat(11) }, { maxWriteBytes: 10 }),
    ).rejects.toThrow('"big.txt": the content is 11 bytes, more than the limit of 10 bytes')
    expect(existsSync(join(root, 'big.txt'))).toBe(false)
    await expect(call('write_file', { path: 'notes', content: 'x' })).rejects.toThrow(
      '"notes": is a directory, not a file',
    )
    await expect(call('write_file', { path: '.', content: 'x' })).rejects.toThrow(
      '".": is the workspace root, not a file',
    )
    await expect(call('write_file', { path: 'lines.txt/x.txt', content: 'x' })).rejects.toThrow(
      '"lines.txt/x.txt": a part of the path is a file, not a directory',
    )
  })
})

describe('list_files', () => {
  it('lists one directory, with sizes; links are shown, not followed', async () => {
    const listing = (await call('list_files', {})).split('\n')
    expect(listing).toEqual(
      expect.arrayContaining([
        'notes/',
        'lines.txt  (390 bytes)',
        'secret-link.txt  (symbolic link)',
        'outside-dir  (symbolic link)',
        'empty.txt  (0 bytes)',
      ]),
    )
    expect(listing).not.toContain('notes/lisbon.md  (53 bytes)')
  })

  it('lists recursively, with paths from the root, not going into node_modules or linked directories', async () => {
    const listing = (await call('list_files', { path: 'notes', recursive: true })).split('\n')
    expect(listing).toEqual([
      'notes/deep/',
      'notes/deep/porto.txt  (40 bytes)',
      'notes/lisbon.md  (53 bytes)',
    ])
    const all = await call('list_files', { recursive: true })
    expect(all).toContain('node_modules/  (not listed)')
    expect(all).not.toContain('node_modules/pkg')
    expect(all).not.toContain('secret.txt  (')
  })

  it('lists a single file and an empty directory', async () => {
    expect(await call('list_files', { path: 'notes/lisbon.md' })).toBe('notes/lisbon.md  (53 bytes)')
    await mkdir(join(root, 'void'))
    expect(await call('list_files', { path: 'void' })).toBe('[void is empty]')
  })
})

describe('search_files', () => {
  it('finds a substring, case-insensitively by default, with paths and line numbers', async () => {
    expect(await call('search_files', { query: 'LISBON' })).toBe(
      ['notes/deep/porto.txt:2: Lisbon is 3 hours away', 'notes/lisbon.md:1: # Lisbon'].join('\n'),
    )
    expect(await call('search_files', { query: 'LISBON', caseSensitive: true })).toBe(
      'no matches for "LISBON" in .',
    )
  })

  it('finds a regular expression, within a path or a glob', async () => {
    expect(await call('search_files', { query: '\\d+\\.\\d+ EUR', regex: true })).toBe(
      'notes/lisbon.md:3: Pastéis de nata: 1.20 EUR',
    )
    expect(await call('search_files', { query: 'lisbon', path: 'notes/deep' })).toBe(
      'notes/deep/porto.txt:2: Lisbon is 3 hours away',
    )
    expect(await call('search_files', { query: 'lisbon', glob: '**/*.md' })).toBe(
      'notes/lisbon.md:1: # Lisbon',
    )
    expect(await call('search_files', { query: 'tiles', path: 'notes/lisbon.md' })).toBe(
      'notes/lisbon.md:2: Trams and tiles.',
    )
  })

  it('never reads outside the root (links are not followed), nor binary files', async () => {
    const found = await call('search_files', { query: 'secret' })
    expect(found).not.toContain('TOP SECRET')
    expect(await call('search_files', { query: 'PNG' })).toBe('no matches for "PNG" in .')
  })

  it('caps the matches and says how to narrow', async () => {
    await mkdir(join(root, 'many'))
    await writeFile(join(root, 'many', 'hits.txt'), 'hit\n'.repeat(150))
    const found = (await call('search_files', { query: 'hit', path: 'many' })).split('\n')
    expect(found).toHaveLength(101)
    expect(found[99]).toBe('many/hits.txt:100: hit')
    expect(found[100]).toBe('[only the first 100 matches are shown; narrow the search with path or glob]')
  })

  it('stops a regular expression that backtracks without end, and says why', async () => {
    await mkdir(join(root, 'slow'))
    await writeFile(join(root, 'slow', 'a.txt'), `${'a'.repeat(40)}b\n`)
    // Without the limit this would run for ~2^40 steps (and the test would time out).
    await expect(call('search_files', { query: '(a+)+$', regex: true, path: 'slow' })).rejects.toThrow(
      'the regular expression "(a+)+$" ran for more than 2 s (stopped in slow/a.txt); nested quantifiers',
    )
    // The same search is fine on text it does not backtrack on.
    await writeFile(join(root, 'slow', 'a.txt'), 'aaa\n')
    expect(await call('search_files', { query: '(a+)+$', regex: true, path: 'slow' })).toBe(
      'slow/a.txt:1: aaa',
    )
  })

  it('explains an invalid regular expression', async () => {
    await expect(call('search_files', { query: '(unclosed', regex: true })).rejects.toThrow(
      /^not a valid regular expression: /,
    )
  })
})
