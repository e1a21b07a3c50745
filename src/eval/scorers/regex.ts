import { BatonError } from '../../errors/index.js'
import { defineScorer, type Scorer } from '../../goal/index.js'
import { excerpt } from './show.js'

/**
 * Passes when the final answer text matches `re`.
 *
 * @example
 * scorers: [regex(/\b\d{4}-\d{2}-\d{2}\b/)]
 */
export function regex(re: RegExp): Scorer {
  if (!(re instanceof RegExp))
    throw new BatonError('INVALID_DEFINITION', `regex: expected a RegExp, got ${typeof re}`, {
      details: { value: re },
    })
  // Without g and y, `test` keeps no state between answers.
  const pattern = new RegExp(re.source, re.flags.replace(/[gy]/g, ''))
  return defineScorer('regex', ({ text }) =>
    pattern.test(text)
      ? { pass: true, score: 1, reason: `the answer matches ${pattern}` }
      : { pass: false, score: 0, reason: `expected the answer to match ${pattern}, got ${excerpt(text)}` },
  )
}
