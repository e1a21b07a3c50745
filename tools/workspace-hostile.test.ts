import { execFileSync } from 'node:child_process'
import { link, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tool } from 'baton'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toolContext } from '../test/tool-context.js'
import { shownName } from './shown-name.js'
import { workspaceTools } from './workspace.js'

// What a hostile model (or whoever filled the workspace) can put in front of the file tools:
// special files, names that forge listings, hard links to files outside the root.
let base: string
let root: string
let outside: string

const FORGED = [
  'a\nb.txt',
  'c\rd.txt',
  'e\tf.txt',
  'esc\u001b[31m.txt',
  'sep\u2028x.txt',
  'bidi\u202etxt.exe',
]

beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'baton-hostile-')))
  root = join(base, 'root')
  outside = join(base, 'outside')
  await mkdir(join(root, 'pipes'), { recursive: true })
  await mkdir(join(root, 'names'))
  await mkdir(outside)
  await writeFile(join(root, 'pipes', 'plain.txt'), 'lisbon beside the pipes\n')
  for (const name of ['in', 'in2', 'in3', 'in4', 'in5', 'in6'])
    execFileSync('mkfifo', [join(root, 'pipes', name)])
  for (const name of FORGED) await writeFile(join(root, 'names', name), 'lisbon\n')
  await writeFile(join(outside, 'secret.txt'), 'TOP SECRET lisbon\n')
  await link(join(outside, 'secret.txt'), join(root, 'linked.txt'))
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

describe('special files', () => {
  it('refuses to read FIFOs without waiting for a writer, and the thread pool stays free', async () => {
    const reads = ['in', 'in2', 'in3', 'in4', 'in5', 'in6'].map((name) =>
      call('read_file', { path: `pipes/${name}` }).then(
        () => 'read',
        (error: Error) => error.message,
      ),
    )
    // Six blocked opens would hold every thread of the pool (four by default): this would wait.
    expect(await readFile(join(root, 'pipes', 'plain.txt'), 'utf8')).toContain('lisbon')
    for (const outcome of await Promise.all(reads))
      expect(outcome).toMatch(/"pipes\/in\d?": is not a regular file/)
  })

  it('search_files skips FIFOs in a walk and refuses one named as the path', async () => {
    expect(await call('search_files', { query: 'lisbon', path: 'pipes' })).toBe(
      'pipes/plain.txt:1: lisbon beside the pipes',
    )
    expect(await call('search_files', { query: 'lisbon', path: 'pipes/in' })).toMatch(/^no matches/)
  })

  it('refuses to write to a FIFO without waiting for a reader', async () => {
    await expect(call('write_file', { path: 'pipes/in', content: 'x' })).rejects.toThrow(
      '"pipes/in": is not a regular file',
    )
  })

  it('lists a FIFO as a special file', async () => {
    expect(await call('list_files', { path: 'pipes' })).toContain('pipes/in  (special file)')
  })
})

describe('names with control characters', () => {
  it('are escaped in listings, so every line is one real entry', async () => {
    const listing = await call('list_files', { path: 'names' })
    const lines = listing.split('\n')
    expect(lines).toHaveLength(FORGED.length)
    expect(lines).toContain('names/a\\nb.txt  (7 bytes)')
    expect(lines).toContain('names/esc\\u001b[31m.txt  (7 bytes)')
    expect(lines).toContain('names/bidi\\u202etxt.exe  (7 bytes)')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: none may reach the model.
    expect(listing).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u2028\u202e]/)
  })

  it('are escaped in search results and messages, and the real name still reads', async () => {
    const found = (await call('search_files', { query: 'lisbon', path: 'names' })).split('\n')
    expect(found).toHaveLength(FORGED.length)
    expect(found).toContain('names/c\\rd.txt:1: lisbon')
    expect(await call('read_file', { path: 'names/a\nb.txt' })).toBe('lisbon')
    await expect(call('read_file', { path: 'names/x\ny"z' })).rejects.toThrow(
      '"names/x\\ny\\"z": no such file or directory',
    )
  })

  it('escape as JSON strings do, so a shown name parses back to the real one', () => {
    for (const name of [...FORGED, 'back\\slash', 'plain.md', 'ünïcødé.txt'])
      expect(JSON.parse(`"${shownName(name)}"`)).toBe(name)
  })
})

describe('hard links', () => {
  it('refuses to read or write a file with several hard links, leaving the outside file as it was', async () => {
    await expect(call('read_file', { path: 'linked.txt' })).rejects.toThrow(
      '"linked.txt": has 2 hard links; files with more than one are refused',
    )
    await expect(call('write_file', { path: 'linked.txt', content: 'overwritten' })).rejects.toThrow(
      'hard links',
    )
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('TOP SECRET lisbon\n')
  })

  it('search_files does not read them, and says so', async () => {
    const found = await call('search_files', { query: 'secret', path: '.' })
    expect(found).not.toContain('TOP SECRET')
    expect(found).toContain('[1 file(s) with several hard links were not searched]')
  })
})

describe('version control metadata', () => {
  it('refuses writes into .git (any case, any depth, a .git file too) and creates nothing there', async () => {
    await mkdir(join(root, 'repo', '.git', 'hooks'), { recursive: true })
    for (const path of [
      '.git/hooks/pre-commit',
      'repo/.git/hooks/post-checkout',
      'repo/.GIT/config',
      '.git',
      'sub/.hg/hgrc',
      'deep/new/.svn/entries',
      '.git./x',
    ]) {
      const error = await call('write_file', { path, content: '#!/bin/sh\ntouch pwned\n' }).then(
        () => undefined,
        (e: Error) => e.message,
      )
      expect(error, path).toMatch(/version control directory/)
      expect(error).toContain(JSON.stringify(path))
    }
    await expect(readFile(join(root, 'repo', '.git', 'hooks', 'post-checkout'))).rejects.toThrow()
    await expect(readFile(join(root, '.git'))).rejects.toThrow()
    await expect(realpath(join(root, 'deep'))).rejects.toThrow()
  })

  it('refuses a write through a link inside the workspace that leads into .git', async () => {
    await mkdir(join(root, 'repo2', '.git', 'hooks'), { recursive: true })
    execFileSync('ln', ['-s', join(root, 'repo2', '.git', 'hooks'), join(root, 'hooks-link')])
    const error = await call('write_file', { path: 'hooks-link/pre-push', content: 'x' }).then(
      () => undefined,
      (e: Error) => e.message,
    )
    expect(error).toMatch(/version control directory/)
    await expect(readFile(join(root, 'repo2', '.git', 'hooks', 'pre-push'))).rejects.toThrow()
  })

  it('still writes files whose names only start like one (.gitignore, .github/)', async () => {
    expect(await call('write_file', { path: '.gitignore', content: 'dist\n' })).toMatch(/^wrote/)
    expect(await call('write_file', { path: '.github/workflows/ci.yml', content: 'on: push\n' })).toMatch(
      /^wrote/,
    )
    expect(await readFile(join(root, '.gitignore'), 'utf8')).toBe('dist\n')
    // Reading stays allowed: the tools only refuse to write there.
    await writeFile(join(root, 'repo', '.git', 'HEAD'), 'ref: refs/heads/main\n')
    expect(await call('read_file', { path: 'repo/.git/HEAD' })).toContain('refs/heads/main')
  })
})
