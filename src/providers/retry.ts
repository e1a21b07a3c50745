/**
 * @module providers
 * One retry policy for every provider: exponential backoff with jitter, honouring
 * `retry-after-ms` and `retry-after`, bounded by attempts, by the per-attempt timeout, by the
 * caller's deadline (the wall-clock budget) and by its abort signal. The SDKs' own retries are
 * off, so this is the only place a request is repeated, and every repeat is reported.
 */
import { systemClock } from '../effects/clock.js'
import { BatonError } from '../errors/index.js'
import { retryAfter } from '../limits/headers.js'
import type { GenerateOptions, ModelClock, RetryInfo } from '../model/types.js'

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 4. */
  maxAttempts: number
  /** The first backoff; doubled each time. Default 500 ms. */
  baseDelayMs: number
  /** No single wait is longer; a `retry-after` asking for more ends the call. Default 30 s. */
  maxDelayMs: number
  /** Each attempt is abandoned (and retried) after this long. Default 120 s. */
  timeoutMs: number
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 120_000,
}

const RETRY_STATUS = new Set([408, 409, 429, 500, 502, 503, 504, 529])
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
])

/** How one attempt failed. */
export interface Failure {
  retryable: boolean
  code: string
  status?: number
  message: string
  retryAfterMs?: number
}

class AttemptTimeout extends Error {}

/** What an adapter throws for a response that broke off or came back empty: retried like a network error. */
export function retryableError(
  code: 'STREAM_CUT' | 'EMPTY_RESPONSE' | 'MALFORMED_RESPONSE',
  message: string,
): BatonError {
  return new BatonError('MODEL_ERROR', message, { details: { code, retryable: true } })
}

export interface RetryContext extends GenerateOptions {
  /** Removes secrets from messages before they reach an error or an event. */
  scrub: (text: string) => string
  random?: () => number
}

/**
 * Runs `attempt` until it succeeds or a failure cannot (or may no longer) be retried; then
 * throws a `BatonError` with code `MODEL_ERROR` carrying the provider's own message, after the
 * model's id (`anthropic:claude-sonnet-4-5: Overloaded`), so that the models of a chain on one
 * provider are told apart. `details.provider` is that id too.
 */
export async function withRetries<T>(
  model: string,
  attempt: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  context: RetryContext,
): Promise<T> {
  for (let n = 1; ; n++) {
    const run = startAttempt(policy, context.signal, context.clock)
    try {
      return await attempt(run.signal)
    } catch (error) {
      await afterFailure(model, error, n, run.signal, policy, context)
    } finally {
      run.end()
    }
  }
}

/** One attempt's signal: aborted by the caller's signal or by the per-attempt timeout. */
export function startAttempt(
  policy: RetryPolicy,
  outer: AbortSignal | undefined,
  clock: ModelClock = systemClock,
): { signal: AbortSignal; end(): void } {
  if (outer?.aborted) throw outer.reason
  const controller = new AbortController()
  const onAbort = () => controller.abort(outer?.reason)
  outer?.addEventListener('abort', onAbort, { once: true })
  const cancel = clock.setTimeout(
    () => controller.abort(new AttemptTimeout(`no answer within ${policy.timeoutMs} ms`)),
    policy.timeoutMs,
  )
  return {
    signal: controller.signal,
    end() {
      cancel()
      outer?.removeEventListener('abort', onAbort)
    },
  }
}

/**
 * After attempt `n` failed: throws when it must not be retried, otherwise reports the retry
 * and waits the backoff (or what the provider asked for).
 */
export async function afterFailure(
  model: string,
  error: unknown,
  n: number,
  attemptSignal: AbortSignal,
  policy: RetryPolicy,
  context: RetryContext,
): Promise<void> {
  const outer = context.signal
  if (outer?.aborted) throw outer.reason
  const clock = context.clock ?? systemClock
  const failure = classify(error, attemptSignal, context.scrub)
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1))
  const delayMs = Math.round(
    failure.retryAfterMs ?? backoff / 2 + ((context.random ?? Math.random)() * backoff) / 2,
  )
  const tooLong = failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxDelayMs
  const pastDeadline = context.deadline !== undefined && clock.now() + delayMs >= context.deadline
  if (!failure.retryable || n >= policy.maxAttempts || tooLong || pastDeadline) {
    const why = !failure.retryable
      ? ''
      : n >= policy.maxAttempts
        ? policy.maxAttempts === 1
          ? ' (retries are off)'
          : ` (gave up after ${n} attempts)`
        : tooLong
          ? ` (the provider asks to wait ${failure.retryAfterMs} ms, more than maxDelayMs ${policy.maxDelayMs})`
          : ` (no retry: the wall-clock budget ends before ${delayMs} ms)`
    throw new BatonError('MODEL_ERROR', `${model}: ${failure.message}${why}`, {
      details: {
        provider: model,
        code: failure.code,
        status: failure.status,
        attempts: n,
        retryable: failure.retryable,
      },
    })
  }
  const info: RetryInfo = { attempt: n, delayMs, code: failure.code, message: failure.message }
  if (failure.status !== undefined) info.status = failure.status
  context.onRetry?.(info)
  await sleep(delayMs, outer, clock)
}

/** Classifies what an SDK (or an adapter) threw. */
export function classify(
  error: unknown,
  attemptSignal: AbortSignal,
  scrub: (text: string) => string,
): Failure {
  if (attemptSignal.aborted && attemptSignal.reason instanceof AttemptTimeout) {
    return { retryable: true, code: 'TIMEOUT', message: attemptSignal.reason.message }
  }
  const err = error as {
    status?: unknown
    headers?: unknown
    name?: string
    message?: string
    details?: Record<string, unknown>
  }
  if (error instanceof BatonError) {
    const code = typeof error.details?.code === 'string' ? error.details.code : error.code
    return { retryable: error.details?.retryable === true, code, message: scrub(error.message) }
  }
  const message = scrub(providerMessage(error))
  if (typeof err?.status === 'number') {
    const failure: Failure = {
      retryable: RETRY_STATUS.has(err.status) && !outOfCredit(error),
      code: tooLong(err.status, error, message) ? 'CONTEXT_LENGTH' : `HTTP_${err.status}`,
      status: err.status,
      message,
    }
    const after = retryAfterMs(err.headers)
    if (after !== undefined) failure.retryAfterMs = after
    return failure
  }
  const code = causeCode(error)
  // openai 6 leaves `name` as 'Error' on its connection errors: the class name tells.
  const kind = err?.name === 'Error' ? (error as object).constructor?.name : err?.name
  const network =
    kind === 'APIConnectionError' ||
    kind === 'APIConnectionTimeoutError' ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    /fetch failed|terminated|socket hang up|other side closed|^connection error|^request timed out/i.test(
      err?.message ?? '',
    )
  if (network) return { retryable: true, code: 'NETWORK', message: code ? `${message} (${code})` : message }
  // An `error` event in the middle of a stream (no HTTP status): overloaded and server errors pass.
  const type = (err as { error?: { error?: { type?: unknown }; type?: unknown } }).error
  const errorType = type?.error?.type ?? type?.type
  if (errorType === 'overloaded_error' || errorType === 'api_error' || errorType === 'server_error') {
    return { retryable: true, code: 'STREAM_ERROR', message }
  }
  // The Responses API can refuse a request as too long inside a stream that began with a 200.
  if (errorCode(error) === 'context_length_exceeded')
    return { retryable: false, code: 'CONTEXT_LENGTH', message }
  return { retryable: false, code: 'MODEL_ERROR', message }
}

const CONTEXT_WORDS =
  /context[_ ]length|context (window|limit)|maximum context|prompt is too long|input is too long|too many (input )?tokens|exceeds? the (model's )?(maximum|max)/i

/**
 * Whether a refused request was too long for the model's window (OpenAI's
 * `context_length_exceeded`, Anthropic's "prompt is too long" or "input length and `max_tokens`
 * exceed context limit"): a model with a bigger one may take it, so a fallback chain moves on.
 */
function tooLong(status: number, error: unknown, message: string): boolean {
  if (status === 413) return true
  if (status !== 400) return false
  return errorCode(error) === 'context_length_exceeded' || CONTEXT_WORDS.test(message)
}

/**
 * OpenAI answers an account out of credit with a 429 like a rate limit, but with the code
 * `insufficient_quota`: waiting does not help, so it is not retried.
 */
function outOfCredit(error: unknown): boolean {
  const err = error as { type?: unknown; error?: { type?: unknown } } | undefined
  return (
    errorCode(error) === 'insufficient_quota' ||
    err?.type === 'insufficient_quota' ||
    err?.error?.type === 'insufficient_quota'
  )
}

/** The provider's error code (OpenAI's `code`), on the SDK's error or in the body it carries. */
function errorCode(error: unknown): unknown {
  const err = error as { code?: unknown; error?: { code?: unknown } } | undefined
  return err?.code ?? err?.error?.code
}

/** A system error code (`ECONNRESET`, `UND_ERR_SOCKET`, ...) anywhere down the cause chain. */
function causeCode(error: unknown): string | undefined {
  let at = error as { code?: unknown; cause?: unknown } | undefined
  for (let depth = 0; at && depth < 6; depth++, at = at.cause as typeof at) {
    if (typeof at.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(at.code)) return at.code
  }
  return undefined
}

/** The provider's own error message, not the SDK's wrapping of it. */
function providerMessage(error: unknown): string {
  const err = error as { error?: { message?: unknown; error?: { message?: unknown } }; message?: unknown }
  const inner = err?.error?.error?.message ?? err?.error?.message
  if (typeof inner === 'string' && inner) return inner
  return typeof err?.message === 'string' ? err.message : String(error)
}

/**
 * `retry-after-ms` (milliseconds) or `retry-after` (seconds, or an HTTP date read against the
 * system time `systemNow`: a date is a time of the world, not of the run's clock). Header names
 * are matched whatever their case; a header sent twice counts its longest wait; a value that
 * cannot be read (negative, a word) is undefined, and the backoff applies.
 */
export function retryAfterMs(headers: unknown, systemNow: number = systemClock.now()): number | undefined {
  if (!headers || typeof headers !== 'object') return undefined
  const get = (name: string): string | null | undefined => {
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name)
    for (const [key, value] of Object.entries(headers))
      if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : String(value)
    return undefined
  }
  return retryAfter(get, systemNow)
}

function sleep(ms: number, signal: AbortSignal | undefined, clock: ModelClock): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      cancel()
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
