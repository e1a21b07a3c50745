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
  return {
    kind: 'baton.scorer',
    name,
    async score(input, ctx) {
      return toScore(await fn(input, ctx))
    },
  }
}

export function isScorer(value: unknown): value is Scorer {
  return typeof value === 'object' && value !== null && (value as Scorer).kind === 'baton.scorer'
}

function toScore(value: Score | boolean | number): Score {
  if (typeof value === 'boolean') return { pass: value, score: value ? 1 : 0 }
  if (typeof value === 'number') return { pass: value >= 1, score: Math.max(0, Math.min(1, value)) }
  return value
}
