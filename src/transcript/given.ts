import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import { readTranscript } from './reader.js'
import type { Transcript } from './types.js'

/**
 * The transcript a public function was given: a `Transcript` (from `readTranscript` or
 * `parseTranscript`), or, where `paths` is set, the path of a file to read. Anything else is an
 * `INVALID_OPTIONS` error that says what `where` expected and what it got.
 */
export function givenTranscript(given: unknown, where: string, { paths = false } = {}): Transcript {
  if (paths && typeof given === 'string' && given !== '') return readTranscript(given)
  const shaped = given as Partial<Transcript> | null
  if (
    typeof shaped === 'object' &&
    shaped !== null &&
    typeof shaped.header === 'object' &&
    shaped.header !== null &&
    Array.isArray(shaped.events)
  )
    return shaped as Transcript
  throw new BatonError(
    'INVALID_OPTIONS',
    `${where}: expected ${paths ? 'the path of a transcript or ' : ''}a Transcript (from readTranscript or parseTranscript), got ${describe(given)}`,
  )
}
