import { BatonError } from '../../errors/index.js'
import { defineScorer, type Scorer } from '../../goal/index.js'
import { describe } from '../../schema/index.js'

/**
 * Passes when the run cost at most `usd` (US dollars, from the price table).
 *
 * @example
 * scorers: [costAtMost(0.05)]
 */
export function costAtMost(usd: number): Scorer {
  check('costAtMost', usd, Number.isFinite(usd) && usd >= 0, 'an amount in USD (0 or more)')
  return defineScorer('costAtMost', ({ usage }) =>
    usage.costUsd <= usd
      ? { pass: true, score: 1, reason: `cost ${dollars(usage.costUsd)}, within ${dollars(usd)}` }
      : {
          pass: false,
          score: 0,
          reason: `expected a cost of at most ${dollars(usd)}, got ${dollars(usage.costUsd)}`,
        },
  )
}

/**
 * Passes when the run made at most `n` model calls (steps, sub-agents' included).
 *
 * @example
 * scorers: [stepsAtMost(4)]
 */
export function stepsAtMost(n: number): Scorer {
  check('stepsAtMost', n, Number.isInteger(n) && n >= 0, 'a whole number of steps (0 or more)')
  return defineScorer('stepsAtMost', ({ usage }) =>
    usage.steps <= n
      ? { pass: true, score: 1, reason: `${usage.steps} step(s), within ${n}` }
      : { pass: false, score: 0, reason: `expected at most ${n} step(s), got ${usage.steps}` },
  )
}

function check(name: string, value: unknown, ok: boolean, expected: string): void {
  if (typeof value !== 'number' || !ok)
    throw new BatonError('INVALID_DEFINITION', `${name}: expected ${expected}, got ${describe(value)}`, {
      details: { value },
    })
}

function dollars(usd: number): string {
  return `$${usd.toFixed(usd !== 0 && usd < 0.01 ? 6 : 4)}`
}
