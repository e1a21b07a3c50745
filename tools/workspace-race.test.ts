import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tool } from 'baton'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { toolContext } from '../test/tool-context.js'
import { workspaceTools } from './workspace.js'
import { WorkspaceRoot } from './workspace-root.js'

// A directory on a checked path replaced by a link to the outside after the check and before the
// open: what another process sharing the workspace can do. The swap is made deterministic by
// running it right after the path check returns.
let base: string
let root: string
let outside: string

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'baton-race-')))
  root = join(base, 'root')
  outside = join(base, 'outside')
  await mkdir(join(root, 'sub'), { recursive: true })
  await mkdir(outside)
  await writeFile(join(root, 'sub', 'note.txt'), 'inside lisbon\n')
  await writeFile(join(outside, 'note.txt'), 'TOP SECRET lisbon\n')
  await writeFile(join(outside, 'hidden-name.txt'), 'TOP SECRET\n')
})

afterEach(async () => {
  vi.restoreAllMocks()
  await rm(base, { recursive: true, force: true })
})

/** After each check of `method`, `root/sub` becomes a link to the outside directory. */
function swapAfter(method: 'existing' | 'writable'): { mockRestore: () => void } {
  const original = WorkspaceRoot.prototype[method] as (path: string) => Promise<unknown>
  return vi.spyOn(WorkspaceRoot.prototype, method).mockImplementation(async function (
    this: WorkspaceRoot,
    path,
  ) {
    const checked = await original.call(this, path)
    if (!existsSync(join(root, 'sub-moved'))) {
      await rename(join(root, 'sub'), join(root, 'sub-moved'))
      await symlink(outside, join(root, 'sub'))
    }
    return checked as never
  })
}

async function call(name: string, input: object): Promise<string> {
  const tool = workspaceTools({ root }).find((t: Tool) => t.name === name)
  if (!tool) throw new Error(`no tool ${name}`)
  return (await tool.run(input, toolContext())) as string
}

const outcome = (promise: Promise<string>) =>
  promise.then(
    (text) => text,
    (error: Error) => `error: ${error.message}`,
  )

// Linux says where an open file is (/proc); elsewhere the path is resolved again and compared.
describe.each([
  ['', false],
  [' (without /proc)', true],
])('a directory swapped for a link between the check and the open%s', (_, withoutProc) => {
  beforeEach(() => {
    if (withoutProc) vi.spyOn(WorkspaceRoot.prototype, 'openedAt').mockResolvedValue(undefined)
  })

  it('read_file does not read the outside file', async () => {
    swapAfter('existing')
    const result = await outcome(call('read_file', { path: 'sub/note.txt' }))
    expect(result).not.toContain('SECRET')
    expect(result).toBe(
      'error: "sub/note.txt": the path changed while it was opened and now leads outside the workspace',
    )
  })

  it('write_file neither writes nor creates a file outside', async () => {
    const swap = swapAfter('writable')
    const over = await outcome(call('write_file', { path: 'sub/note.txt', content: 'pwned' }))
    expect(over).toMatch(/^error: "sub\/note.txt": the path changed while it was opened/)
    expect(await readFile(join(outside, 'note.txt'), 'utf8')).toBe('TOP SECRET lisbon\n')
    swap.mockRestore()
    await rm(join(root, 'sub'))
    await rename(join(root, 'sub-moved'), join(root, 'sub'))
    swapAfter('writable')
    const created = await outcome(call('write_file', { path: 'sub/new.txt', content: 'pwned' }))
    expect(created).toMatch(/^error: "sub\/new.txt": the path changed while it was opened/)
    if (withoutProc) {
      // Nothing says where the new file landed: it may stay there, but empty.
      if (existsSync(join(outside, 'new.txt')))
        expect(await readFile(join(outside, 'new.txt'), 'utf8')).toBe('')
    } else expect((await readdir(outside)).sort()).toEqual(['hidden-name.txt', 'note.txt'])
  })

  it('list_files does not list the outside directory', async () => {
    swapAfter('existing')
    const result = await outcome(call('list_files', { path: 'sub' }))
    expect(result).not.toContain('hidden-name')
    expect(result).toMatch(/^error: "sub": /)
  })

  it('search_files does not search the outside directory', async () => {
    swapAfter('existing')
    const result = await outcome(call('search_files', { query: 'lisbon', path: 'sub' }))
    expect(result).not.toContain('SECRET')
  })

  it('a recursive walk does not descend into a subdirectory swapped during the walk', async () => {
    await mkdir(join(root, 'top'))
    await rename(join(root, 'sub'), join(root, 'top', 'sub'))
    const original = WorkspaceRoot.prototype.existing
    vi.spyOn(WorkspaceRoot.prototype, 'existing').mockImplementation(async function (
      this: WorkspaceRoot,
      path,
    ) {
      const checked = await original.call(this, path)
      await rename(join(root, 'top', 'sub'), join(root, 'top', 'sub-moved'))
      // A link named like the directory, so a walk that follows it by name would go outside.
      await symlink(outside, join(root, 'top', 'sub'))
      return checked
    })
    const listing = await outcome(call('list_files', { path: 'top', recursive: true }))
    expect(listing).not.toContain('hidden-name')
    const found = await outcome(call('search_files', { query: 'secret', path: 'top' }))
    expect(found).not.toContain('SECRET')
  })
})
