/**
 * The transcript's hash chain. Every line ends in `"chain":"<n>.<digest>"`, where `n` is its line
 * number (the header is line 1) and the digest is the SHA-256 of the digest of the line before,
 * `n`, and the line as stored without its chain field (redacted text: what is verified is what
 * is kept). The digest of a finished run's last line (its `run.end`) is the run's digest. A
 * signed run adds `.<signature>` to some lines' chain fields: an Ed25519 signature of
 * `baton-transcript\n<n>\n<digest>`, made when the writer writes those lines out (each step's
 * end), so a crashed run's prefix is signed too.
 */
import { isUtf8 } from 'node:buffer'
import * as crypto from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { BatonError } from '../errors/index.js'
import { readTextFile } from '../files/read-text.js'

/**
 * A chain field at the very end of a line, and what it holds, exactly as a writer writes it: the
 * line number without leading zeros, the digest in lower-case hex, and a signature (64 bytes) in
 * canonical base64. Anything else is refused rather than read the same way, so that no two ways
 * of writing a line verify alike.
 */
const CHAIN_FIELD = /,"chain":"([1-9]\d*)\.([0-9a-f]{64})(?:\.([A-Za-z0-9+/]{85}[AQgw]==))?"\}$/

// The one-shot `crypto.hash` (Node >= 20.12) is several times cheaper than createHash for short inputs.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash

/** The digest of line `n` whose text (without its chain field) is `body`, after the line whose digest is `before`. */
export function lineDigest(before: string, n: number, body: string): string {
  const text = `${before}\n${n}\n${body}`
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex')
}

/**
 * Line `n` as a writer writes it, with its newline: its text without the chain field is `open`,
 * then `inner`, then the closing brace (what `digest` covers); the chain field goes before that
 * brace. Taken in parts so that the line is one concatenation, with no copy of its text made
 * just to cut the brace off.
 */
export function withChain(open: string, inner: string, n: number, digest: string): string {
  return `${open}${inner},"chain":"${n}.${digest}"}\n`
}

/** The event (or header) a stored line holds: its JSON, without the line's chain field. */
export function lineRecord<T = Record<string, unknown>>(line: string): T {
  const record = JSON.parse(line) as Record<string, unknown>
  delete record.chain
  return record as T
}

/** A line taken apart: its text without the chain field, its number, digest and signature. */
export interface ChainedLine {
  body: string
  n: number
  digest: string
  signature: string | undefined
}

/** The chain field of a line, or undefined when it has none. */
export function splitChain(line: string): ChainedLine | undefined {
  const match = CHAIN_FIELD.exec(line)
  const n = Number(match?.[1])
  // A line number past what a count can hold was never written by a writer.
  if (!match || !Number.isSafeInteger(n)) return undefined
  return {
    body: `${line.slice(0, match.index)}}`,
    n,
    digest: match[2]!,
    signature: match[3],
  }
}

/** What a signature of line `n` signs. */
export function signedText(n: number, digest: string): Buffer {
  return Buffer.from(`baton-transcript\n${n}\n${digest}`, 'utf8')
}

/** The key a run is signed with, and how a transcript's header names it. */
export interface Signer {
  privateKey: crypto.KeyObject
  /** What the header records: the key's id and its public half (SPKI, base64). */
  header: { keyId: string; publicKey: string }
}

/**
 * A signer from a private key: a `KeyObject`, PEM text, or the path of a PEM file (from an
 * option, a file, or the `BATON_SIGNING_KEY` variable). Only Ed25519 keys are taken.
 */
export function signerFrom(key: crypto.KeyObject | string, readFile: (path: string) => string): Signer {
  let privateKey: crypto.KeyObject
  if (typeof key === 'string') {
    const pem = key.includes('-----BEGIN') ? key : readKeyFile(key, readFile)
    privateKey = crypto.createPrivateKey(pem)
  } else privateKey = key
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(
      `the signing key must be an Ed25519 private key, got ${privateKey.type === 'private' ? `a ${privateKey.asymmetricKeyType} key` : `a ${privateKey.type} key`}`,
    )
  const publicKey = crypto.createPublicKey(privateKey)
  return { privateKey, header: publicKeyHeader(publicKey) }
}

/** A public key as a header names it. */
export function publicKeyHeader(publicKey: crypto.KeyObject): { keyId: string; publicKey: string } {
  const der = publicKey.export({ type: 'spki', format: 'der' })
  return { keyId: keyIdOf(der), publicKey: der.toString('base64') }
}

/** A short, stable id of a public key: the first 16 hex digits of the SHA-256 of its SPKI form. */
export function keyIdOf(spki: Buffer): string {
  return crypto.createHash('sha256').update(spki).digest('hex').slice(0, 16)
}

/** A public key from PEM text, the path of a PEM file, or an SPKI in base64 (as a header holds it). */
export function publicKeyFrom(key: string, readFile: (path: string) => string): crypto.KeyObject {
  if (key.includes('-----BEGIN')) return pemPublicKey(key, 'the PEM text')
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(key) && key.length >= 40 && key.length <= 80)
    return crypto.createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' })
  return pemPublicKey(readKeyFile(key, readFile), `the key file ${key}`)
}

/** The public key PEM text holds, or why it holds none (OpenSSL's own words name no cause). */
function pemPublicKey(pem: string, what: string): crypto.KeyObject {
  if (!pem.includes('-----BEGIN')) throw new Error(`${what} holds no PEM key (-----BEGIN …)`)
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem))
    throw new Error(`${what} holds an encrypted private key: give its public key (openssl pkey -pubout)`)
  return crypto.createPublicKey(pem)
}

function readKeyFile(path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path)
  } catch (error) {
    throw new Error(
      `cannot read the key file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
}

/**
 * The signer of a run: its `sign` option, else the `BATON_SIGNING_KEY` variable (PEM text or a
 * path), else none. A key that cannot be used is an `INVALID_OPTIONS` error naming where it came
 * from, never its content.
 */
export function runSigner(
  option: crypto.KeyObject | string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Signer | undefined {
  const given = option ?? (env.BATON_SIGNING_KEY || undefined)
  if (given === undefined) return undefined
  const where = option !== undefined ? 'options.sign' : 'the BATON_SIGNING_KEY variable'
  try {
    return signerFrom(given, readTextFile)
  } catch (error) {
    const message = (error as Error).message
    // Node's own key errors name no content; ours say what is wrong.
    throw new BatonError(
      'INVALID_OPTIONS',
      `run: ${where}: ${message.startsWith('the signing key') || message.startsWith('cannot read') ? message : `not a usable private key (${message})`}`,
      {
        details: { field: 'sign' },
      },
    )
  }
}

/** The signature of line `n`, base64. */
export function sign(signer: Signer, n: number, digest: string): string {
  return crypto.sign(null, signedText(n, digest), signer.privateKey).toString('base64')
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

/** One line of a transcript file as read: its place, its text without its line end, and whether a line end followed. */
export interface RawLine {
  at: number
  text: string
  ended: boolean
  /** Its bytes are no UTF-8 (or its string holds half a surrogate pair): no writer wrote it. */
  notUtf8: boolean
}

const HALF_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The lines of a transcript's text, one at a time; a byte-order mark and the `\r` of CRLF line ends are not part of them. */
export function* linesOfText(text: string): Generator<RawLine> {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0
  for (let at = 1; start < text.length; at++) {
    const end = text.indexOf('\n', start)
    const line = text.slice(start, end === -1 ? text.length : end)
    const bare = line.endsWith('\r') ? line.slice(0, -1) : line
    yield { at, text: bare, ended: end !== -1, notUtf8: HALF_SURROGATE.test(bare) }
    if (end === -1) break
    start = end + 1
  }
}

/**
 * The lines of a transcript's bytes, given in pieces (a file read a piece at a time: no line is
 * kept once it is yielded, so a file larger than a string can hold is read too). Each line's
 * bytes must be UTF-8: invalid bytes would decode to U+FFFD, the same text as other bytes.
 */
export function* linesOfBytes(pieces: Iterable<Uint8Array>): Generator<RawLine> {
  let pending: Buffer[] = []
  let at = 0
  const line = (bytes: Buffer, ended: boolean): RawLine => {
    at++
    if (at === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
    if (bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -1)
    let text: string
    try {
      text = bytes.toString('utf8')
    } catch (error) {
      // Longer than a string can hold: no writer writes such a line, and it cannot be checked.
      throw new TranscriptUnreadable(`line ${at}: ${(error as Error).message}`, {
        cause: new Error(`line ${at} is too long to read (${bytes.length} bytes)`),
      })
    }
    return { at, text, ended, notUtf8: !isUtf8(bytes) }
  }
  for (const piece of pieces) {
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)
    let start = 0
    for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
      const part = bytes.subarray(start, end)
      yield line(pending.length > 0 ? Buffer.concat([...pending, part]) : part, true)
      pending = []
      start = end + 1
    }
    // A copy: the reader may fill the same buffer again.
    if (start < bytes.length) pending.push(Buffer.from(bytes.subarray(start)))
  }
  if (pending.length > 0) yield line(Buffer.concat(pending), false)
}

/** A transcript file that could not be read; `cause` is the system's error. */
export class TranscriptUnreadable extends Error {}

/**
 * The bytes of the file at `path`, a MiB at a time. It is opened at once (so that a missing file
 * or a directory fails here); a device, which would never end, is refused without being read.
 */
export function fileBytes(path: string): Iterable<Uint8Array> {
  const unreadable = (error: unknown) => new TranscriptUnreadable((error as Error).message, { cause: error })
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    throw unreadable(error)
  }
  try {
    const stats = fstatSync(fd)
    if (stats.isCharacterDevice() || stats.isBlockDevice())
      throw Object.assign(new Error('it is a device, not a file'), { code: 'EDEVICE' })
    if (stats.isDirectory()) throw Object.assign(new Error('it is a directory'), { code: 'EISDIR' })
  } catch (error) {
    closeSync(fd)
    throw unreadable(error)
  }
  return (function* () {
    const buffer = Buffer.allocUnsafe(1 << 20)
    try {
      for (;;) {
        let read: number
        try {
          read = readSync(fd, buffer, 0, buffer.length, null)
        } catch (error) {
          throw unreadable(error)
        }
        if (read === 0) return
        yield buffer.subarray(0, read)
      }
    } finally {
      closeSync(fd)
    }
  })()
}

/** The lines of a file one at a time, with one line of look-ahead, and what the last ones were. */
export class LineReader<T> {
  private ahead: RawLine | undefined
  private peeked = false
  private last: RawLine | undefined
  private beforeLast: RawLine | undefined
  /** `parse` takes a line apart, or says (undefined) that it is a last line cut off by a crash. */
  constructor(
    private readonly lines: Iterator<RawLine>,
    private readonly parse: (line: RawLine) => T | undefined,
  ) {}

  next(): RawLine | undefined {
    if (this.peeked) {
      this.peeked = false
      return this.ahead
    }
    const result = this.lines.next()
    if (result.done) return undefined
    this.beforeLast = this.last
    this.last = result.value
    return result.value
  }

  peek(): RawLine | undefined {
    if (!this.peeked) {
      this.ahead = this.next()
      this.peeked = true
    }
    return this.ahead
  }

  /** The next line taken apart, or undefined at the end (or at a cut-off last line). */
  nextLine(): T | undefined {
    const raw = this.next()
    return raw && this.parse(raw)
  }

  peekLine(): T | undefined {
    const raw = this.peek()
    return raw && this.parse(raw)
  }

  /** Reads on to the first line `test` takes (only what the test needs is kept). */
  find(test: (line: RawLine) => boolean): RawLine | undefined {
    for (let line = this.next(); line; line = this.next()) if (test(line)) return line
    return undefined
  }

  /** The last line was cut off by a crash: it has no line end and is not JSON. Reads to the end. */
  get cut(): boolean {
    while (this.next());
    return (
      this.last !== undefined && this.last.at > 1 && !this.last.ended && this.parse(this.last) === undefined
    )
  }

  /** The last whole line, unless it is the first (reads to the end). */
  lastWhole(): RawLine | undefined {
    const whole = this.cut ? this.beforeLast : this.last
    return whole && whole.at > 1 ? whole : undefined
  }

  close(): void {
    this.lines.return?.()
  }
}
