/**
 * Values as Baton keeps them in PostgreSQL's `jsonb` columns. `jsonb` refuses two things a
 * JavaScript string may hold: the NUL character (`\u0000`) and half a surrogate pair (a lone
 * `\ud800`). A tool that reads a binary file or cuts text in the middle of an emoji makes them,
 * and the run must not fail for it: such a value is kept as its JSON text inside an envelope
 * (`{ "$baton:json": "<JSON>" }`), which `fromJsonb` opens again. A value that already has the
 * envelope's shape is put in one too, so every value comes back as it was.
 */

const ENVELOPE = '$baton:json'

/** An escape in JSON text that `jsonb` refuses: `\u0000` or a surrogate, after an even run of backslashes. */
const REFUSED = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i

/** The JSON text to store for `value` in a `jsonb` column. */
export function toJsonb(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null'
  return REFUSED.test(text) || isEnvelope(value) ? JSON.stringify({ [ENVELOPE]: text }) : text
}

/** A value read from a `jsonb` column, as it was stored with `toJsonb`. */
export function fromJsonb<T = unknown>(stored: unknown): T {
  return (isEnvelope(stored) ? JSON.parse(stored[ENVELOPE]) : stored) as T
}

function isEnvelope(value: unknown): value is { [ENVELOPE]: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const keys = Object.keys(value)
  return (
    keys.length === 1 &&
    keys[0] === ENVELOPE &&
    typeof (value as Record<string, unknown>)[ENVELOPE] === 'string'
  )
}
