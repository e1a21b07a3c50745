/**
 * What a provider's rate-limit headers say about when the next call may go: OpenAI's
 * `x-ratelimit-remaining-*` with `x-ratelimit-reset-*` (durations such as `1s`, `6m0s`, `20ms`),
 * Anthropic's `anthropic-ratelimit-*-remaining` with `-reset` (RFC 3339 times), and
 * `retry-after-ms` / `retry-after` on a refusal.
 */

/** A pause the provider asks for, in milliseconds from now, and why. */
export interface AskedPause {
  ms: number
  reason: 'retry-after' | 'provider-limit'
}

type HeaderGetter = (name: string) => string | null | undefined

const OPENAI_KINDS = ['requests', 'tokens'] as const
const ANTHROPIC_KINDS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const

/** The longest pause the headers of a response ask for, or undefined when they ask for none. */
export function askedPause(status: number, get: HeaderGetter, systemNow: number): AskedPause | undefined {
  let longest: AskedPause | undefined
  const consider = (ms: number | undefined, reason: AskedPause['reason']) => {
    if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return
    if (!longest || ms > longest.ms) longest = { ms, reason }
  }
  if (status === 429 || status === 503 || status === 529) consider(retryAfter(get, systemNow), 'retry-after')
  for (const kind of OPENAI_KINDS)
    if (get(`x-ratelimit-remaining-${kind}`)?.trim() === '0')
      consider(duration(get(`x-ratelimit-reset-${kind}`)), 'provider-limit')
  for (const kind of ANTHROPIC_KINDS)
    if (get(`anthropic-ratelimit-${kind}-remaining`)?.trim() === '0') {
      const reset = Date.parse(get(`anthropic-ratelimit-${kind}-reset`) ?? '')
      consider(Number.isNaN(reset) ? undefined : reset - systemNow, 'provider-limit')
    }
  return longest
}

function retryAfter(get: HeaderGetter, systemNow: number): number | undefined {
  const ms = Number(get('retry-after-ms'))
  if (get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms
  const after = get('retry-after')
  if (!after) return undefined
  const seconds = Number(after)
  if (Number.isFinite(seconds)) return seconds * 1000
  const date = Date.parse(after)
  return Number.isNaN(date) ? undefined : date - systemNow
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 }

/** An OpenAI reset duration (`1s`, `6m0s`, `1h2m3.5s`, `20ms`) in milliseconds. */
export function duration(text: string | null | undefined): number | undefined {
  if (!text) return undefined
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit!]!, 0)
}
