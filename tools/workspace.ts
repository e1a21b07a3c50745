import { statSync } from 'node:fs'
import { BatonError, defineTool, type Tool } from 'baton'
import { bytesText } from './binary.js'
import { checkBoolean, checkCount, knownOptions, MAX_BYTES } from './options.js'
import { readLines } from './read-lines.js'
import { quoted } from './shown-name.js'
import { isBinary, openFile } from './workspace-open.js'
import { fsError, isSystemError, WorkspaceRoot } from './workspace-root.js'
import { type SearchInput, searchFiles } from './workspace-search.js'
import { type Entry, walk } from './workspace-walk.js'

export interface WorkspaceOptions {
  /** The directory the tools are confined to. It must exist when a tool is first called. */
  root: string
  /** Leave out `write_file`. Default false. */
  readOnly?: boolean
  /** Bytes `read_file` returns at most per call (the model reads on with `startLine`). Default 100,000. */
  maxReadBytes?: number
  /** Bytes `write_file` accepts at most. Default 1,000,000. */
  maxWriteBytes?: number
}

const MAX_ENTRIES = 1_000

const PATH = { type: 'string', description: 'A path relative to the workspace root, e.g. "notes/lisbon.md".' }
const LINE = { type: 'integer', minimum: 1 }

/**
 * Tools that read, write, list and search the files under one directory: `read_file`,
 * `write_file` (unless `readOnly`), `list_files` and `search_files`. Paths that lead outside the
 * root — absolute, through `..`, or through a symbolic link — are refused with a tool error.
 *
 * @example
 * const editor = defineAgent({ name: 'editor', instructions: '…', tools: workspaceTools({ root: 'notes' }) })
 */
export function workspaceTools(given: WorkspaceOptions): Tool[] {
  const fail = (message: string) => new BatonError('INVALID_DEFINITION', `workspaceTools: ${message}`)
  const options = knownOptions<WorkspaceOptions>('workspaceTools', given, [
    'root',
    'readOnly',
    'maxReadBytes',
    'maxWriteBytes',
  ])
  if (typeof options.root !== 'string' || options.root === '') throw fail('root must be a directory path')
  // A root that does not exist is reported when a tool first uses it; a file can never be one.
  if (statSync(options.root, { throwIfNoEntry: false })?.isDirectory() === false)
    throw fail(`root must be a directory, and ${JSON.stringify(options.root)} is a file`)
  checkBoolean('workspaceTools', 'readOnly', options.readOnly)
  const maxRead = checkCount('workspaceTools', 'maxReadBytes', options.maxReadBytes, 100_000, MAX_BYTES)
  const maxWrite = checkCount('workspaceTools', 'maxWriteBytes', options.maxWriteBytes, 1_000_000, MAX_BYTES)
  const ws = new WorkspaceRoot(options.root)

  const read = defineTool({
    name: 'read_file',
    idempotent: true,
    description:
      'Read a text file of the workspace. Long files come in parts: the note at the end says which startLine to read next.',
    input: {
      type: 'object',
      properties: {
        path: PATH,
        startLine: { ...LINE, description: 'The first line to return (1 = the start). Default 1.' },
        maxLines: { ...LINE, description: 'Lines to return at most. Default: as many as fit.' },
      },
      required: ['path'],
      additionalProperties: false,
    },
    // What this tool returns is already bounded; the loop should not cut it a second time.
    maxResultChars: maxRead + 1_000,
    run: (input, ctx) => named(input, () => readText(ws, input as ReadInput, maxRead, ctx.signal)),
  })
  const write = defineTool({
    name: 'write_file',
    idempotent: true,
    description:
      'Write a text file of the workspace, replacing it if it exists. Missing parent directories are created.',
    input: {
      type: 'object',
      properties: { path: PATH, content: { type: 'string', description: 'The whole new content.' } },
      required: ['path', 'content'],
      additionalProperties: false,
    },
    run: (input) => named(input, () => writeText(ws, input as WriteInput, maxWrite)),
  })
  const list = defineTool({
    name: 'list_files',
    idempotent: true,
    description:
      'List the files and directories under a directory of the workspace ("." for the root), with sizes. Directories end with "/".',
    input: {
      type: 'object',
      properties: {
        path: { ...PATH, description: 'The directory to list. Default "." (the root).' },
        recursive: { type: 'boolean', description: 'Also list everything below. Default false.' },
      },
      additionalProperties: false,
    },
    run: (input, ctx) => named(input, () => listFiles(ws, input as ListInput, ctx.signal)),
  })
  const search = defineTool({
    name: 'search_files',
    idempotent: true,
    description:
      'Search the text files of the workspace for a substring (or a regular expression) and return the matching lines as "path:line: text".',
    input: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, description: 'The text to find.' },
        regex: {
          type: 'boolean',
          description: 'Treat query as a JavaScript regular expression. Default false.',
        },
        caseSensitive: { type: 'boolean', description: 'Default false.' },
        path: {
          ...PATH,
          description: 'A directory or file to search in. Default "." (the whole workspace).',
        },
        glob: { type: 'string', description: 'Only files whose path matches, e.g. "**/*.md".' },
      },
      required: ['query'],
      additionalProperties: false,
    },
    run: (input, ctx) => named(input, () => searchFiles(ws, input as SearchInput, ctx.signal)),
  })
  return options.readOnly ? [read, list, search] : [read, write, list, search]
}

/**
 * Runs a tool, turning an error the file system raised and nothing caught on the way into one
 * that names the model's path and the reason: Node's own message names the host's absolute path.
 */
async function named<T>(input: unknown, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (!isSystemError(error)) throw error
    throw fsError((input as { path?: string }).path ?? '.', error)
  }
}

interface WriteInput {
  path: string
  content: string
}

async function writeText(ws: WorkspaceRoot, { path, content }: WriteInput, maxWrite: number) {
  const size = Buffer.byteLength(content)
  if (size > maxWrite) {
    throw new Error(
      `${quoted(path)}: the content is ${bytesText(size)}, more than the limit of ${bytesText(maxWrite)}`,
    )
  }
  const { real, shown, undo } = await ws.writable(path)
  // Truncated only once the open file is known to be this workspace's own regular file.
  const handle = await openFile(ws, path, real, 'write').catch(async (error) => {
    await undo()
    throw error
  })
  await handle
    .truncate(0)
    .then(() => handle.writeFile(content))
    .finally(() => handle.close())
  return `wrote ${bytesText(size)} to ${shown}`
}

interface ListInput {
  path?: string
  recursive?: boolean
}

async function listFiles(ws: WorkspaceRoot, input: ListInput, signal: AbortSignal): Promise<string> {
  const { path = '.', recursive = false } = input
  const { real, shown, stats } = await ws.existing(path)
  if (!stats.isDirectory()) return entryLine(shown, { real, kind: 'file', size: stats.size })
  const lines: string[] = []
  for await (const entry of walk(ws, path, real, recursive, signal)) {
    if (lines.length === MAX_ENTRIES) {
      lines.push(`[only the first ${MAX_ENTRIES} entries are shown; list a subdirectory to see more]`)
      break
    }
    lines.push(entryLine(await ws.shown(entry.real), entry))
  }
  return lines.length ? lines.join('\n') : `[${shown} is empty]`
}

interface ReadInput {
  path: string
  startLine?: number
  maxLines?: number
}

async function readText(ws: WorkspaceRoot, input: ReadInput, maxBytes: number, signal: AbortSignal) {
  const { path, startLine = 1, maxLines = Number.POSITIVE_INFINITY } = input
  const { real, shown, stats } = await ws.existing(path)
  if (stats.isDirectory()) throw new Error(`${quoted(path)}: is a directory; list_files shows what it holds`)
  if (!stats.isFile()) throw new Error(`${quoted(path)}: is not a regular file`)
  if (stats.size === 0) return `[${shown} is empty]`
  const handle = await openFile(ws, path, real, 'read')
  try {
    if (await isBinary(handle)) return `[binary file ${shown}, ${bytesText(stats.size)}: not shown]`
    const lines: string[] = []
    let bytes = 0
    let last = 0
    let next: number | undefined
    let cut = 0
    read: for await (const batch of readLines(handle, maxBytes)) {
      signal.throwIfAborted()
      for (const line of batch) {
        last = line.number
        if (line.number < startLine) continue
        const size = Buffer.byteLength(line.text) + 1
        if (lines.length >= maxLines || (lines.length > 0 && bytes + size > maxBytes)) {
          next = line.number
          break read
        }
        lines.push(line.text)
        bytes += size
        if (line.cut) cut++
      }
    }
    if (lines.length === 0) return `[${shown} has ${last} lines; startLine ${startLine} is past the end]`
    const notes: string[] = []
    if (cut) notes.push(`[${cut} line(s) longer than ${bytesText(maxBytes)} were cut]`)
    if (next !== undefined) {
      notes.push(`[lines ${startLine}-${next - 1} of ${shown}; more follows: read on with startLine ${next}]`)
    }
    return [...lines, ...notes].join('\n')
  } finally {
    await handle.close()
  }
}

function entryLine(shown: string, entry: Entry): string {
  if (entry.kind === 'directory')
    return `${shown}/${entry.skipped ? '  (not listed)' : entry.unreadable ? '  (cannot be read)' : ''}`
  if (entry.kind === 'file') return `${shown}  (${bytesText(entry.size)})`
  return `${shown}  (${entry.kind === 'symlink' ? 'symbolic link' : 'special file'})`
}
