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
