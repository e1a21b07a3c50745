import { createContext, Script } from 'node:vm'
import { compileGlob } from 'baton/glob'
import { bytesText } from './binary.js'
import { type Line, readLines } from './read-lines.js'
import { shownName } from './shown-name.js'
import { HardLinkError, isBinary, openFile } from './workspace-open.js'
import type { WorkspaceRoot } from './workspace-root.js'
import { type Entry, walk } from './workspace-walk.js'

/** What `search_files` takes from the model. */
export interface SearchInput {
  query: string
  regex?: boolean
  caseSensitive?: boolean
  path?: string
  glob?: string
}

/**
 * How much one call may look at: a workspace holding a home directory or a build tree must not
 * keep a call (and the run) reading for minutes. Past a limit the search stops and says so.
 */
export interface SearchLimits {
  /** Entries walked (files, directories, links), matching the glob or not. */
  entries: number
  /** Files opened and searched. */
  files: number
  /** Bytes read, all files together. */
  bytes: number
}

export const SEARCH_LIMITS: SearchLimits = { entries: 100_000, files: 5_000, bytes: 50_000_000 }

const MAX_MATCHES = 100
const MAX_MATCH_CHARS = 300
const MAX_SEARCHED_FILE_BYTES = 5_000_000
// A matched line is tested on its first 10,000 bytes: bounds the work a regular expression does.
const MAX_SEARCHED_LINE_BYTES = 10_000

/** The matching lines under a path of the workspace, as `path:line: text`, with notes on what was left out. */
export async function searchFiles(
  ws: WorkspaceRoot,
  input: SearchInput,
  signal: AbortSignal,
  limits: SearchLimits = SEARCH_LIMITS,
): Promise<string> {
  const matches = matcher(input)
  // Regular expression time left for this call (see matcher).
  const clock = { leftMs: REGEX_TIME_MS }
  const inGlob = input.glob ? compileGlob(input.glob) : () => true
  const { real, shown, stats } = await ws.existing(input.path ?? '.')
  const files: AsyncIterable<Entry> | Entry[] = stats.isDirectory()
    ? walk(ws, input.path ?? '.', real, true, signal)
    : [{ real, kind: stats.isFile() ? 'file' : 'other', size: stats.size }]
  const found: string[] = []
  // Lines wait in a batch, many files' worth, and are matched together: each match call has a
  // cost of its own (a regular expression's runs a watchdog thread), which, paid per file or per
  // chunk, added up over thousands of files.
  // Which file each line is from: one entry per file, at the index of its first line.
  const batch = { lines: [] as Line[], files: [] as { from: number; where: string }[], chars: 0 }
  const whereIs = (index: number) => batch.files.findLast((file) => file.from <= index)?.where ?? ''
  /** Matches the batch; false when the matches shown are as many as allowed. */
  const flush = (): boolean => {
    const { lines } = batch
    const hits = matches(
      lines.map((line) => line.text),
      whereIs,
      clock,
    )
    const wheres = hits.map(whereIs)
    Object.assign(batch, { lines: [], files: [], chars: 0 })
    for (const hit of hits) {
      const line = lines[hit]!
      if (found.length === MAX_MATCHES) {
        found.push(`[only the first ${MAX_MATCHES} matches are shown; narrow the search with path or glob]`)
        return false
      }
      const text = line.text.length > MAX_MATCH_CHARS ? `${line.text.slice(0, MAX_MATCH_CHARS)}…` : line.text
      found.push(`${wheres.shift()}:${line.number}: ${text}`)
    }
    return true
  }
  let full = false
  const seen = { entries: 0, files: 0, bytes: 0 }
  let stopped: string | undefined
  let tooLarge = 0
  let linked = 0
  search: for await (const file of files) {
    signal.throwIfAborted()
    if (++seen.entries > limits.entries) {
      stopped = `looking at ${limits.entries.toLocaleString('en-US')} entries`
      break
    }
    // Globs match the real name; the model reads it escaped.
    const path = await ws.relative(file.real)
    if (file.kind !== 'file' || !inGlob(path)) continue
    const where = shownName(path)
    if (file.size > MAX_SEARCHED_FILE_BYTES) {
      tooLarge++
      continue
    }
    if (seen.files === limits.files) {
      stopped = `${limits.files.toLocaleString('en-US')} files`
      break
    }
    if (seen.bytes + file.size > limits.bytes) {
      stopped = bytesText(limits.bytes)
      break
    }
    const handle = await openFile(ws, path, file.real, 'read').catch((error: Error) => {
      if (error instanceof HardLinkError) linked++
      return undefined
    })
    if (!handle) continue
    seen.files++
    try {
      if (await isBinary(handle)) continue
      // Read no further than the size allowed for: the file may be growing.
      const most = Math.min(MAX_SEARCHED_FILE_BYTES, limits.bytes - seen.bytes)
      for await (const lines of readLines(handle, MAX_SEARCHED_LINE_BYTES, most)) {
        signal.throwIfAborted()
        if (batch.files.at(-1)?.where !== where) batch.files.push({ from: batch.lines.length, where })
        for (const line of lines) {
          batch.lines.push(line)
          batch.chars += line.text.length
        }
        if (batch.lines.length >= BATCH_LINES || batch.chars >= BATCH_CHARS) {
          full = !flush()
          if (full) break search
        }
      }
      seen.bytes += Math.min((await handle.stat()).size, most)
    } finally {
      await handle.close()
    }
  }
  if (!full) flush()
  if (found.length === 0) found.push(`no matches for ${JSON.stringify(input.query)} in ${shown}`)
  if (tooLarge)
    found.push(`[${tooLarge} file(s) larger than ${bytesText(MAX_SEARCHED_FILE_BYTES)} were not searched]`)
  if (linked) found.push(`[${linked} file(s) with several hard links were not searched]`)
  if (stopped)
    found.push(`[the search stopped after ${stopped}; narrow it with path or glob to search the rest]`)
  return found.join('\n')
}

// A batch is matched once it holds this many lines or characters (bounding what it holds).
const BATCH_LINES = 50_000
const BATCH_CHARS = 1_000_000

/** Finds the indices of the matching lines; `where` names the file of a line, for an error. */
type Matcher = (lines: string[], where: (index: number) => string, clock: { leftMs: number }) => number[]

/** How long one search_files call may spend running a regular expression, all files together. */
const REGEX_TIME_MS = 2_000

// A function body, so that running it again in the same context declares nothing twice. The
// context's globals are read once: each read of one goes through the context's interceptor,
// which, per line, made a plain pattern over millions of short lines look like one that backtracks.
// The line being tested is kept in `at`, so that a pattern stopped can say in which file.
const REGEX_SCAN = new Script(
  '(() => { const all = lines, test = re, now = at; const hits = []; for (let i = 0; i < all.length; i++) { now[0] = i; if (test.test(all[i])) hits.push(i) } return hits })()',
)

/**
 * A substring, or a regular expression run under a time limit: a pattern that backtracks without
 * end, such as `(a+)+$`, would otherwise hold the process. It runs in a `vm` context whose
 * timeout interrupts it, a batch of lines at a time. The context is made once per call: making
 * one costs milliseconds, which, counted against the limit, took a plain pattern over a thousand
 * files for one that backtracks.
 */
function matcher({ query, regex, caseSensitive }: SearchInput): Matcher {
  if (regex) {
    let re: RegExp
    try {
      re = new RegExp(query, caseSensitive ? '' : 'i')
    } catch (error) {
      throw new Error(`not a valid regular expression: ${(error as Error).message}`)
    }
    const at = new Int32Array(1)
    const context = createContext({ re, at, lines: [] as string[] })
    return (lines, where, clock) => {
      if (lines.length === 0) return []
      context.lines = lines
      const started = performance.now()
      try {
        const hits = REGEX_SCAN.runInContext(context, { timeout: Math.max(1, Math.ceil(clock.leftMs)) })
        return Array.from(hits as number[])
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error
        throw new Error(
          `the regular expression ${JSON.stringify(query)} ran for more than ${REGEX_TIME_MS / 1000} s (stopped in ${where(at[0] ?? 0)}); nested quantifiers such as (a+)+ backtrack without end: simplify it, or search for a plain substring`,
        )
      } finally {
        clock.leftMs -= performance.now() - started
        context.lines = []
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
