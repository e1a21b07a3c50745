import type { Redactor } from './redact.js'

// The transcript JSON of the value last serialized for a request hash (a model request's new
// messages), so that the line that records it reuses the text instead of serializing and
// scanning the messages a second time. One slot is enough: the request's line is written right
// after its hash is made, in the same synchronous step; anything else misses and is serialized.
let lastValue: object | undefined
let lastJson = ''
let lastRedact: Redactor | undefined
let lastDepth = 0

/** Remembers `json` as the transcript JSON of `value` at `depth` in its line, made with `redact`. */
export function rememberJson(value: object, json: string, redact: Redactor, depth: number): void {
  lastValue = value
  lastJson = json
  lastRedact = redact
  lastDepth = depth
}

/**
 * The JSON remembered for `value` (and then forgotten), when it was made with the same redactor
 * and for the same depth (the only two things besides the value that shape it); otherwise
 * undefined.
 */
export function knownJson(value: unknown, redact: Redactor, depth: number): string | undefined {
  if (value === undefined || value !== lastValue) return undefined
  lastValue = undefined
  return redact === lastRedact && depth === lastDepth ? lastJson : undefined
}
