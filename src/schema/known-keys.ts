/**
 * Definitions refuse keys they do not know: a misspelt option, or one a user brings from another
 * agent framework, would otherwise be dropped without a word. The message points to Baton's name.
 */

import { BatonError, type ErrorCode } from '../errors/index.js'
import { describe } from './to-schema.js'

/** What other frameworks call an option of Baton's, or a common misspelling: key → Baton's option. */
export type KeyHints = Readonly<Record<string, string>>

/**
 * The first of `keys` that is not in `known`, with what is wrong with it: `is not a known <what>
 * (did you mean <x>?) (known: …)`, `what` being e.g. "agent option", listing `listed` (default:
 * `known`). Undefined when every key is known.
 */
export function unknownKey(
  keys: readonly string[],
  known: ReadonlySet<string>,
  what: string,
  hints: KeyHints = {},
  listed: Iterable<string> = known,
): { key: string; problem: string } | undefined {
  const key = keys.find((k) => !known.has(k))
  if (key === undefined) return undefined
  const hint = Object.hasOwn(hints, key) ? hints[key] : sameLetters(key, known)
  return {
    key,
    problem: `is not a known ${what}${hint ? ` (did you mean ${hint}?)` : ''} (known: ${[...listed].join(', ')})`,
  }
}

/**
 * A known key spelt nearly the same: but for case, `_` and `-` (`max_result_chars` →
 * maxResultChars), or a letter or two off (`breakr` → breaker, `recrod` → record).
 */
function sameLetters(key: string, known: ReadonlySet<string>): string | undefined {
  const plain = (s: string) => s.toLowerCase().replace(/[-_]/g, '')
  const given = plain(key)
  const keys = [...known]
  const same = keys.find((k) => plain(k) === given)
  if (same !== undefined || given.length < 4) return same
  const allowed = given.length < 8 ? 1 : 2
  return keys.find((k) => editDistance(plain(k), given) <= allowed)
}

/**
 * Letters to insert, delete, change or swap with the next to turn `a` into `b`; 3 for words whose
 * lengths differ by more than 2 (only near words are of interest).
 */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = d
    }
  return rows[a.length]![b.length]!
}

/**
 * Throws a `code` error (`<where>: …`) when `options` is not an object or has a key not in
 * `known`; `what` names them in the message ("fallback option").
 */
export function checkOptionKeys(
  options: unknown,
  known: ReadonlySet<string>,
  {
    where,
    what,
    hints = {},
    code = 'INVALID_DEFINITION',
  }: { where: string; what: string; hints?: KeyHints; code?: ErrorCode },
): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new BatonError(code, `${where}: options must be an object, got ${describe(options)}`, {
      details: { field: 'options' },
    })
  const unknown = unknownKey(Object.keys(options), known, what, hints)
  if (unknown)
    throw new BatonError(code, `${where}: ${unknown.key} ${unknown.problem}`, {
      details: { field: unknown.key },
    })
}

/** Whether `value` is an object whose values are all strings (or undefined, with `orUndefined`). */
export function isObjectOfStrings(value: unknown, orUndefined = false): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string' || (orUndefined && v === undefined))
  )
}
