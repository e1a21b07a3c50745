/**
 * Shared rate limits against a local server that limits requests the way the real APIs do (a
 * 429 with `retry-after` past its rate, rate-limit headers on every answer): many runs and
 * sub-agents share one limit and are (almost) never refused; a provider's pause holds every
 * caller; waits are events in the stream and the transcript; a wait ends at once on abort; a wait
 * longer than the wall-clock budget ends the run with a clear error and a whole transcript.
 * Real time against a real socket: counts are asserted with slack, never timings.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type Agent,
  defineAgent,
  defineTool,
  readTranscript,
  resetRateLimits,
  run,
  setRateLimits,
  stream,
} from '../../src/index.js'
import { anthropic, compatible } from '../../src/providers/index.js'
import { startFakeClerkServer } from '../fake-clerk-server.js'
import { makeLead } from '../fixtures/durable-agents.js'
import { collect, ofType, recordedOf } from '../helpers.js'
import { type RateLimitedServer, startRateLimitedServer } from './wire/rate-limited-server.js'

let dir: string
let server: RateLimitedServer | undefined
let runs = 0
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-limits-'))
})
afterEach(async () => {
  resetRateLimits()
  await server?.close()
  server = undefined
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const echo = defineTool({
  name: 'echo',
  description: 'Returns its text',
  input: z.object({ text: z.string() }),
  run: ({ text }) => text,
})

/** Fast retries, so that a run refused now and then still ends quickly. */
const RETRY = { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 2_000 }

const worker = (url: string, sharedLimits = true): Agent =>
  defineAgent({
    name: 'worker',
    instructions: 'Echo, then answer.',
    model: compatible('limited', { baseURL: url, retry: RETRY, sharedLimits }),
    tools: [echo],
  })

describe('shared rate limits against a rate-limited server', () => {
  it('keep many concurrent runs under the server’s rate: (almost) no 429, every run done, waits told', async () => {
    server = await startRateLimitedServer({ perSecond: 20, toolTurns: 2 })
    // Under the server's rate, as a user sets it: at exactly its rate a request that arrives early
    // is refused, and on a busy machine requests a scheduler delays arrive together. The margin
    // (5 a second, and 5 in the first second's burst) takes delays of a quarter second.
    setRateLimits({ [server.url]: { requestsPerMinute: 15 * 60 } })
    const agent = worker(server.url)
    const record = join(dir, `run-${++runs}.jsonl`)
    const [followed, ...others] = await Promise.all([
      collect(stream(agent, 'Task 0', { record })),
      ...Array.from({ length: 19 }, (_, i) => run(agent, `Task ${i + 1}`)),
    ])
    for (const result of [followed!.result, ...others]) expect(result.status).toBe('done')
    // 60 calls at 15 a second: the first second's worth at once, then one each 67 ms.
    expect(server.counts.answered).toBe(60)
    expect(server.counts.limited).toBeLessThanOrEqual(2)
    const waits = ofType(followed!.events, 'model.queued')
    // Waits for our limit, or for the server's headers saying nothing is left.
    for (const wait of waits)
      expect([server.url, 'requests', 'provider-limit']).toContain(
        wait.reason === 'requests' ? wait.scope : wait.reason,
      )
    expect(readTranscript(record).events).toEqual(recordedOf(followed!.events))
  })

  it('without them, the same load is refused again and again (what the shared limits spare)', async () => {
    server = await startRateLimitedServer({ perSecond: 20, toolTurns: 2, headers: false })
    const agent = worker(server.url, false)
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => run(agent, `Task ${i}`)))
    expect(results.filter((r) => r.status === 'done').length).toBeGreaterThan(0)
    expect(server.counts.limited).toBeGreaterThan(10)
  })

  it('hold every caller of a provider that asked for a pause, with no limit set: fewer refusals than retries alone', async () => {
    // Anthropic's wire: a bucket of 2, refilled at 2 a second; nothing configured on our side.
    const load = async (sharedLimits: boolean) => {
      server = await startRateLimitedServer({ perSecond: 2, toolTurns: 1, headers: false })
      const lead = defineAgent({
        name: 'lead',
        instructions: 'Echo, then answer.',
        model: anthropic('claude-haiku-4-5', {
          apiKey: 'sk-ant-limits',
          baseURL: server.anthropicURL,
          retry: RETRY,
          sharedLimits,
        }),
        tools: [echo],
      })
      const runs = await Promise.all(
        Array.from({ length: 6 }, (_, i) => collect(stream(lead, `Task ${i}`, { deltas: false }))),
      )
      const counts = { ...server.counts }
      await server.close()
      server = undefined
      resetRateLimits()
      return { runs, counts }
    }
    const alone = await load(false)
    const shared = await load(true)
    for (const { result } of shared.runs) expect(result.error?.message ?? result.status).toBe('done')
    expect(shared.counts.limited).toBeLessThan(alone.counts.limited)
    // Each 429 paused the others, and after one, calls went at the pace the provider was learned
    // to take: those are the only waits, no limit being set.
    const waits = shared.runs.flatMap(({ events }) => ofType(events, 'model.queued'))
    expect(waits.length).toBeGreaterThan(0)
    expect(waits.every((e) => e.reason === 'retry-after' || e.reason === 'provider-limit')).toBe(true)
  })

  it('hold sub-agents to the same limit as their lead and the other runs', async () => {
    const clerks = await startFakeClerkServer({ steps: 2, latencyMs: 5, perSecond: 6 })
    try {
      setRateLimits({ [`${clerks.url}/v1`]: { requestsPerMinute: 6 * 60 } })
      const lead = makeLead(clerks.url)
      // Each lead: 2 calls, and 2 clerks of 3 calls each at once; 3 leads: 24 calls at 6 a second.
      const led = await Promise.all(
        ['a', 'b', 'c'].map((token) => collect(stream(lead, `Task ${token} buy things`, { deltas: false }))),
      )
      for (const { result } of led) expect(result.status).toBe('done')
      expect(clerks.limited.count).toBeLessThanOrEqual(1)
      const waits = led.flatMap(({ events }) => ofType(events, 'model.queued'))
      expect(waits.some((e) => e.path.includes('/agent:clerk#'))).toBe(true)
    } finally {
      await clerks.close()
    }
  })

  it('end a wait at once when the run is aborted', async () => {
    server = await startRateLimitedServer({ perSecond: 1, toolTurns: 3, headers: false })
    setRateLimits({ [server.url]: { requestsPerMinute: 6 } }) // one call each 10 s past the first
    const controller = new AbortController()
    const record = join(dir, `run-${++runs}.jsonl`)
    const running = collect(
      stream(worker(server.url), 'Task slow', { record, signal: controller.signal }),
      (event) => {
        if (event.type === 'model.queued') controller.abort()
      },
    )
    const startedAt = Date.now()
    const { result, events } = await running
    expect(result.status).toBe('aborted')
    expect(Date.now() - startedAt).toBeLessThan(8_000)
    const [wait] = ofType(events, 'model.queued')
    expect(wait?.reason).toBe('requests')
    // One call each 10 s: the second waits for what is left of them.
    expect(wait?.waitMs).toBeGreaterThan(9_000)
    expect(wait?.waitMs).toBeLessThanOrEqual(10_000)
    expect(readTranscript(record).events.at(-1)).toMatchObject({ type: 'run.end', status: 'aborted' })
  })

  it('refuse a wait past maxWallMs: the run ends error, saying why, its transcript whole', async () => {
    server = await startRateLimitedServer({ perSecond: 1, toolTurns: 3, headers: false })
    setRateLimits({ [server.url]: { requestsPerMinute: 2 } }) // one call each 30 s past the first
    const record = join(dir, `run-${++runs}.jsonl`)
    const result = await run(worker(server.url), 'Task short', { record, budget: { maxWallMs: 10_000 } })
    expect(result.status).toBe('error')
    expect(result.error?.message).toMatch(
      /compatible:limited: rate limited: its requests limit \(http:\/\/127\.0\.0\.1:\d+\/v1\) needs a wait of \d+ ms \(no wait: the wall-clock budget ends first\)/,
    )
    expect(server.counts.answered).toBe(1)
    const transcript = readTranscript(record)
    expect(transcript.events.at(-1)).toMatchObject({ type: 'run.end', status: 'error' })
  })
})
