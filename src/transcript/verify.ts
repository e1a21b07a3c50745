/**
 * Checks a transcript's hash chain (and its signatures, given the public key) and says, in one
 * line, that it is intact, or where it was first changed and how: a line edited, deleted,
 * inserted, moved, or appended after the run's end; a signature that does not verify.
 */
import * as crypto from 'node:crypto'
import { BatonError } from '../errors/index.js'
import { readTextFile } from '../files/read-text.js'
import { keyIdOf, lineDigest, publicKeyFrom, signedText, splitChain } from './chain.js'

/** What `verifyTranscript` found. */
export interface Verification {
  /** The chain holds from the first line to the last whole one (and, given a key, the signatures). */
  intact: boolean
  /** False for a transcript written before lines were chained: there is nothing to check. */
  chained: boolean
  /** The run ended (its last line is its `run.end`); false for a run cut short. */
  finished: boolean
  /** Whole lines checked, and the events and agents among them. */
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

interface Line {
  /** Its place in the file, from 1. */
  at: number
  text: string
  type: unknown
  chain: ReturnType<typeof splitChain>
  /** What is wrong with a line that is not a JSON object. */
  broken?: 'blank' | 'not JSON' | 'not a JSON object'
}

/**
 * Verifies the text of a transcript (a string, or a Buffer of UTF-8). A last line cut off by a
 * crash is left out (the rest is checked, and the run is said to be unfinished); a line after the
 * header that is not a transcript line (blank, not JSON) is a change to the file. A first line
 * that is not a transcript's header throws `NotATranscript`; a key that cannot be used throws an
 * `INVALID_OPTIONS` error. Line ends converted to CRLF and a byte-order mark are not changes.
 */
export function verifyTranscript(text: string | Uint8Array, options: VerifyOptions = {}): Verification {
  const trusted = trustedKey(options.publicKey)
  const raw = textOf(text).split('\n')
  const endsCleanly = raw.at(-1) === ''
  if (endsCleanly) raw.pop()
  const lines: Line[] = []
  let cut = false
  raw.forEach((given, i) => {
    const textLine = given.endsWith('\r') ? given.slice(0, -1) : given
    let record: unknown
    let broken: Line['broken']
    try {
      record = JSON.parse(textLine)
      if (typeof record !== 'object' || record === null || Array.isArray(record)) broken = 'not a JSON object'
    } catch {
      if (i === raw.length - 1 && !endsCleanly && i > 0) {
        cut = true
        return
      }
      broken = textLine.trim() === '' ? 'blank' : 'not JSON'
    }
    if (broken && i === 0) throw new NotATranscript(`line 1 is ${broken === 'blank' ? 'blank' : broken}`)
    lines.push({
      at: i + 1,
      text: textLine,
      type: broken ? undefined : (record as { type?: unknown }).type,
      chain: broken ? undefined : splitChain(textLine),
      ...(broken ? { broken } : {}),
    })
  })
  const header = lines[0]
  if (header?.type !== 'header') throw new NotATranscript('its first line is not a Baton transcript header')
  const headerRecord = JSON.parse(header.text) as { signer?: { keyId?: unknown; publicKey?: unknown } }

  const report: Verification = {
    intact: false,
    chained: header.chain !== undefined,
    finished: lines.length > 1 && lines.at(-1)!.type === 'run.end',
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
    report.message =
      'not chained: this transcript was written before Baton chained its lines, so it cannot be verified'
    return report
  }
  const key = checkKey(trusted, report)
  if (report.problem) return finish(report, cut)

  let before = ''
  let expected = 1
  for (let p = 0; p < lines.length; p++) {
    const line = lines[p]!
    const chain = line.chain
    if (!chain) {
      report.problem = unchained(lines, p, expected)
      break
    }
    if (chain.n !== expected) {
      report.problem = misplaced(lines, p, expected)
      break
    }
    if (lineDigest(before, chain.n, chain.body) !== chain.digest) {
      // A line put in with a made-up digest is followed by the line whose place it took.
      const next = lines[p + 1]?.chain
      report.problem =
        next && next.n === chain.n
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
      break
    }
    if (key && chain.signature !== undefined) {
      if (
        !crypto.verify(null, signedText(chain.n, chain.digest), key, Buffer.from(chain.signature, 'base64'))
      ) {
        report.problem = {
          line: line.at,
          kind: 'signature',
          message: `line ${line.at}: its signature does not verify with the given key (forged, or the lines up to it were rewritten)`,
        }
        break
      }
      report.signer!.lastSignedLine = line.at
    }
    before = chain.digest
    expected++
    report.lines = line.at
    report.digest = chain.digest
    if (line.type === 'agent.start') report.agents++
    if (p > 0) report.events++
    if (line.type === 'run.end' && p < lines.length - 1) {
      const after = lines[p + 1]!
      report.problem = {
        line: after.at,
        kind: 'appended',
        message: `line ${after.at} was appended after the run's end`,
      }
      break
    }
  }
  if (!report.problem && key && report.signer) {
    const last = report.signer.lastSignedLine
    // A finished run signs its end; a crashed one is signed up to its last write.
    if (report.finished && last !== report.lines)
      report.problem = {
        line: report.lines,
        kind: 'unsigned',
        message: `lines ${last + 1} to ${report.lines} are not signed, though the run ended: they were added or rewritten without the key`,
      }
  }
  return finish(report, cut)
}

/** A line with no chain field at the place of line `expected`: put in, or an edited line. */
function unchained(lines: Line[], p: number, expected: number): NonNullable<Verification['problem']> {
  const line = lines[p]!
  const what = line.broken ? `it is ${line.broken}` : ''
  // The line that belongs here comes next: this one was put in; otherwise it took that line's place.
  if (!line.broken || lines[p + 1]?.chain?.n === expected)
    return {
      line: line.at,
      kind: 'inserted',
      message: `line ${line.at} was inserted: ${what || 'it has no place in the chain'}`,
    }
  return { line: line.at, kind: 'edited', message: `line ${line.at} was edited: ${what}` }
}

/** The text of a transcript given as a string or as bytes, without a byte-order mark. */
function textOf(given: string | Uint8Array): string {
  let text: string
  if (typeof given === 'string') text = given
  else if (given instanceof Uint8Array)
    text = Buffer.from(given.buffer, given.byteOffset, given.byteLength).toString('utf8')
  else
    throw new BatonError(
      'INVALID_OPTIONS',
      `verifyTranscript: expected the text of a transcript (a string or a Buffer), got ${given === null ? 'null' : typeof given}`,
    )
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/**
 * The key to check signatures with: a `KeyObject`, PEM text, an SPKI in base64, or a PEM file's
 * path. Only an Ed25519 public key (or a private key, whose public half is taken) is taken.
 */
export function trustedKey(
  given: crypto.KeyObject | string | undefined,
  where = 'verifyTranscript: options.publicKey',
): crypto.KeyObject | undefined {
  if (given === undefined) return undefined
  const fail = (why: string) => new BatonError('INVALID_OPTIONS', `${where}: ${why}`)
  let key: crypto.KeyObject
  if (given instanceof crypto.KeyObject) key = given
  else if (typeof given === 'string' && given.trim() !== '') {
    try {
      key = publicKeyFrom(given.trim(), readTextFile)
    } catch (error) {
      throw fail(`not a public key: ${(error as Error).message}`)
    }
  } else
    throw fail(
      `must be an Ed25519 public key: a KeyObject, PEM text, an SPKI in base64 or a PEM file's path, got ${typeof given === 'string' ? 'an empty string' : given === null ? 'null' : typeof given}`,
    )
  if (key.type === 'private') key = crypto.createPublicKey(key)
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519')
    throw fail(`must be an Ed25519 public key, got a ${key.asymmetricKeyType ?? key.type} key`)
  return key
}

/** The given key against the header's: the same key, or the reason it cannot be checked. */
function checkKey(given: crypto.KeyObject | undefined, report: Verification): crypto.KeyObject | undefined {
  if (!given) return undefined
  const id = keyIdOf(given.export({ type: 'spki', format: 'der' }))
  if (!report.signer) {
    report.problem = {
      line: 1,
      kind: 'unsigned',
      message: `not signed: the header names no signing key (expected key ${id})`,
    }
    return undefined
  }
  if (report.signer.keyId !== id) {
    report.problem = {
      line: 1,
      kind: 'key',
      message: `signed with key ${report.signer.keyId}, not with the given key ${id}`,
    }
    return undefined
  }
  report.signer.checked = true
  return given
}

/** Line `p` holds another place than `expected`: what became of the line that belongs there. */
function misplaced(lines: Line[], p: number, expected: number): NonNullable<Verification['problem']> {
  const line = lines[p]!
  const n = line.chain!.n
  if (n < expected)
    return {
      line: line.at,
      kind: 'inserted',
      message: `line ${line.at} was inserted: it repeats the place of line ${n}`,
    }
  const later = lines.findIndex((other, i) => i > p && other.chain?.n === expected)
  if (later === -1)
    return {
      line: line.at,
      kind: 'deleted',
      message:
        n === expected + 1
          ? `line ${expected} was deleted (the line now at ${line.at} was line ${n})`
          : `lines ${expected} to ${n - 1} were deleted (the line now at ${line.at} was line ${n})`,
    }
  const swapped = later === p + 1 && n === expected + 1
  return {
    line: line.at,
    kind: 'moved',
    message: swapped
      ? `lines ${line.at} and ${line.at + 1} were swapped`
      : `line ${expected} was moved to line ${lines[later]!.at}`,
  }
}

function finish(report: Verification, cut: boolean): Verification {
  report.intact = report.problem === undefined
  if (report.problem) {
    report.message = `tampered: ${report.problem.message}`
    return report
  }
  const what = `${report.events} events, ${report.agents} agent${report.agents === 1 ? '' : 's'}`
  const signed = !report.signer
    ? 'not signed'
    : report.signer.checked
      ? report.signer.lastSignedLine === report.lines
        ? `signed by key ${report.signer.keyId}, signatures verified`
        : `signed by key ${report.signer.keyId}, signatures verified up to line ${report.signer.lastSignedLine} (the lines after it were not signed yet when the run stopped)`
      : `signed by key ${report.signer.keyId} (give its public key to check the signatures)`
  report.message = report.finished
    ? `intact: ${what}, run digest ${report.digest}; ${signed}`
    : `intact up to line ${report.lines} (${what}), but unfinished: the run did not end${cut ? ' and its last line was cut off' : ''}; ${signed}`
  return report
}
