/**
 * Checks a transcript's hash chain (and its signatures, given the public key) and says, in one
 * line, that it is intact, or where it was first changed and how: a line edited, deleted,
 * inserted, moved, or appended after the run's end; a signature that does not verify. The file
 * is read one line at a time (a transcript may be larger than a string can hold), and what is
 * hashed is the text its bytes hold: bytes that are no UTF-8 are a change, not a character.
 */
import * as crypto from 'node:crypto'
import { BatonError } from '../errors/index.js'
import {
  fileBytes,
  keyIdOf,
  LineReader,
  lineDigest,
  linesOfBytes,
  linesOfText,
  type RawLine,
  signedText,
  splitChain,
  TranscriptUnreadable,
  trustedKey,
} from './chain.js'

export { TranscriptUnreadable, trustedKey }

/** What `verifyTranscript` found. */
export interface Verification {
  /** The chain holds from the first line to the last whole one (and, given a key, the signatures). */
  intact: boolean
  /** False for a transcript written before lines were chained: there is nothing to check. */
  chained: boolean
  /** The run ended (its last line is its `run.end`); false for a run cut short. */
  finished: boolean
  /**
   * Whole lines checked, and the events and agents among them. Given a key, only the lines up to
   * the last signature that verified: nothing proves the lines after it.
   */
  lines: number
  events: number
  agents: number
  /** The digest of the last line checked: for a finished run, the run's digest. */
  digest: string | undefined
  /** The key the header says signed the run, and whether its signatures were checked and held. */
  signer: { keyId: string; checked: boolean; lastSignedLine: number } | undefined
  /** The first problem: its line (1 is the header) and what happened to it. */
  problem:
    | {
        line: number
        kind: 'edited' | 'deleted' | 'inserted' | 'moved' | 'appended' | 'signature' | 'unsigned' | 'key'
        message: string
      }
    | undefined
  /** All of it in one line, as `baton verify` prints it. */
  message: string
}

export interface VerifyOptions {
  /**
   * The public key the run must be signed with: a `KeyObject`, PEM text, the SPKI in base64 that
   * a transcript's header shows, or the path of a PEM file.
   */
  publicKey?: crypto.KeyObject | string
}

/** Not a transcript at all (exit 2 for `baton verify`). */
export class NotATranscript extends Error {}

type Problem = NonNullable<Verification['problem']>

interface Line {
  /** Its place in the file, from 1. */
  at: number
  type: unknown
  chain: ReturnType<typeof splitChain>
  /** Why a line has no chain: what is wrong with it, or that its chain field is not as written. */
  why?: string
  /** Its chain field names a place no writer could have written: it was put in. */
  noPlace?: boolean
}

/**
 * Verifies the text of a transcript (a string, or a Buffer of UTF-8). A last line cut off by a
 * crash is left out (the rest is checked, and the run is said to be unfinished); a line after the
 * header that is not a transcript line (blank, not JSON, not UTF-8) is a change to the file. A
 * first line that is not a transcript's header throws `NotATranscript`; a key that cannot be used
 * throws an `INVALID_OPTIONS` error. Line ends converted to CRLF and a byte-order mark are not
 * changes.
 */
export function verifyTranscript(text: string | Uint8Array, options: VerifyOptions = {}): Verification {
  const trusted = trustedKey(options.publicKey)
  if (typeof text === 'string') return verifyLines(linesOfText(text), trusted)
  if (text instanceof Uint8Array) return verifyLines(linesOfBytes([text]), trusted)
  throw new BatonError(
    'INVALID_OPTIONS',
    `verifyTranscript: expected the text of a transcript (a string or a Buffer), got ${text === null ? 'null' : typeof text}`,
  )
}

/**
 * Verifies the transcript file at `path`, read a piece at a time: its size is not bounded by
 * what a string can hold. A file that cannot be read throws `TranscriptUnreadable`.
 */
export function verifyTranscriptFile(path: string, options: VerifyOptions = {}): Verification {
  const trusted = trustedKey(options.publicKey)
  return verifyLines(linesOfBytes(fileBytes(path)), trusted)
}

/** Verifies the lines a source yields (the text of a file, or a file read piece by piece). */
export function verifyLines(lines: Iterable<RawLine>, trusted: crypto.KeyObject | undefined): Verification {
  const source = new LineReader(lines[Symbol.iterator](), parseLine)
  try {
    return check(source, trusted)
  } finally {
    source.close()
  }
}

function check(source: LineReader<Line>, key: crypto.KeyObject | undefined): Verification {
  const first = source.next()
  // The first line is never taken for a cut-off one: a file that does not start with a header is no transcript.
  const header = first && parseLine(first)
  if (header?.type === undefined && header?.why)
    throw new NotATranscript(`line 1 ${header.why.replace(/^it /, '')}`)
  if (!first || header?.type !== 'header')
    throw new NotATranscript('its first line is not a Baton transcript header')
  const headerRecord = JSON.parse(first.text) as {
    chain?: unknown
    signer?: { keyId?: unknown; publicKey?: unknown }
  }
  const report: Verification = {
    intact: false,
    // A header with a chain field that is not as written is chained, and changed.
    chained: headerRecord.chain !== undefined,
    finished: false,
    lines: 0,
    events: 0,
    agents: 0,
    digest: undefined,
    signer: undefined,
    problem: undefined,
    message: '',
  }
  const signer = headerRecord.signer
  if (typeof signer?.keyId === 'string')
    report.signer = { keyId: signer.keyId, checked: false, lastSignedLine: 0 }
  if (!report.chained) {
    report.finished = lastType(source) === 'run.end'
    report.message =
      'not chained: this transcript was written before Baton chained its lines, so it cannot be verified'
    return report
  }
  report.problem = headerKey(signer) ?? checkKey(key, report)
  // What the signatures prove, given a key: up to the last line whose signature verified.
  const proven = { lines: 0, events: 0, agents: 0, digest: undefined as string | undefined }
  let before = ''
  let expected = 1
  for (let line: Line | undefined = header; line && !report.problem; line = source.nextLine()) {
    const chain = line.chain
    if (!chain) report.problem = unchained(line, source.peekLine(), expected)
    else if (chain.n !== expected) report.problem = misplaced(line, expected, source)
    else if (lineDigest(before, chain.n, chain.body) !== chain.digest)
      // A line put in with a made-up digest is followed by the line whose place it took.
      report.problem =
        source.peekLine()?.chain?.n === chain.n
          ? {
              line: line.at,
              kind: 'inserted',
              message: `line ${line.at} was inserted before the line that holds its place`,
            }
          : {
              line: line.at,
              kind: 'edited',
              message: `line ${line.at} was edited: its content does not match its digest`,
            }
    else if (key && chain.signature !== undefined) {
      if (
        !crypto.verify(null, signedText(chain.n, chain.digest), key, Buffer.from(chain.signature, 'base64'))
      )
        report.problem = {
          line: line.at,
          kind: 'signature',
          message: `line ${line.at}: its signature does not verify with the given key (forged, or the lines up to it were rewritten)`,
        }
      else report.signer!.lastSignedLine = line.at
    }
    if (report.problem) break
    before = chain!.digest
    expected++
    report.lines = line.at
    report.digest = chain!.digest
    if (line.type === 'agent.start') report.agents++
    if (line.at > 1) report.events++
    if (report.signer?.lastSignedLine === line.at)
      Object.assign(proven, {
        lines: line.at,
        events: report.events,
        agents: report.agents,
        digest: chain!.digest,
      })
    const after = line.type === 'run.end' ? source.peek() : undefined
    // Nothing follows a run's end, not even the start of a line.
    if (after)
      report.problem = {
        line: after.at,
        kind: 'appended',
        message: `line ${after.at} was appended after the run's end`,
      }
  }
  report.finished = lastType(source) === 'run.end'
  const chainLines = report.lines
  if (key && report.signer) Object.assign(report, proven)
  if (!report.problem && key && report.signer) {
    const last = report.signer.lastSignedLine
    // A finished run signs its end; a crashed one is signed up to its last write.
    if (report.finished && last !== chainLines)
      report.problem = {
        line: chainLines,
        kind: 'unsigned',
        message: `lines ${last + 1} to ${chainLines} are not signed, though the run ended: they were added or rewritten without the key`,
      }
    else if (last === 0)
      report.problem = {
        line: 1,
        kind: 'unsigned',
        message: `no line is signed: nothing in it is proven by key ${report.signer.keyId}`,
      }
  }
  return finish(report, source.cut, chainLines)
}

/** A line taken apart: its type and chain field, or why it has none. */
function parseLine(raw: RawLine): Line | undefined {
  let record: unknown
  try {
    record = JSON.parse(raw.text)
  } catch {
    // Only a last line without its line end can have been cut off by a crash.
    if (!raw.ended && raw.at > 1) return undefined
    return {
      at: raw.at,
      type: undefined,
      chain: undefined,
      why: raw.text.trim() === '' ? 'it is blank' : 'it is not JSON',
    }
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return { at: raw.at, type: undefined, chain: undefined, why: 'it is not a JSON object' }
  const { type, chain: field } = record as { type?: unknown; chain?: unknown }
  // What a writer never writes does not verify as what it decodes to.
  if (raw.notUtf8) return { at: raw.at, type, chain: undefined, why: 'it is not valid UTF-8' }
  const chain = splitChain(raw.text)
  if (chain || field === undefined) return { at: raw.at, type, chain, ...(chain ? {} : { why: '' }) }
  const noPlace =
    typeof field === 'string' && /^\d+\./.test(field) && !Number.isSafeInteger(Number(field.split('.')[0]))
  return { at: raw.at, type, chain, why: 'its chain field is not written as Baton writes it', noPlace }
}

/** A line with no (readable) chain field at the place of line `expected`: put in, or in place of that line. */
function unchained(line: Line, next: Line | undefined, expected: number): Problem {
  // The line that belongs here comes next: this one was put in; otherwise it took that line's place.
  if (line.noPlace || next?.chain?.n === expected)
    return {
      line: line.at,
      kind: 'inserted',
      message: `line ${line.at} was inserted: ${line.why || 'it has no place in the chain'}`,
    }
  return {
    line: line.at,
    kind: 'edited',
    message: `line ${line.at} was edited: ${line.why || 'it has no chain field'}`,
  }
}

/** Line `line` holds another place than `expected`: what became of the line that belongs there. */
function misplaced(line: Line, expected: number, source: LineReader<Line>): Problem {
  const n = line.chain!.n
  if (n < expected)
    return {
      line: line.at,
      kind: 'inserted',
      message: `line ${line.at} was inserted: it repeats the place of line ${n}`,
    }
  const later = source.find((other) => splitChain(other.text)?.n === expected)
  if (!later)
    return {
      line: line.at,
      kind: 'deleted',
      message:
        n === expected + 1
          ? `line ${expected} was deleted (the line now at ${line.at} was line ${n})`
          : `lines ${expected} to ${n - 1} were deleted (the line now at ${line.at} was line ${n})`,
    }
  const swapped = later.at === line.at + 1 && n === expected + 1
  return {
    line: line.at,
    kind: 'moved',
    message: swapped
      ? `lines ${line.at} and ${line.at + 1} were swapped`
      : `line ${expected} was moved to line ${later.at}`,
  }
}

/** The header's signer names a key: its id must be that key's, or a reader is shown a false one. */
function headerKey(signer: { keyId?: unknown; publicKey?: unknown } | undefined): Problem | undefined {
  if (typeof signer?.keyId !== 'string' || typeof signer.publicKey !== 'string') return undefined
  const id = keyIdOf(Buffer.from(signer.publicKey, 'base64'))
  if (id === signer.keyId) return undefined
  return {
    line: 1,
    kind: 'edited',
    message: `line 1 was edited: its signer's key id ${signer.keyId} is not the id of the public key it names (${id})`,
  }
}

/** The given key against the header's: the same key, or the reason it cannot be checked. */
function checkKey(given: crypto.KeyObject | undefined, report: Verification): Problem | undefined {
  if (!given) return undefined
  const id = keyIdOf(given.export({ type: 'spki', format: 'der' }))
  if (!report.signer)
    return {
      line: 1,
      kind: 'unsigned',
      message: `not signed: the header names no signing key (expected key ${id})`,
    }
  if (report.signer.keyId !== id)
    return {
      line: 1,
      kind: 'key',
      message: `signed with key ${report.signer.keyId}, not with the given key ${id}`,
    }
  report.signer.checked = true
  return undefined
}

function finish(report: Verification, cut: boolean, chainLines: number): Verification {
  report.intact = report.problem === undefined
  if (report.problem) {
    report.message = `tampered: ${report.problem.message}`
    return report
  }
  const what = `${report.events} events, ${report.agents} agent${report.agents === 1 ? '' : 's'}`
  const signer = report.signer
  const signed = !signer
    ? 'not signed'
    : !signer.checked
      ? `signed by key ${signer.keyId} (give its public key to check the signatures)`
      : signer.lastSignedLine === chainLines
        ? `signed by key ${signer.keyId}, signatures verified`
        : `signed by key ${signer.keyId}, signatures verified up to line ${signer.lastSignedLine}; lines ${signer.lastSignedLine + 1} to ${chainLines} are not signed, so nothing proves them (the run's last write was cut short, or they were added without the key)`
  report.message = report.finished
    ? `intact: ${what}, run digest ${report.digest}; ${signed}`
    : `intact up to line ${report.lines} (${what}), but unfinished: the run did not end${cut ? ' and its last line was cut off' : ''}; ${signed}`
  return report
}

/** The type of the last whole line after the header: `run.end` for a finished run. */
function lastType(source: LineReader<Line>): unknown {
  const last = source.lastWhole()
  return last && parseLine(last)?.type
}
