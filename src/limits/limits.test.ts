import { afterEach, describe, expect, it } from 'vitest'
import { BatonError } from '../errors/index.js'
import type { QueuedInfo } from '../model/types.js'
import { type FakeClock, fakeClock } from '../testing/index.js'
import { askedPause, duration } from './headers.js'
import {
  type Endpoint,
  type GateOptions,
  gate,
  observe,
  rateLimitOf,
  resetRateLimits,
  setRateLimits,
  type Ticket,
} from './index.js'

afterEach(() => resetRateLimits())

const endpoint = (provider = 'openai', model = 'gpt-test', base = 'http://limits.test/v1'): Endpoint => ({
  key: `${provider} ${base} k1`,
  scopes: [provider, `${provider}:${model}`, base],
  label: `${provider}:${model}`,
})

/** Gates `n` calls at once; says which have their turn after each step of the clock. */
function crowd(clock: FakeClock, n: number, options: Partial<GateOptions> = {}, tokens = 1) {
  const started: number[] = []
  const queued: QueuedInfo[] = []
  const tickets: Ticket[] = []
  const all = Array.from({ length: n }, async (_, i) => {
    const ticket = await gate(endpoint(), () => tokens, {
      clock,
      onQueued: (info) => queued.push(info),
      ...options,
    })
    started.push(i)
    if (ticket) tickets.push(ticket)
  })
  return { started, queued, tickets, all }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('shared rate limits', () => {
  it('cost nothing where no limit applies and no pause holds: no wait, no ticket, no event', () => {
    const told: QueuedInfo[] = []
    expect(gate(endpoint(), () => 1, { onQueued: (info) => told.push(info) })).toBeUndefined()
    setRateLimits({ anthropic: { requestsPerMinute: 1 } })
    expect(gate(endpoint(), () => 1, { onQueued: (info) => told.push(info) })).toBeUndefined()
    expect(told).toEqual([])
  })

  it('learn from a refusal the pace a provider takes: as many a second as it answered, faster with each answer', async () => {
    const clock = fakeClock(0)
    const key = endpoint().key
    expect(gate(endpoint(), () => 1, { clock })).toBeUndefined() // its calls are on this clock
    for (let i = 0; i < 4; i++) observe(key, 200, () => null)
    observe(key, 429, () => null) // 4 answered in the last second: one each 250 ms now
    observe(key, 429, () => null) // sent with the first: the same refusal, the pace is not halved again
    const { started, queued } = crowd(clock, 3)
    await settle()
    expect(started).toEqual([0])
    expect(queued[0]).toEqual({ scope: 'openai:gpt-test', reason: 'provider-limit', waitMs: 250 })
    clock.advance(250)
    await settle()
    expect(started).toEqual([0, 1])
    clock.advance(250)
    await settle()
    expect(started).toEqual([0, 1, 2])
    // An answer, and the pace quickens by 3%: a call booked now goes 242.5 ms after the one before it.
    observe(key, 200, () => null)
    const more = crowd(clock, 2)
    await settle()
    expect(more.queued.map((q) => q.waitMs)).toEqual([250, 493])
    // A minute without a refusal, and the pace is forgotten.
    clock.advance(60_001)
    expect(gate(endpoint(), () => 1, { clock })).toBeUndefined()
  })

  it('spread requests per minute evenly: a second’s worth at once, then one every 60/R s, in order', async () => {
    const clock = fakeClock(0)
    setRateLimits({ openai: { requestsPerMinute: 600 } }) // 10 a second
    const { started, queued } = crowd(clock, 13)
    await settle()
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(queued[0]).toEqual({ scope: 'openai', reason: 'requests', waitMs: 100 })
    clock.advance(100)
    await settle()
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    clock.advance(199)
    await settle()
    expect(started).toHaveLength(12)
    clock.advance(1)
    await settle()
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
  })

  it('count tokens per minute by estimate, and give back what the real usage did not take', async () => {
    const clock = fakeClock(0)
    setRateLimits({ 'openai:gpt-test': { tokensPerMinute: 60_000 } }) // 1,000 a second
    const first = await gate(endpoint(), () => 900, { clock })
    // The estimate was generous: the call used 100.
    first!.settle(100)
    const second = gate(endpoint(), () => 900, { clock })
    expect(await second).toBeDefined()
    // Without the refund the third would wait: 900 + 900 + 900 is more than a second's worth.
    const told: QueuedInfo[] = []
    const third = gate(endpoint(), () => 900, { clock, onQueued: (info) => told.push(info) })
    await settle()
    // Booked: 900 + 900 of 1,000, after 800 came back; the third waits for 900 more.
    expect(told).toEqual([{ scope: 'openai:gpt-test', reason: 'tokens', waitMs: 900 }])
    clock.advance(900)
    expect(await third).toBeDefined()
  })

  it('let a call bigger than a second’s worth go when the bucket is full, and the next ones wait for it', async () => {
    const clock = fakeClock(0)
    setRateLimits({ openai: { tokensPerMinute: 6_000 } }) // 100 a second
    expect(await gate(endpoint(), () => 1_000, { clock })).toBeDefined()
    const told: QueuedInfo[] = []
    void gate(endpoint(), () => 10, { clock, onQueued: (info) => told.push(info) })
    await settle()
    expect(told[0]?.waitMs).toBe(9_100)
  })

  it('hold calls in flight to maxConcurrent, the longest waiting first, a slot freed when the attempt ends', async () => {
    const clock = fakeClock(0)
    setRateLimits({ 'http://limits.test/v1': { maxConcurrent: 2 } })
    const { started, queued, tickets } = crowd(clock, 4)
    await settle()
    expect(started).toEqual([0, 1])
    expect(queued).toEqual([
      { scope: 'http://limits.test/v1', reason: 'concurrency' },
      { scope: 'http://limits.test/v1', reason: 'concurrency' },
    ])
    tickets[0]!.release()
    await settle()
    expect(started).toEqual([0, 1, 2])
    tickets[1]!.release()
    tickets[2]!.release()
    await settle()
    expect(started).toEqual([0, 1, 2, 3])
  })

  it('pause every caller of a provider that answered 429 with retry-after, and no caller of another', async () => {
    const clock = fakeClock(0)
    void gate(endpoint(), () => 1, { clock }) // the endpoint's calls are on this clock
    observe(endpoint().key, 429, (name) => (name === 'retry-after' ? '2' : null))
    const told: QueuedInfo[] = []
    const waiting = crowd(clock, 3, { onQueued: (info) => told.push(info) })
    await settle()
    expect(waiting.started).toEqual([])
    expect(told[0]).toEqual({ scope: 'openai', reason: 'retry-after', waitMs: 2_000 })
    expect(gate(endpoint('anthropic', 'claude', 'http://other.test'), () => 1, { clock })).not.toBeInstanceOf(
      Promise,
    )
    clock.advance(2_000)
    await settle()
    // And from then on one call each 2 s: the provider said when it takes the next one.
    expect(waiting.started).toEqual([0])
    clock.advance(2_000)
    await settle()
    expect(waiting.started).toEqual([0, 1])
    clock.advance(2_000)
    await Promise.all(waiting.all)
    expect(waiting.started).toEqual([0, 1, 2])
  })

  it('pause until the reset when the provider’s headers say nothing is left (OpenAI and Anthropic)', async () => {
    const clock = fakeClock(0)
    const openaiHeaders: Record<string, string> = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-remaining-tokens': '5000',
      'x-ratelimit-reset-tokens': '6m0s',
    }
    void gate(endpoint(), () => 1, { clock })
    observe(endpoint().key, 200, (name) => openaiHeaders[name] ?? null)
    const told: QueuedInfo[] = []
    void gate(endpoint(), () => 1, { clock, onQueued: (info) => told.push(info) })
    await settle()
    expect(told).toEqual([{ scope: 'openai', reason: 'provider-limit', waitMs: 1_500 }])

    const claude = endpoint('anthropic', 'claude', 'http://anthropic.test')
    const reset = new Date(Date.now() + 30_000).toISOString()
    void gate(claude, () => 1, { clock })
    observe(claude.key, 200, (name) =>
      name === 'anthropic-ratelimit-output-tokens-remaining'
        ? '0'
        : name === 'anthropic-ratelimit-output-tokens-reset'
          ? reset
          : null,
    )
    const later: QueuedInfo[] = []
    void gate(claude, () => 1, { clock, onQueued: (info) => later.push(info) })
    await settle()
    expect(later[0]?.reason).toBe('provider-limit')
    expect(later[0]?.waitMs).toBeGreaterThan(28_000)
    expect(later[0]?.waitMs).toBeLessThanOrEqual(30_000)
  })

  it('end a wait at once on abort, and give its place back', async () => {
    const clock = fakeClock(0)
    setRateLimits({ openai: { requestsPerMinute: 60, maxConcurrent: 1 } })
    const first = await gate(endpoint(), () => 1, { clock })
    const controller = new AbortController()
    const waiting = gate(endpoint(), () => 1, { clock, signal: controller.signal })
    controller.abort(new Error('stop now'))
    await expect(waiting).rejects.toThrow('stop now')
    first!.release()
    // The aborted call holds no slot: the next one gets it (and waits only for its request).
    const told: QueuedInfo[] = []
    void gate(endpoint(), () => 1, { clock, onQueued: (info) => told.push(info) })
    await settle()
    expect(told).toEqual([{ scope: 'openai', reason: 'requests', waitMs: 1_000 }])
  })

  it('refuse a wait that would outlast the wall-clock budget, saying so', async () => {
    const clock = fakeClock(0)
    setRateLimits({ openai: { requestsPerMinute: 60 } })
    await gate(endpoint(), () => 1, { clock })
    const error = await Promise.resolve(gate(endpoint(), () => 1, { clock, deadline: 500 })).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(BatonError)
    expect((error as BatonError).details).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: false,
      waitMs: 1_000,
    })
    expect((error as BatonError).message).toBe(
      'openai:gpt-test: rate limited: its requests limit (openai) needs a wait of 1000 ms (no wait: the wall-clock budget ends first)',
    )
    // Refused, it took no place: the next call waits as if it had never come.
    const told: QueuedInfo[] = []
    void gate(endpoint(), () => 1, { clock, onQueued: (info) => told.push(info) })
    await settle()
    expect(told[0]?.waitMs).toBe(1_000)
  })

  it('refuse a turn at the learned pace that would outlast the wall-clock budget, and give back a turn given up', async () => {
    const clock = fakeClock(0)
    expect(gate(endpoint(), () => 1, { clock })).toBeUndefined() // its calls are on this clock
    observe(endpoint().key, 429, (name) => (name === 'retry-after' ? '2' : null)) // one call each 2 s
    clock.advance(2_000)
    expect(await gate(endpoint(), () => 1, { clock })).toBeDefined() // the first goes: the next turn is in 2 s
    let error: unknown = 'waiting'
    Promise.resolve(gate(endpoint(), () => 1, { clock, deadline: 3_000 })).then(
      () => {
        error = 'went'
      },
      (e: unknown) => {
        error = e
      },
    )
    await settle()
    expect(error).toBeInstanceOf(BatonError)
    expect((error as BatonError).details).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'provider-limit',
      waitMs: 2_000,
    })
    expect((error as BatonError).message).toBe(
      'openai:gpt-test: rate limited: its provider asks to wait 2000 ms (no wait: the wall-clock budget ends first)',
    )
    // Refused, it took no turn; aborted, it gives its turn back: each next call waits 2 s, not more.
    const controller = new AbortController()
    const told: QueuedInfo[] = []
    const aborted = gate(endpoint(), () => 1, {
      clock,
      signal: controller.signal,
      onQueued: (info) => told.push(info),
    })
    await settle()
    controller.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    void gate(endpoint(), () => 1, { clock, onQueued: (info) => told.push(info) })
    await settle()
    expect(told.map((info) => info.waitMs)).toEqual([2_000, 2_000])
  })

  it('give back what a call booked when a pause asked for while it waited ends it', async () => {
    const clock = fakeClock(0)
    setRateLimits({ openai: { tokensPerMinute: 6_000, requestsPerMinute: 60_000 } }) // 100 tokens a second
    expect(await gate(endpoint(), () => 100, { clock })).toBeDefined() // the bucket is empty
    // 1,000 tokens: it waits a second for the bucket, leaving it 1,000 in debt.
    const big = Promise.resolve(gate(endpoint(), () => 1_000, { clock, deadline: 2_000 })).catch(
      (e: unknown) => e,
    )
    await settle()
    clock.advance(500)
    observe(endpoint().key, 429, (name) => (name === 'retry-after' ? '2' : null)) // a pause until 2.5 s
    clock.advance(500)
    const error = (await big) as BatonError
    expect(error.details).toMatchObject({ code: 'RATE_LIMITED', reason: 'retry-after', waitMs: 1_500 })
    // It never went: its 1,000 tokens came back, and a call after the pause goes at once.
    clock.advance(1_500)
    const told: QueuedInfo[] = []
    void gate(endpoint(), () => 100, { clock, onQueued: (info) => told.push(info) })
    await settle()
    expect(told).toEqual([])
  })

  it('refuse a scope that would match no call: an unknown provider, a model without its provider, a chain', () => {
    for (const scope of [
      'opneai',
      'gpt-4o',
      'mistral:large',
      'localhost:11434',
      'openai:gpt-4o,anthropic:x',
      'key:',
    ]) {
      expect(() => setRateLimits({ [scope]: { maxConcurrent: 1 } })).toThrow(
        `setRateLimits: scope ${JSON.stringify(scope)}: expected a provider (openai), a model (openai:gpt-4o), an account (key:<rateLimitKey>) or a base URL (http://host:port/v1); the providers are openai, anthropic, compatible`,
      )
    }
    // Every scope a call can have is accepted: a rateLimitKey may be any non-empty name.
    setRateLimits({
      openai: { maxConcurrent: 1 },
      'compatible:qwen3-8b': { maxConcurrent: 1 },
      'key:team a': { maxConcurrent: 1 },
      'http://localhost:11434/v1/': { maxConcurrent: 1 },
    })
    expect(rateLimitOf('key:team a')).toEqual({ maxConcurrent: 1 })
    expect(rateLimitOf('http://localhost:11434/v1')).toEqual({ maxConcurrent: 1 })
  })

  it('read repeated headers by their most cautious value, and ignore what cannot be read', () => {
    const now = Date.parse('2025-06-01T12:00:00Z')
    const pause = (status: number, headers: [string, string][]) => {
      const all = new Headers()
      for (const [name, value] of headers) all.append(name, value)
      return askedPause(status, (name) => all.get(name), now)
    }
    // Sent twice: joined with commas (an HTTP date keeps its own comma).
    expect(
      pause(429, [
        ['retry-after', '2'],
        ['retry-after', '2'],
      ]),
    ).toEqual({ ms: 2_000, reason: 'retry-after' })
    expect(
      pause(429, [
        ['retry-after-ms', '300'],
        ['retry-after-ms', '500'],
      ])?.ms,
    ).toBe(500)
    const date = 'Sun, 01 Jun 2025 12:00:05 GMT'
    expect(
      pause(503, [
        ['retry-after', date],
        ['retry-after', date],
      ])?.ms,
    ).toBe(5_000)
    expect(
      pause(200, [
        ['x-ratelimit-remaining-requests', '0'],
        ['x-ratelimit-remaining-requests', '0'],
        ['x-ratelimit-reset-requests', '1s'],
        ['x-ratelimit-reset-requests', '1s'],
      ]),
    ).toEqual({ ms: 1_000, reason: 'provider-limit' })
    const reset = '2025-06-01T12:00:03Z'
    expect(
      pause(200, [
        ['anthropic-ratelimit-tokens-remaining', '0'],
        ['anthropic-ratelimit-tokens-reset', reset],
        ['anthropic-ratelimit-tokens-reset', reset],
      ]),
    ).toEqual({ ms: 3_000, reason: 'provider-limit' })
    // Less than nothing left is nothing left.
    expect(
      pause(200, [
        ['x-ratelimit-remaining-tokens', '-12'],
        ['x-ratelimit-reset-tokens', '20ms'],
      ])?.ms,
    ).toBe(20)
    // Negative, not a number, not a date of the kind the header carries: no pause.
    for (const value of ['-5', '1e3', '0x10', 'soon'])
      expect(pause(429, [['retry-after', value]])).toBeUndefined()
    expect(
      pause(200, [
        ['anthropic-ratelimit-requests-remaining', '0'],
        ['anthropic-ratelimit-requests-reset', '2030'],
      ]),
    ).toBeUndefined()
  })

  it('name the scope and the field of a bad limit', () => {
    const error = (spec: unknown) => {
      try {
        setRateLimits(spec as never)
      } catch (thrown) {
        expect((thrown as BatonError).code).toBe('INVALID_OPTIONS')
        return (thrown as BatonError).message
      }
      throw new Error('expected an error')
    }
    expect(error({ openai: { requestsPerMinute: 0 } })).toBe(
      'setRateLimits: scope "openai": requestsPerMinute must be a positive number, got 0',
    )
    expect(error({ openai: { tokensPerMinute: '100' } })).toContain(
      'tokensPerMinute must be a positive number, got "100"',
    )
    expect(error({ openai: { maxConcurrent: 1.5 } })).toContain(
      'maxConcurrent must be a whole number, got 1.5',
    )
    expect(error({ openai: { rpm: 5 } })).toContain(
      'unknown field "rpm"; expected one of requestsPerMinute, tokensPerMinute, maxConcurrent',
    )
    expect(error({ 'Open AI': { rpm: 5 } })).toContain(
      'scope "Open AI": expected a provider (openai), a model',
    )
    expect(error({ openai: 5 })).toContain('scope "openai": expected { requestsPerMinute?')
    expect(error(null)).toBe('setRateLimits: expected an object of scopes and their limits')
    // Nothing of a bad call was set.
    expect(() => setRateLimits({ anthropic: { maxConcurrent: 2 }, openai: { maxConcurrent: -1 } })).toThrow()
    expect(gate(endpoint('anthropic'), () => 1, {})).not.toBeInstanceOf(Promise)
  })

  it('read OpenAI reset durations', () => {
    expect(duration('1s')).toBe(1_000)
    expect(duration('6m0s')).toBe(360_000)
    expect(duration('20ms')).toBe(20)
    expect(duration('1h2m3.5s')).toBe(3_723_500)
    expect(duration('soon')).toBeUndefined()
  })
})
