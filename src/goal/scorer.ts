import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import type { Score, ScoreContext, ScoreInput, Scorer } from './types.js'

/**
 * Makes a scorer from a function. Return a `Score`, a boolean, or a number in [0, 1]
 * (passing at 1).
 *
 * @example
 * const mentionsLisbon = defineScorer('mentions-lisbon', ({ text }) => text.includes('Lisbon'))
 */
export function defineScorer<O = unknown>(
  name: string,
  fn: (
    input: ScoreInput<O>,
    ctx: ScoreContext,
  ) => Score | boolean | number | Promise<Score | boolean | number>,
): Scorer<O> {
  if (typeof name !== 'string' || name.trim() === '')
    throw new BatonError(
      'INVALID_DEFINITION',
      `defineScorer: the first argument is the scorer's name, a non-empty string; got ${describe(name)}`,
    )
  if (typeof fn !== 'function')
    throw new BatonError(
      'INVALID_DEFINITION',
      `defineScorer "${name}": the second argument is the scoring function, got ${describe(fn)}`,
    )
  return {
    kind: 'baton.scorer',
    name,
    async score(input, ctx) {
      return toScore(await fn(input, ctx))
    },
  }
}

/**
 * What a scorer returned, checked: a `Score` with a boolean `pass` and a `score` from 0 to 1. Anything
 * else is a mistake in the scorer, not a failed answer: a `GOAL_CHECK_FAILED` error says so, its
 * message starting `returned …` for the caller to put the scorer's name before.
 */
export function checkedScore(verdict: unknown, scorer: string): Score {
  const score = verdict as Score
  if (
    typeof verdict === 'object' &&
    verdict !== null &&
    typeof score.pass === 'boolean' &&
    typeof score.score === 'number' &&
    score.score >= 0 &&
    score.score <= 1 &&
    (score.reason === undefined || typeof score.reason === 'string')
  )
    return score
  throw new BatonError(
    'GOAL_CHECK_FAILED',
    `returned ${shownValue(verdict)}, not a score: a scorer returns { pass: boolean, score: number from 0 to 1, reason?: string } (defineScorer's function may also return true, false or a number)`,
    { details: { scorer } },
  )
}

export function isScorer(value: unknown): value is Scorer {
  return typeof value === 'object' && value !== null && (value as Scorer).kind === 'baton.scorer'
}

function toScore(value: Score | boolean | number): Score {
  if (typeof value === 'boolean') return { pass: value, score: value ? 1 : 0 }
  if (typeof value === 'number' && Number.isFinite(value))
    return { pass: value >= 1, score: Math.max(0, Math.min(1, value)) }
  // Anything else is checked where it is used (checkedScore).
  return value as Score
}

/** A returned value as a message shows it: a small object as its JSON. */
export function shownValue(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return describe(value)
  try {
    const json = JSON.stringify(value)
    return json.length > 80 ? `${json.slice(0, 80)}…` : json
  } catch {
    return 'an object that is not JSON'
  }
}
