import { BatonError } from '../errors/index.js'
import { type EvalReport, parseReport } from '../eval/index.js'
import { fileProblem, readTextFile } from '../files/read-text.js'
import { deeperThan, MAX_DEPTH } from '../transcript/depth.js'
import { parseTranscript, type Transcript } from '../transcript/index.js'
import { type Verification, verifyTranscript } from '../transcript/verify.js'

/** What `baton view` can show: a transcript or an eval report. */
export type ViewInput =
  | { kind: 'transcript'; transcript: Transcript; verification?: Verification }
  | { kind: 'report'; report: EvalReport }

/** How to get a file the viewer takes: the fix part of every error. */
export const VIEW_INPUT_HINT =
  "baton view takes a transcript (JSONL, written by baton run --record <file> or run()'s record option) or an eval report (JSON, written by baton eval --json <file>)"

/**
 * Reads a file for the viewer and tells a transcript (line 1 is a header) from an eval report
 * (a JSON object with an "evals" list). Anything else throws a `BatonError` (code `TRANSCRIPT`)
 * whose message is one line: the file, the problem and the fix.
 */
export function readViewInput(path: string): ViewInput {
  let text: string
  try {
    text = readTextFile(path)
  } catch (error) {
    throw new BatonError(
      'TRANSCRIPT',
      `${path}: cannot read it (${fileProblem(error)}); ${VIEW_INPUT_HINT}`,
      {
        cause: error,
        details: { path },
      },
    )
  }
  return parseViewInput(text, path)
}

/** Like `readViewInput`, for text already in memory; `path` names it in errors. */
export function parseViewInput(text: string, path = '<input>'): ViewInput {
  // A byte-order mark an editor put in front is not part of the JSON.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const newline = text.indexOf('\n')
  const first = tryJson(newline < 0 ? text : text.slice(0, newline))
  if (isRecord(first) && first.type === 'header') {
    try {
      const transcript = parseTranscript(text, path)
      let verification: Verification | undefined
      try {
        verification = verifyTranscript(text)
      } catch {
        // What the reader took is shown; only the chain's verdict is left out.
      }
      return verification
        ? { kind: 'transcript', transcript, verification }
        : { kind: 'transcript', transcript }
    } catch (error) {
      if (!(error instanceof BatonError)) throw error
      const line = (error.details as { line?: number } | undefined)?.line
      // The header says it is one: drop the reader's "is this a Baton transcript?".
      const message = oneLine(error.message).replace(/; is this a Baton transcript\?$/, '')
      // A newer schema already says what to do ("upgrade Baton").
      if (/upgrade Baton|record the run again$/.test(message))
        throw new BatonError('TRANSCRIPT', message, { details: error.details })
      throw new BatonError(
        'TRANSCRIPT',
        `${message}; the transcript is damaged${line ? ` at line ${line}` : ''}: repair ${line ? 'that line' : 'it'} or record the run again`,
        { details: error.details },
      )
    }
  }
  const whole = newline < 0 ? first : tryJson(text)
  if (isRecord(whole) && Array.isArray(whole.evals)) {
    if (text.length > 2 * MAX_DEPTH && deeperThan(whole, MAX_DEPTH))
      throw new BatonError(
        'TRANSCRIPT',
        `${path}:1: the report is nested more than ${MAX_DEPTH} levels deep, which baton eval never writes: it is damaged; write it again with baton eval --json <file>`,
        { details: { path, line: 1 } },
      )
    try {
      return { kind: 'report', report: parseReport(text, path) }
    } catch (error) {
      if (!(error instanceof BatonError)) throw error
      throw new BatonError('TRANSCRIPT', `${oneLine(error.message)}; ${VIEW_INPUT_HINT}`)
    }
  }
  throw new BatonError(
    'TRANSCRIPT',
    `${path}: not a Baton transcript or eval report (${whatItIs(text, first, whole)}); ${VIEW_INPUT_HINT}`,
    {
      details: { path },
    },
  )
}

function whatItIs(text: string, first: unknown, whole: unknown): string {
  if (text.trim() === '') return 'the file is empty'
  if (isRecord(first) && typeof first.seq === 'number' && typeof first.type === 'string')
    return `line 1 is an event (${oneLine(String(first.type))}), not the header line: the start of the file is missing`
  if (isRecord(whole))
    return 'a JSON object without the "evals" list of a report, and no transcript header line'
  if (whole !== undefined) return 'JSON, but not an object'
  if (first === undefined) return 'line 1 is not JSON'
  if (isRecord(first)) return 'line 1 is JSON but not a transcript header ({"type":"header",...})'
  return 'line 1 is JSON but not an object'
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Error text on one line: no control characters (JSON errors quote the bad text), not too long. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ')
  return line.length > 400 ? `${line.slice(0, 399)}…` : line
}
