import { deeperThan, MAX_DEPTH } from './depth.js'
import { type Redactor, redactValue } from './redact.js'

/**
 * The JSON a transcript holds for `value`: secrets redacted, never throwing (BigInts as strings,
 * cycles as "[Circular]"), nested no deeper than a reader accepts. `depth` is where `value` sits
 * in its line (1: it is the line), so that a value hashed alone is cut where its line is cut.
 * Most values hold nothing to redact and are written as JSON.stringify writes them.
 */
export function transcriptJson(value: unknown, redact: Redactor, depth = 1): string {
  const room = MAX_DEPTH - depth + 1
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    // A cycle, a BigInt, or nesting too deep for the stack: the walk below copes with all three.
  }
  // A value nested n deep takes at least 2n characters, so short lines need no depth check.
  if (text !== undefined && !redact.mayHold(text) && (text.length <= 2 * room || !tooDeep(value, room)))
    return text
  return JSON.stringify(redactValue(value, redact, depth)) ?? 'null'
}

function tooDeep(value: unknown, room: number): boolean {
  try {
    return deeperThan(value, room)
  } catch {
    // A getter that throws the second time it is read: the walk copes with it.
    return true
  }
}
