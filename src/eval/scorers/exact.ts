import { defineScorer, type Scorer } from '../../goal/index.js'
import { formatPath } from '../../schema/index.js'
import { excerpt, parseJson, show } from './show.js'

/**
 * Passes when the output equals `expected` (deep equality; key order does not matter), or the
 * case's `expected` when called without an argument. Text is compared trimmed; a structured
 * output is compared with an expected string through its final answer text.
 *
 * @example
 * cases: [{ name: 'capital', input: 'Capital of Portugal? One word.', expected: 'Lisbon' }],
 * scorers: [exact()]
 */
export function exact(expected?: unknown): Scorer {
  return defineScorer('exact', ({ output, text, expected: fromCase }) => {
    const want = expected === undefined ? fromCase : expected
    if (want === undefined)
      return {
        pass: false,
        score: 0,
        reason: 'nothing to compare with: give exact(value) or an `expected` value in the case',
      }
    if (typeof want === 'string') {
      const got = typeof output === 'string' ? output : text
      return got.trim() === want.trim()
        ? { pass: true, score: 1, reason: `the answer is ${excerpt(want)}` }
        : { pass: false, score: 0, reason: `expected ${excerpt(want)}, got ${excerpt(got)}` }
    }
    let got: unknown = output
    if (typeof output === 'string') {
      const parsed = parseJson(output)
      if (!parsed.ok)
        return {
          pass: false,
          score: 0,
          reason: `expected ${show(want)}, got the text ${excerpt(output)} (not JSON)`,
        }
      got = parsed.value
    }
    const diff = firstDifference(want, got, [])
    if (!diff) return { pass: true, score: 1, reason: `the output equals ${show(want)}` }
    const where = diff.path.length ? `at ${formatPath(diff.path)}: ` : ''
    return { pass: false, score: 0, reason: `${where}expected ${show(diff.want)}, got ${show(diff.got)}` }
  })
}

interface Difference {
  path: (string | number)[]
  want: unknown
  got: unknown
}

/** The first place where two JSON values differ, with the path to it. */
export function firstDifference(
  want: unknown,
  got: unknown,
  path: (string | number)[],
): Difference | undefined {
  if (Object.is(want, got)) return undefined
  if (typeof want !== 'object' || typeof got !== 'object' || want === null || got === null)
    return { path, want, got }
  if (Array.isArray(want) !== Array.isArray(got)) return { path, want, got }
  if (Array.isArray(want) && Array.isArray(got)) {
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      const diff = firstDifference(want[i], got[i], [...path, i])
      if (diff) return diff
    }
    return undefined
  }
  const a = want as Record<string, unknown>
  const b = got as Record<string, unknown>
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const diff = firstDifference(a[key], b[key], [...path, key])
    if (diff) return diff
  }
  return undefined
}
