import { describe, expect, it } from 'vitest'
import { BatonError } from '../errors/index.js'
import type { RetryInfo } from '../model/types.js'
import { fakeClock } from '../testing/index.js'
import { anthropic, compatible, openai } from './index.js'
import {
  classify,
  DEFAULT_RETRY,
  type RetryPolicy,
  retryAfterMs,
  retryableError,
  withRetries,
} from './retry.js'

const fast: RetryPolicy = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 200, timeoutMs: 1_000 }
const scrub = (text: string) => text.replaceAll('sk-secret-key-123456789', '[redacted]')

/** An SDK-like HTTP error. */
function httpError(status: number, message: string, headers: Record<string, string> = {}) {
  return Object.assign(new Error(`${status} ${message}`), {
    status,
    headers: new Headers(headers),
    error: { error: { message } },
  })
}

/** A call that fails with `failures` in turn, then answers. */
function flaky<T>(failures: unknown[], answer: T) {
  let calls = 0
  const signals: AbortSignal[] = []
  const attempt = async (signal: AbortSignal) => {
    signals.push(signal)
    const failure = failures[calls++]
    if (failure !== undefined) throw failure
    return answer
  }
  return { attempt, calls: () => calls, signals }
}

describe('withRetries', () => {
  it.each([408, 409, 429, 500, 502, 503, 504, 529])(
    'retries HTTP %i and reports each retry',
    async (status) => {
      const retries: RetryInfo[] = []
      const call = flaky([httpError(status, 'busy'), httpError(status, 'still busy')], 'ok')
      const result = await withRetries('openai', call.attempt, fast, {
        scrub,
        onRetry: (r) => retries.push(r),
      })
      expect(result).toBe('ok')
      expect(call.calls()).toBe(3)
      expect(retries.map((r) => [r.attempt, r.code, r.status])).toEqual([
        [1, `HTTP_${status}`, status],
        [2, `HTTP_${status}`, status],
      ])
    },
  )

  it.each([400, 401, 403, 404, 422])(
    'does not retry HTTP %i and keeps the provider message',
    async (status) => {
      const call = flaky([httpError(status, "This model's maximum context length is 128000 tokens")], 'ok')
      const error = await withRetries('openai', call.attempt, fast, { scrub }).catch((e: unknown) => e)
      expect(call.calls()).toBe(1)
      expect(error).toBeInstanceOf(BatonError)
      expect((error as BatonError).code).toBe('MODEL_ERROR')
      expect((error as BatonError).message).toBe(
        "openai: This model's maximum context length is 128000 tokens",
      )
      expect((error as BatonError).details).toMatchObject({
        status,
        // A 400 saying the request is too long for the window is named so (a chain moves on).
        code: status === 400 ? 'CONTEXT_LENGTH' : `HTTP_${status}`,
        attempts: 1,
        retryable: false,
      })
    },
  )

  it('retries network errors and cut or empty responses', async () => {
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })
    const connection = Object.assign(new Error('Connection error.'), { name: 'APIConnectionError' })
    const retries: RetryInfo[] = []
    const call = flaky([reset, connection, retryableError('STREAM_CUT', 'the stream broke off')], 'ok')
    expect(
      await withRetries('anthropic', call.attempt, fast, { scrub, onRetry: (r) => retries.push(r) }),
    ).toBe('ok')
    expect(retries.map((r) => r.code)).toEqual(['NETWORK', 'NETWORK', 'STREAM_CUT'])
  })

  it('gives up after maxAttempts, saying so', async () => {
    const call = flaky(
      [httpError(503, 'a'), httpError(503, 'b'), httpError(503, 'c'), httpError(503, 'd')],
      'ok',
    )
    const error = (await withRetries('openai', call.attempt, fast, { scrub }).catch(
      (e: unknown) => e,
    )) as BatonError
    expect(call.calls()).toBe(4)
    expect(error.message).toBe('openai: d (gave up after 4 attempts)')
    expect(error.details).toMatchObject({ attempts: 4, retryable: true })
  })

  it('waits what retry-after-ms or retry-after asks for', async () => {
    const retries: RetryInfo[] = []
    const call = flaky(
      [
        httpError(429, 'slow down', { 'retry-after-ms': '30' }),
        httpError(429, 'again', { 'retry-after': '0.05' }),
      ],
      'ok',
    )
    const started = Date.now()
    await withRetries('openai', call.attempt, fast, { scrub, onRetry: (r) => retries.push(r) })
    expect(retries.map((r) => r.delayMs)).toEqual([30, 50])
    expect(Date.now() - started).toBeGreaterThanOrEqual(78)
  })

  it('refuses a retry-after longer than maxDelayMs instead of hanging', async () => {
    const call = flaky([httpError(429, 'come back tomorrow', { 'retry-after': '86400' })], 'ok')
    const error = (await withRetries('openai', call.attempt, fast, { scrub }).catch(
      (e: unknown) => e,
    )) as BatonError
    expect(call.calls()).toBe(1)
    expect(error.message).toContain('asks to wait 86400000 ms')
  })

  it('backs off exponentially with jitter, within the policy', async () => {
    const retries: RetryInfo[] = []
    const policy = { ...fast, baseDelayMs: 8, maxDelayMs: 20 }
    const call = flaky([httpError(500, 'x'), httpError(500, 'x'), httpError(500, 'x')], 'ok')
    await withRetries('openai', call.attempt, policy, {
      scrub,
      random: () => 1,
      onRetry: (r) => retries.push(r),
    })
    expect(retries.map((r) => r.delayMs)).toEqual([8, 16, 20])
    const low: RetryInfo[] = []
    await withRetries('openai', flaky([httpError(500, 'x'), httpError(500, 'x')], 'ok').attempt, policy, {
      scrub,
      random: () => 0,
      onRetry: (r) => low.push(r),
    })
    expect(low.map((r) => r.delayMs)).toEqual([4, 8])
  })

  it('does not retry past the deadline the wall-clock budget sets', async () => {
    const call = flaky([httpError(503, 'busy')], 'ok')
    const error = (await withRetries(
      'openai',
      call.attempt,
      { ...fast, baseDelayMs: 100 },
      { scrub, deadline: Date.now() + 20 },
    ).catch((e: unknown) => e)) as BatonError
    expect(call.calls()).toBe(1)
    expect(error.message).toContain('the wall-clock budget ends')
  })

  it('abandons an attempt after timeoutMs and retries it', async () => {
    const retries: RetryInfo[] = []
    let calls = 0
    const attempt = (signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => {
        if (++calls > 1) return resolve('second time lucky')
        signal.addEventListener('abort', () => reject(signal.reason))
      })
    const result = await withRetries(
      'openai',
      attempt,
      { ...fast, timeoutMs: 30 },
      { scrub, onRetry: (r) => retries.push(r) },
    )
    expect(result).toBe('second time lucky')
    expect(retries.map((r) => r.code)).toEqual(['TIMEOUT'])
  })

  it('stops at once when the caller aborts, in an attempt or in a backoff', async () => {
    const controller = new AbortController()
    const attempt = (signal: AbortSignal) =>
      new Promise<string>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted by SDK'))),
      )
    setTimeout(() => controller.abort(new Error('user stop')), 20)
    await expect(withRetries('openai', attempt, fast, { scrub, signal: controller.signal })).rejects.toThrow(
      'user stop',
    )

    const backoff = new AbortController()
    const call = flaky([httpError(503, 'busy')], 'ok')
    setTimeout(() => backoff.abort(new Error('stopped while waiting')), 20)
    const started = Date.now()
    await expect(
      withRetries(
        'openai',
        call.attempt,
        { ...fast, baseDelayMs: 30_000, maxDelayMs: 60_000 },
        { scrub, signal: backoff.signal },
      ),
    ).rejects.toThrow('stopped while waiting')
    // The backoff is at least 15 s: ending well before that means the abort ended the wait.
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('keeps API keys out of messages', async () => {
    const call = flaky([httpError(401, 'Incorrect API key provided: sk-secret-key-123456789')], 'ok')
    const error = (await withRetries('openai', call.attempt, fast, { scrub }).catch(
      (e: unknown) => e,
    )) as BatonError
    expect(error.message).not.toContain('sk-secret-key-123456789')
    expect(error.message).toContain('[redacted]')
  })

  it('refuses, when the model is made, a wait or attempt timeout longer than a timer can wait', () => {
    // Node fires a timer of more than 2^31 - 1 ms at once: every attempt would time out at once.
    for (const make of [
      () => openai('gpt-4o', { retry: { timeoutMs: 3e9 } }),
      () => anthropic('claude-haiku-4-5', { retry: { maxDelayMs: 3e9 } }),
      () => compatible('qwen', { baseURL: 'http://localhost:1/v1', retry: { baseDelayMs: 3e9 } }),
    ]) {
      const error = (() => {
        try {
          make()
        } catch (thrown) {
          return thrown as BatonError
        }
        throw new Error('expected an error')
      })()
      expect(error.code).toBe('INVALID_OPTIONS')
      expect(error.message).toMatch(
        /retry\.(timeoutMs|maxDelayMs|baseDelayMs) must be at most 2000000000 ms \(about 23 days: no timer waits longer\), got 3000000000/,
      )
    }
    expect(openai('gpt-4o', { retry: { timeoutMs: 2_000_000_000 } }).id).toBe('openai:gpt-4o')
  })

  it('has a default policy of 4 attempts and a 2-minute attempt timeout', () => {
    expect(DEFAULT_RETRY).toMatchObject({ maxAttempts: 4, timeoutMs: 120_000 })
  })
})

describe('retryAfterMs and classify', () => {
  it('reads milliseconds, seconds and HTTP dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250)
    expect(retryAfterMs({ 'retry-after': '3' })).toBe(3_000)
    const inTwoSeconds = new Date(Date.now() + 2_000).toUTCString()
    expect(retryAfterMs(new Headers({ 'retry-after': inTwoSeconds }))).toBeGreaterThan(500)
    expect(retryAfterMs(new Headers({}))).toBeUndefined()
    expect(retryAfterMs(undefined)).toBeUndefined()
  })

  it('reads a repeated header by its longest wait, names in any case, and nothing from a value it cannot read', () => {
    const twice = new Headers()
    twice.append('retry-after', '2')
    twice.append('retry-after', '2')
    expect(retryAfterMs(twice)).toBe(2_000)
    expect(retryAfterMs({ 'Retry-After': '3' })).toBe(3_000)
    expect(retryAfterMs({ 'RETRY-AFTER-MS': '40' })).toBe(40)
    // Negative or not a number: no wait named, so the backoff applies.
    for (const value of ['-1', '1e3', 'soon', 'Infinity'])
      expect(retryAfterMs(new Headers({ 'retry-after': value }))).toBeUndefined()
  })

  it('backs off, not retrying at once, when retry-after is negative', async () => {
    const retries: RetryInfo[] = []
    const call = flaky([httpError(503, 'busy', { 'retry-after': '-1' })], 'ok')
    await withRetries('openai', call.attempt, fast, {
      scrub,
      random: () => 1,
      onRetry: (r) => retries.push(r),
    })
    expect(retries.map((r) => r.delayMs)).toEqual([fast.baseDelayMs])
  })

  it('reads a retry-after date against the time of the world, not the run’s fake clock', async () => {
    const clock = fakeClock(0)
    const retries: RetryInfo[] = []
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString()
    const call = flaky([httpError(429, 'slow down', { 'retry-after': inFiveSeconds })], 'ok')
    const answered = withRetries(
      'openai',
      call.attempt,
      { ...fast, maxDelayMs: 10_000 },
      {
        scrub,
        clock,
        onRetry: (r) => {
          retries.push(r)
          queueMicrotask(() => clock.advance(r.delayMs))
        },
      },
    )
    expect(await answered).toBe('ok')
    expect(retries[0]?.delayMs).toBeGreaterThan(3_000)
    expect(retries[0]?.delayMs).toBeLessThanOrEqual(5_000)
  })

  it('treats an unknown failure as final', () => {
    const failure = classify(new Error('something odd'), new AbortController().signal, (t) => t)
    expect(failure).toEqual({ retryable: false, code: 'MODEL_ERROR', message: 'something odd' })
  })
})
