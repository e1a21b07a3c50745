import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import { isObjectOfStrings, unknownKey } from '../schema/known-keys.js'
import { secretRedactor } from '../transcript/redact.js'
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js'

/** What every provider adapter accepts. */
export interface ProviderOptions {
  /** Defaults to the provider's environment variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`). */
  apiKey?: string
  /** Defaults to `OPENAI_BASE_URL` / `ANTHROPIC_BASE_URL`, then the provider's own URL. */
  baseURL?: string
  /** Retry policy (attempts, backoff, per-attempt timeout); `false` makes one attempt only. */
  retry?: Partial<RetryPolicy> | false
  /** Extra headers on every request. */
  headers?: Record<string, string>
  /** Extra request fields sent as they are (temperature, top_p, seed, ...). */
  params?: Record<string, unknown>
  /** Output tokens asked for when the budget does not clip them. Default 4096. */
  maxTokens?: number
  /**
   * Whether this model's calls take part in the process's shared rate limits (`setRateLimits`)
   * and pauses (a provider's 429 `retry-after` or rate-limit headers hold every caller). Default
   * true; `false` for a model behind a gateway that limits calls itself.
   */
  sharedLimits?: boolean
  /**
   * Names the account (the API key) these calls are made with, for limits per key:
   * `setRateLimits({ 'key:team-a': { … } })` applies to the calls of every model with
   * `rateLimitKey: 'team-a'`. The key itself is never used for this.
   */
  rateLimitKey?: string
}

/** The longest wait or attempt timeout a retry policy may name. */
const MAX_RETRY_MS = 2_000_000_000

export function retryPolicy(option: ProviderOptions['retry']): RetryPolicy {
  if (option === false) return { ...DEFAULT_RETRY, maxAttempts: 1 }
  return { ...DEFAULT_RETRY, ...option }
}

/** Scrubs API keys (the configured one included) from anything that could reach an error or event. */
export function scrubber(apiKey: string | undefined): (text: string) => string {
  const redact = secretRedactor()
  if (!apiKey || apiKey.length < 8) return redact
  return (text) => redact(text.includes(apiKey) ? text.split(apiKey).join('[redacted]') : text)
}

/** An environment variable, or undefined when unset or empty. */
export function env(name: string): string | undefined {
  const value = process.env[name]
  return value ? value : undefined
}

const PROVIDER_KEYS = [
  'apiKey',
  'baseURL',
  'retry',
  'headers',
  'params',
  'maxTokens',
  'sharedLimits',
  'rateLimitKey',
]
const RETRY_KEYS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_RETRY))

// The SDKs' and other frameworks' names for these options.
const PROVIDER_HINTS = {
  baseUrl: 'baseURL',
  endpoint: 'baseURL',
  maxRetries: 'retry: { maxAttempts }',
  retries: 'retry: { maxAttempts }',
  timeout: 'retry: { timeoutMs }',
  temperature: 'params: { temperature }',
  top_p: 'params: { top_p }',
  seed: 'params: { seed }',
  maxOutputTokens: 'maxTokens',
  reasoningEffort: 'params',
  max_tokens: 'maxTokens',
  defaultHeaders: 'headers',
  organization: 'headers: { "OpenAI-Organization": … }',
  project: 'headers: { "OpenAI-Project": … }',
}

/**
 * Refuses what a model factory (`openai(model, options)`, say) cannot use, naming it, when the
 * model is made: a misspelt option would otherwise be dropped and the calls made without it.
 * `extra` are the factory's own options besides the common ones.
 */
export function checkProviderOptions(where: string, options: unknown, extra: readonly string[] = []): void {
  const fail = (message: string, field: string): never => {
    throw new BatonError('INVALID_OPTIONS', `${where}: ${message}`, { details: { field } })
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    fail(`options must be an object, got ${describe(options)}`, 'options')
  const given = options as Record<string, unknown>
  const unknown = unknownKey(
    Object.keys(given),
    new Set([...PROVIDER_KEYS, ...extra]),
    `${where} option`,
    PROVIDER_HINTS,
  )
  if (unknown) fail(`${unknown.key} ${unknown.problem}`, unknown.key)
  const { apiKey, baseURL, retry, headers, params, maxTokens, sharedLimits, rateLimitKey } = given
  // A key is never quoted: only its type is said.
  if (apiKey !== undefined && typeof apiKey !== 'string')
    fail(`apiKey must be a string, got ${typeof apiKey}`, 'apiKey')
  if (
    baseURL !== undefined &&
    (typeof baseURL !== 'string' || !/^https?:\/\/[^/]/.test(baseURL) || !URL.canParse(baseURL))
  )
    fail(
      `baseURL must be an http(s) URL such as "http://localhost:11434/v1", got ${describe(baseURL)}`,
      'baseURL',
    )
  if (headers !== undefined && !isObjectOfStrings(headers))
    fail('headers must be an object of strings', 'headers')
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))
    fail(`params must be an object of request fields, got ${describe(params)}`, 'params')
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && (maxTokens as number) > 0))
    fail(`maxTokens must be a positive whole number, got ${describe(maxTokens)}`, 'maxTokens')
  if (sharedLimits !== undefined && typeof sharedLimits !== 'boolean')
    fail(`sharedLimits must be true or false, got ${describe(sharedLimits)}`, 'sharedLimits')
  if (rateLimitKey !== undefined && (typeof rateLimitKey !== 'string' || rateLimitKey === ''))
    fail(`rateLimitKey must be a non-empty string, got ${describe(rateLimitKey)}`, 'rateLimitKey')
  if (retry === undefined || retry === false) return
  if (typeof retry !== 'object' || retry === null || Array.isArray(retry))
    fail(
      `retry must be false or { maxAttempts?, baseDelayMs?, maxDelayMs?, timeoutMs? }, got ${describe(retry)}`,
      'retry',
    )
  const policy = retry as Record<string, unknown>
  const odd = unknownKey(Object.keys(policy), RETRY_KEYS, 'retry option', {
    attempts: 'maxAttempts',
    retries: 'maxAttempts',
    timeout: 'timeoutMs',
  })
  if (odd) fail(`retry.${odd.key} ${odd.problem}`, `retry.${odd.key}`)
  for (const [key, value] of Object.entries(policy)) {
    const whole = key === 'maxAttempts'
    // A timer cannot wait longer (Node fires a longer one at once), the SDK's margin included.
    if (!whole && typeof value === 'number' && Number.isFinite(value) && value > MAX_RETRY_MS)
      fail(
        `retry.${key} must be at most ${MAX_RETRY_MS} ms (about 23 days: no timer waits longer), got ${value}`,
        `retry.${key}`,
      )
    const ok =
      typeof value === 'number' &&
      (whole
        ? Number.isInteger(value) && value >= 1
        : Number.isFinite(value) && value >= 0 && (key !== 'timeoutMs' || value > 0))
    if (!ok)
      fail(
        `retry.${key} must be ${whole ? 'a whole number of 1 or more' : 'a number of milliseconds'}, got ${describe(value)}`,
        `retry.${key}`,
      )
  }
}
