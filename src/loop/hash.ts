import * as crypto from 'node:crypto'
import type { Redactor } from '../transcript/redact.js'
import { transcriptJson } from '../transcript/transcript-json.js'

// The one-shot `crypto.hash` (Node >= 20.12) is several times cheaper than createHash for
// short inputs, and this runs once per model request.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash

/** A 32-hex-digit SHA-256 prefix of `text`. */
export function hashText(text: string): string {
  const hex = oneShot
    ? oneShot('sha256', text, 'hex')
    : crypto.createHash('sha256').update(text).digest('hex')
  return hex.slice(0, 32)
}

/**
 * A hash of `value` as a transcript holds it (secrets redacted): a replay computes it from the
 * redacted recording and must find the hash the live run recorded. `depth` is where the value
 * sits in its transcript line (see `transcriptJson`).
 */
export function transcriptHash(prefix: string, value: unknown, redact: Redactor, depth: number): string {
  return hashText(`${prefix}${transcriptJson(value, redact, depth)}`)
}
