import { constants, statSync } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { Script } from 'node:vm'
import { BatonError, defineTool, type Tool } from 'baton'
import { compileGlob } from 'baton/glob'
import { bytesText, looksBinary } from './binary.js'
import { checkBoolean, knownOptions } from './options.js'
import { readLines } from './read-lines.js'
import { quoted, shownName } from './shown-name.js'
import { WorkspaceRoot } from './workspace-root.js'
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
const MAX_MATCHES = 100
const MAX_MATCH_CHARS = 300
const MAX_SEARCHED_FILE_BYTES = 5_000_000
// A matched line is tested on its first 10,000 bytes: bounds the work a regular expression does.
const MAX_SEARCHED_LINE_BYTES = 10_000
// Refuse to open a symbolic link swapped in after the path was checked (0 where unsupported).
const NOFOLLOW = constants.O_NOFOLLOW ?? 0
// A FIFO swapped in after the check must not hold a thread of the pool until a writer comes:
// opened without blocking, it is then refused by what fstat says the open file is.
const NONBLOCK = constants.O_NONBLOCK ?? 0

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
  const positive = (name: 'maxReadBytes' | 'maxWriteBytes', fallback: number) => {
    const value = options[name] ?? fallback
    if (!Number.isFinite(value) || value <= 0) throw fail(`${name} must be a positive number, got ${value}`)
    return value
  }
  const maxRead = positive('maxReadBytes', 100_000)
  const maxWrite = positive('maxWriteBytes', 1_000_000)
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
    run: (input, ctx) => readText(ws, input as ReadInput, maxRead, ctx.signal),
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
    run: async (input) => {
      const { path, content } = input as { path: string; content: string }
      const size = Buffer.byteLength(content)
      if (size > maxWrite) {
        throw new Error(
          `${quoted(path)}: the content is ${bytesText(size)}, more than the limit of ${bytesText(maxWrite)}`,
        )
      }
      const { real, shown } = await ws.writable(path)
      // Truncated only once the open file is known to be this workspace's own regular file.
      const handle = await opened(path, real, constants.O_WRONLY | constants.O_CREAT)
      await handle
        .truncate(0)
        .then(() => handle.writeFile(content))
        .finally(() => handle.close())
      return `wrote ${bytesText(size)} to ${shown}`
    },
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
    run: async (input, ctx) => {
      const { path = '.', recursive = false } = input as { path?: string; recursive?: boolean }
      const { real, shown, stats } = await ws.existing(path)
      if (!stats.isDirectory()) return entryLine(shown, { real, kind: 'file', size: stats.size })
      const lines: string[] = []
      for await (const entry of walk(real, recursive, ctx.signal)) {
        if (lines.length === MAX_ENTRIES) {
          lines.push(`[only the first ${MAX_ENTRIES} entries are shown; list a subdirectory to see more]`)
          break
        }
        lines.push(entryLine(await ws.shown(entry.real), entry))
      }
      return lines.length ? lines.join('\n') : `[${shown} is empty]`
    },
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
    run: (input, ctx) => searchText(ws, input as SearchInput, ctx.signal),
  })
  return options.readOnly ? [read, list, search] : [read, write, list, search]
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
  const handle = await opened(path, real, constants.O_RDONLY)
  try {
    if (await isBinary(handle)) return `[binary file ${shown}, ${bytesText(stats.size)}: not shown]`
    const lines: string[] = []
    let bytes = 0
    let last = 0
    let next: number | undefined
    let cut = 0
    for await (const line of readLines(handle, maxBytes)) {
      signal.throwIfAborted()
      last = line.number
      if (line.number < startLine) continue
      const size = Buffer.byteLength(line.text) + 1
      if (lines.length >= maxLines || (lines.length > 0 && bytes + size > maxBytes)) {
        next = line.number
        break
      }
      lines.push(line.text)
      bytes += size
      if (line.cut) cut++
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

interface SearchInput {
  query: string
  regex?: boolean
  caseSensitive?: boolean
  path?: string
  glob?: string
}

async function searchText(ws: WorkspaceRoot, input: SearchInput, signal: AbortSignal): Promise<string> {
  const matches = matcher(input)
  // Regular expression time left for this call (see matcher).
  const clock = { leftMs: REGEX_TIME_MS }
  const inGlob = input.glob ? compileGlob(input.glob) : () => true
  const { real, shown, stats } = await ws.existing(input.path ?? '.')
  const files: AsyncIterable<Entry> | Entry[] = stats.isDirectory()
    ? walk(real, true, signal)
    : [{ real, kind: stats.isFile() ? 'file' : 'other', size: stats.size }]
  const found: string[] = []
  let tooLarge = 0
  let linked = 0
  search: for await (const file of files) {
    signal.throwIfAborted()
    // Globs match the real name; the model reads it escaped.
    const path = await ws.relative(file.real)
    if (file.kind !== 'file' || !inGlob(path)) continue
    const where = shownName(path)
    if (file.size > MAX_SEARCHED_FILE_BYTES) {
      tooLarge++
      continue
    }
    const handle = await opened(path, file.real, constants.O_RDONLY).catch((error: Error) => {
      if (error instanceof HardLinkError) linked++
      return undefined
    })
    if (!handle) continue
    try {
      if (await isBinary(handle)) continue
      const lines: { number: number; text: string }[] = []
      for await (const line of readLines(handle, MAX_SEARCHED_LINE_BYTES)) lines.push(line)
      const hits = matches(
        lines.map((line) => line.text),
        where,
        clock,
      )
      for (const hit of hits) {
        const line = lines[hit]!
        if (found.length === MAX_MATCHES) {
          found.push(`[only the first ${MAX_MATCHES} matches are shown; narrow the search with path or glob]`)
          break search
        }
        const text =
          line.text.length > MAX_MATCH_CHARS ? `${line.text.slice(0, MAX_MATCH_CHARS)}…` : line.text
        found.push(`${where}:${line.number}: ${text}`)
      }
    } finally {
      await handle.close()
    }
  }
  if (tooLarge)
    found.push(`[${tooLarge} file(s) larger than ${bytesText(MAX_SEARCHED_FILE_BYTES)} were not searched]`)
  if (linked) found.push(`[${linked} file(s) with several hard links were not searched]`)
  return found.length ? found.join('\n') : `no matches for ${JSON.stringify(input.query)} in ${shown}`
}

/** Finds the indices of the matching lines of one file. */
type Matcher = (lines: string[], where: string, clock: { leftMs: number }) => number[]

/** How long one search_files call may spend running a regular expression, all files together. */
const REGEX_TIME_MS = 2_000

const REGEX_SCAN = new Script(
  'const hits = []; for (let i = 0; i < lines.length; i++) if (re.test(lines[i])) hits.push(i); hits',
)

/**
 * A substring, or a regular expression run under a time limit: a pattern that backtracks without
 * end, such as `(a+)+$`, would otherwise hold the process. It runs in a `vm` context whose
 * timeout interrupts it, one file at a time.
 */
function matcher({ query, regex, caseSensitive }: SearchInput): Matcher {
  if (regex) {
    let re: RegExp
    try {
      re = new RegExp(query, caseSensitive ? '' : 'i')
    } catch (error) {
      throw new Error(`not a valid regular expression: ${(error as Error).message}`)
    }
    return (lines, where, clock) => {
      const started = performance.now()
      try {
        const hits = REGEX_SCAN.runInNewContext(
          { re, lines },
          { timeout: Math.max(1, Math.ceil(clock.leftMs)) },
        )
        return Array.from(hits as number[])
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error
        throw new Error(
          `the regular expression ${JSON.stringify(query)} ran for more than ${REGEX_TIME_MS / 1000} s (stopped in ${where}); nested quantifiers such as (a+)+ backtrack without end: simplify it, or search for a plain substring`,
        )
      } finally {
        clock.leftMs -= performance.now() - started
      }
    }
  }
  const lower = query.toLowerCase()
  const test = caseSensitive
    ? (text: string) => text.includes(query)
    : (text: string) => text.toLowerCase().includes(lower)
  return (lines) => {
    const hits: number[] = []
    for (let i = 0; i < lines.length; i++) if (test(lines[i]!)) hits.push(i)
    return hits
  }
}

function entryLine(shown: string, entry: Entry): string {
  if (entry.kind === 'directory') return `${shown}/${entry.skipped ? '  (not listed)' : ''}`
  if (entry.kind === 'file') return `${shown}  (${bytesText(entry.size)})`
  return `${shown}  (${entry.kind === 'symlink' ? 'symbolic link' : 'special file'})`
}

async function isBinary(handle: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(4096)
  // At an explicit position: the reads that follow still start at the beginning.
  const { bytesRead } = await handle.read(head, 0, head.length, 0)
  return looksBinary(head.subarray(0, bytesRead))
}

/** A file that another name, maybe outside the workspace, also reaches. */
class HardLinkError extends Error {}

/**
 * Opens a checked real path without following a link that appeared there since the check and
 * without blocking, then makes sure what was opened is a regular file with one name: a FIFO,
 * socket or device is refused, and so is a file with several hard links, since one of its other
 * names may lie outside the workspace (a hard link cannot be told from the file it links to).
 */
async function opened(path: string, real: string, flags: number): Promise<FileHandle> {
  let handle: FileHandle
  try {
    handle = await open(real, flags | NOFOLLOW | NONBLOCK, 0o666)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw new Error(`${quoted(path)}: became a symbolic link while being opened`)
    if (code === 'EISDIR') throw new Error(`${quoted(path)}: is a directory, not a file`)
    // A FIFO opened for writing without a reader.
    if (code === 'ENXIO') throw new Error(`${quoted(path)}: is not a regular file`)
    throw new Error(`${quoted(path)}: cannot be opened (${code ?? (error as Error).message})`)
  }
  const stats = await handle.stat().catch(async (error: Error) => {
    await handle.close()
    throw error
  })
  if (!stats.isFile() || stats.nlink > 1) {
    await handle.close()
    if (!stats.isFile()) throw new Error(`${quoted(path)}: is not a regular file`)
    throw new HardLinkError(
      `${quoted(path)}: has ${stats.nlink} hard links; files with more than one are refused, since another name may lie outside the workspace`,
    )
  }
  return handle
}
