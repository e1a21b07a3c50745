/**
 * What a provider's rate-limit headers say about when the next call may go: OpenAI's
 * `x-ratelimit-remaining-*` with `x-ratelimit-reset-*` (durations such as `1s`, `6m0s`, `20ms`),
 * Anthropic's `anthropic-ratelimit-*-remaining` with `-reset` (RFC 3339 times), and
 * `retry-after-ms` / `retry-after` on a refusal. A header sent more than once reaches us as its
 * values joined with commas: each value is read, and the most cautious one counts (the longest
 * wait, the least left). A value that cannot be read says nothing.
 */

/** A pause the provider asks for, in milliseconds from now, and why. */
export interface AskedPause {
  ms: number
  reason: 'retry-after' | 'provider-limit'
}

export type HeaderGetter = (name: string) => string | null | undefined

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
    if (nothingLeft(get(`x-ratelimit-remaining-${kind}`)))
      consider(most(get(`x-ratelimit-reset-${kind}`), duration), 'provider-limit')
  for (const kind of ANTHROPIC_KINDS)
    if (nothingLeft(get(`anthropic-ratelimit-${kind}-remaining`)))
      consider(
        most(get(`anthropic-ratelimit-${kind}-reset`), (value) => {
          const at = rfc3339(value)
          return at === undefined ? undefined : at - systemNow
        }),
        'provider-limit',
      )
  return longest
}

/**
 * The wait a response asks for before the next attempt, in milliseconds: `retry-after-ms`, else
 * `retry-after` (seconds, or an HTTP date, read against the system time `systemNow`; a date
 * past is a wait of 0). Undefined when neither says anything that can be read (a negative number,
 * a word): the caller's own backoff applies.
 */
export function retryAfter(get: HeaderGetter, systemNow: number): number | undefined {
  const ms = most(get('retry-after-ms'), seconds)
  if (ms !== undefined) return ms
  return most(get('retry-after'), (value) => {
    const n = seconds(value)
    if (n !== undefined) return n * 1000
    const at = httpDate(value)
    return at === undefined ? undefined : Math.max(0, at - systemNow)
  })
}

/**
 * The values of a header that may have been sent more than once (joined with commas). The comma
 * after an HTTP date's weekday (`Wed, 21 Oct 2015 07:28:00 GMT`) is part of the date.
 */
export function headerValues(text: string | null | undefined): string[] {
  if (!text) return []
  return text
    .split(/(?<!\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*),/i)
    .map((value) => value.trim())
    .filter((value) => value !== '')
}

/** The largest reading of a header's values, or undefined when none can be read. */
function most(
  text: string | null | undefined,
  read: (value: string) => number | undefined,
): number | undefined {
  let found: number | undefined
  for (const value of headerValues(text)) {
    const n = read(value)
    if (n !== undefined && Number.isFinite(n) && (found === undefined || n > found)) found = n
  }
  return found
}

/** Whether a `remaining` header says nothing is left (0, or less, in any of its values). */
function nothingLeft(text: string | null | undefined): boolean {
  return headerValues(text).some((value) => /^-?\d+(?:\.\d+)?$/.test(value) && Number(value) <= 0)
}

/** A number of seconds (or milliseconds): digits, maybe with a fraction; nothing negative. */
function seconds(value: string): number | undefined {
  return /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) ? Number(value) : undefined
}

/** An HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`, and the older forms that begin with the weekday). */
function httpDate(value: string): number | undefined {
  if (!/^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i.test(value)) return undefined
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : at
}

/** An RFC 3339 time (`2025-01-01T00:00:30Z`, `2025-01-01T00:00:30.5+01:00`). */
function rfc3339(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/.test(value))
    return undefined
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : at
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 }

/** An OpenAI reset duration (`1s`, `6m0s`, `1h2m3.5s`, `20ms`) in milliseconds. */
export function duration(text: string | null | undefined): number | undefined {
  if (!text) return undefined
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit!]!, 0)
}
