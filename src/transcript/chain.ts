/**
 * The transcript's hash chain. Every line ends in `"chain":"<n>.<digest>"`, where `n` is its line
 * number (the header is line 1) and the digest is the SHA-256 of the digest of the line before,
 * `n`, and the line as stored without its chain field (redacted text: what is verified is what
 * is kept). The digest of a finished run's last line (its `run.end`) is the run's digest. A
 * signed run adds `.<signature>` to some lines' chain fields: an Ed25519 signature of
 * `baton-transcript\n<n>\n<digest>`, made when the writer writes those lines out (each step's
 * end), so a crashed run's prefix is signed too.
 */
import * as crypto from 'node:crypto'
import { BatonError } from '../errors/index.js'
import { readTextFile } from '../files/read-text.js'

/** A chain field at the very end of a line, and what it holds. */
const CHAIN_FIELD = /,"chain":"(\d+)\.([0-9a-f]{64})(?:\.([A-Za-z0-9+/]+={0,2}))?"\}$/

// The one-shot `crypto.hash` (Node >= 20.12) is several times cheaper than createHash for short inputs.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash

/** The digest of line `n` whose text (without its chain field) is `body`, after the line whose digest is `before`. */
export function lineDigest(before: string, n: number, body: string): string {
  const text = `${before}\n${n}\n${body}`
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex')
}

/** `body` (a JSON object's text) with its chain field added. */
export function withChain(body: string, n: number, digest: string): string {
  return `${body.slice(0, -1)},"chain":"${n}.${digest}"}`
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
  if (key.includes('-----BEGIN')) return crypto.createPublicKey(key)
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(key) && key.length >= 40 && key.length <= 80)
    return crypto.createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' })
  return crypto.createPublicKey(readKeyFile(key, readFile))
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
