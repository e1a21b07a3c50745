import * as crypto from 'node:crypto'

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
