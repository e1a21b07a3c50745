import { BatonError } from '../../errors/index.js'
import { defineScorer, type Scorer } from '../../goal/index.js'
import { checkOptionKeys } from '../../schema/known-keys.js'
import { excerpt } from './show.js'

const INCLUDES_KEYS: ReadonlySet<string> = new Set(['ignoreCase'])

export interface IncludesOptions {
  /** Compare without regard to case. Default false. */
  ignoreCase?: boolean
}

/**
 * Passes when the final answer text contains every one of `texts`; the score is the share found.
 *
 * @example
 * goal: includes(['Lisbon', 'Belém'])
 */
export function includes(texts: string | readonly string[], options: IncludesOptions = {}): Scorer {
  const wanted = typeof texts === 'string' ? [texts] : Array.isArray(texts) ? [...texts] : []
  if (wanted.length === 0 || wanted.some((t) => typeof t !== 'string' || t === ''))
    throw new BatonError(
      'INVALID_DEFINITION',
      'includes: expected a non-empty text or a list of non-empty texts',
      {
        details: { value: texts },
      },
    )
  checkOptionKeys(options, INCLUDES_KEYS, {
    where: 'includes',
    what: 'includes option',
    hints: { caseInsensitive: 'ignoreCase' },
  })
  const fold = (s: string) => (options.ignoreCase ? s.toLowerCase() : s)
  return defineScorer('includes', ({ text }) => {
    const haystack = fold(text)
    const missing = wanted.filter((t) => !haystack.includes(fold(t)))
    const score = (wanted.length - missing.length) / wanted.length
    if (missing.length === 0)
      return {
        pass: true,
        score,
        reason: `the answer includes ${wanted.map((t) => JSON.stringify(t)).join(', ')}`,
      }
    return {
      pass: false,
      score,
      reason: `expected the answer to include ${missing.map((t) => JSON.stringify(t)).join(', ')}, got ${excerpt(text)}`,
    }
  })
}
