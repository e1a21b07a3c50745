/**
 * Fallback chains and routers with in-process models: which failures move a chain on, the
 * circuit breaker shared by every run of the process (on a fake clock), routing by the request,
 * pricing and recording as the model that answered, replay, and every bad definition or bad
 * answer of a routing function as a clear error.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  BatonError,
  defineAgent,
  fallback,
  type Model,
  type ModelRequest,
  type ModelResponse,
  readTranscript,
  replay,
  resetCircuits,
  route,
  run,
  stream,
} from '../src/index.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { collect, ofType } from './helpers.js'

let dir: string
let runs = 0
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-routing-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeEach(() => resetCircuits())

const record = () => join(dir, `run-${++runs}.jsonl`)

/** A model that fails every call with a provider failure of `code` (as the retry policy reports it). */
function failing(id: string, code: string, status?: number): Model & { calls: number } {
  const model = {
    spec: 'baton.model.v1' as const,
    id,
    calls: 0,
    async generate(): Promise<ModelResponse> {
      model.calls++
      throw new BatonError('MODEL_ERROR', `${id}: it failed (${code})`, {
        details: { code, status, retryable: code !== 'HTTP_401' },
      })
    },
  }
  return model
}

/** A model that answers `text`, counting its calls. */
function answering(id: string, text: string): Model & { calls: number } {
  const model = {
    spec: 'baton.model.v1' as const,
    id,
    calls: 0,
    async generate(): Promise<ModelResponse> {
      model.calls++
      return {
        message: { role: 'assistant', content: text },
        usage: { inputTokens: 1_000, outputTokens: 1_000 },
        finishReason: 'stop',
      }
    },
  }
  return model
}

const agentOn = (model: Model) => defineAgent({ name: 'asker', instructions: 'Answer.', model })

describe('a fallback chain', () => {
  it.each([
    'HTTP_429',
    'HTTP_500',
    'HTTP_503',
    'HTTP_529',
    'NETWORK',
    'TIMEOUT',
    'STREAM_CUT',
    'CONTEXT_LENGTH',
  ])('moves on from %s, says so, and prices the answer as the model that gave it', async (code) => {
    const first = failing('openai:gpt-4o', code)
    const second = answering('anthropic:claude-haiku-4-5', 'from the second')
    const { events, result } = await collect(stream(agentOn(fallback([first, second])), 'Hi'))
    expect(result.output).toBe('from the second')
    expect(ofType(events, 'model.fallback').map(({ from, to, code }) => ({ from, to, code }))).toEqual([
      { from: 'openai:gpt-4o', to: 'anthropic:claude-haiku-4-5', code },
    ])
    const [response] = ofType(events, 'model.response')
    expect(response!.model).toBe('anthropic:claude-haiku-4-5')
    // claude-haiku-4-5 in the shipped table: $1 in, $5 out per million tokens.
    expect(response!.costUsd).toBeCloseTo((1_000 * 1 + 1_000 * 5) / 1e6, 12)
  })

  it('does not move on from a configuration error, nor from what a custom `on` leaves out', async () => {
    const unauthorized = failing('openai:gpt-4o', 'HTTP_401', 401)
    const next = answering('anthropic:claude-haiku-4-5', 'unused')
    const result = await run(agentOn(fallback([unauthorized, next])), 'Hi')
    expect(result.status).toBe('error')
    expect(result.error?.message).toContain('HTTP_401')
    expect(next.calls).toBe(0)

    const overloaded = failing('openai:gpt-4o', 'HTTP_529')
    const onlyRateLimits = fallback([overloaded, next], { on: ['HTTP_429'] })
    expect((await run(agentOn(onlyRateLimits), 'Hi')).status).toBe('error')
    expect(next.calls).toBe(0)
    const byFunction = fallback([overloaded, next], { on: (failure) => failure.model === 'openai:gpt-4o' })
    expect((await run(agentOn(byFunction), 'Hi')).output).toBe('unused')
  })

  it('ends with the last failure when every model fails, each switch recorded', async () => {
    const chain = fallback([
      failing('openai:gpt-4o', 'HTTP_503'),
      failing('anthropic:claude-haiku-4-5', 'HTTP_529'),
      failing('compatible:qwen3-8b', 'NETWORK'),
    ])
    const path = record()
    const { events, result } = await collect(stream(agentOn(chain), 'Hi', { record: path }))
    expect(result.status).toBe('error')
    expect(result.error?.message).toContain('compatible:qwen3-8b: it failed (NETWORK)')
    expect(ofType(events, 'model.fallback').map((e) => `${e.from} → ${e.to}`)).toEqual([
      'openai:gpt-4o → anthropic:claude-haiku-4-5',
      'anthropic:claude-haiku-4-5 → compatible:qwen3-8b',
    ])
    const transcript = readTranscript(path)
    expect(transcript.events.at(-1)?.type).toBe('run.end')
    expect(ofType(transcript.events, 'model.fallback')).toHaveLength(2)
  })

  it('when every model fails, the error lists each with its failure code and keeps the last one’s code', async () => {
    const chain = fallback([
      failing('openai:gpt-4o', 'HTTP_503', 503),
      failing('anthropic:claude-haiku-4-5', 'HTTP_529', 529),
      failing('compatible:qwen3-8b', 'NETWORK'),
    ])
    const result = await run(agentOn(chain), 'Hi')
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('MODEL_ERROR')
    expect(result.error).toEqual({
      code: 'MODEL_ERROR',
      message:
        'every model of the chain failed: openai:gpt-4o (HTTP_503), anthropic:claude-haiku-4-5 (HTTP_529), compatible:qwen3-8b (NETWORK); the last said: compatible:qwen3-8b: it failed (NETWORK)',
      details: {
        code: 'NETWORK',
        retryable: true,
        failures: [
          { model: 'openai:gpt-4o', code: 'HTTP_503', status: 503 },
          { model: 'anthropic:claude-haiku-4-5', code: 'HTTP_529', status: 529 },
          { model: 'compatible:qwen3-8b', code: 'NETWORK' },
        ],
      },
    })

    // Called as a model: a BatonError of the last failure's code, the last error its cause.
    const ask: ModelRequest = { messages: [{ role: 'user', content: 'Hi' }], tools: [] }
    const error = (await chain.generate(ask).catch((e: unknown) => e)) as BatonError
    expect(error).toBeInstanceOf(BatonError)
    expect(error.code).toBe('MODEL_ERROR')
    expect(error.details?.code).toBe('NETWORK')
    expect((error.cause as Error).message).toBe('compatible:qwen3-8b: it failed (NETWORK)')
  })

  it('lists the models of a chain in the chain, a skipped one, and a last failure it would not move on from', async () => {
    const inner = fallback([failing('openai:gpt-4o', 'HTTP_503'), failing('openai:gpt-4.1', 'TIMEOUT')])
    const last = failing('anthropic:claude-haiku-4-5', 'HTTP_401', 401)
    const { events, result } = await collect(stream(agentOn(fallback([inner, last])), 'Hi'))
    expect(result.error?.message).toBe(
      'every model of the chain failed: openai:gpt-4o (HTTP_503), openai:gpt-4.1 (TIMEOUT), anthropic:claude-haiku-4-5 (HTTP_401); the last said: anthropic:claude-haiku-4-5: it failed (HTTP_401)',
    )
    expect(result.error?.details).toMatchObject({ code: 'HTTP_401', status: 401 })
    // The inner chain gave up on its last model as on the others: the outer one moved on.
    expect(ofType(events, 'model.fallback').map(({ from, to, code }) => ({ from, to, code }))).toEqual([
      { from: 'openai:gpt-4o', to: 'openai:gpt-4.1', code: 'HTTP_503' },
      { from: 'fallback:openai:gpt-4o,openai:gpt-4.1', to: 'anthropic:claude-haiku-4-5', code: 'TIMEOUT' },
    ])

    // The chain in the chain last: what its last model said ends the message.
    const outer = fallback([failing('compatible:qwen3-8b', 'NETWORK'), inner])
    expect((await run(agentOn(outer), 'Hi')).error).toMatchObject({
      code: 'MODEL_ERROR',
      message:
        'every model of the chain failed: compatible:qwen3-8b (NETWORK), openai:gpt-4o (HTTP_503), openai:gpt-4.1 (TIMEOUT); the last said: openai:gpt-4.1: it failed (TIMEOUT)',
      details: { code: 'TIMEOUT' },
    })

    // A model the breaker skips is listed as such.
    const clock = fakeClock(0)
    const down = failing('openai:gpt-4o-mini', 'HTTP_503')
    const skipping = () =>
      fallback([down, failing('openai:gpt-4.1-mini', 'HTTP_500')], {
        breaker: { failures: 1, coolDownMs: 1_000 },
      })
    await run(agentOn(skipping()), 'Hi', { clock })
    expect((await run(agentOn(skipping()), 'Hi', { clock })).error?.message).toBe(
      'every model of the chain failed: openai:gpt-4o-mini (CIRCUIT_OPEN), openai:gpt-4.1-mini (HTTP_500); the last said: openai:gpt-4.1-mini: it failed (HTTP_500)',
    )
    expect(down.calls).toBe(1)

    // A chain of one model, or a chain stopped at its first model, ends with that model's error.
    expect((await run(agentOn(fallback([failing('openai:gpt-4o', 'HTTP_503')])), 'Hi')).error?.message).toBe(
      'openai:gpt-4o: it failed (HTTP_503)',
    )
    const stopped = fallback([failing('openai:o3', 'HTTP_401'), answering('openai:gpt-4.1', 'unused')])
    expect((await run(agentOn(stopped), 'Hi')).error?.message).toBe('openai:o3: it failed (HTTP_401)')
  })

  it('never moves on once the run is aborted', async () => {
    const controller = new AbortController()
    const next = answering('anthropic:claude-haiku-4-5', 'unused')
    const hanging: Model = {
      spec: 'baton.model.v1',
      id: 'openai:gpt-4o',
      generate: (_request, options) =>
        new Promise((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true })
          setTimeout(() => controller.abort(), 5)
        }),
    }
    const result = await run(agentOn(fallback([hanging, next])), 'Hi', { signal: controller.signal })
    expect(result.status).toBe('aborted')
    expect(next.calls).toBe(0)
  })

  it('streams: what a failed model showed is declared void, and the next one writes the answer', async () => {
    const cut: Model = {
      spec: 'baton.model.v1',
      id: 'openai:gpt-4o',
      generate: () => Promise.reject(new Error('unused')),
      async *stream() {
        yield { type: 'text-delta', text: 'Half an ans' }
        throw new BatonError('MODEL_ERROR', 'openai:gpt-4o: the stream was cut', {
          details: { code: 'STREAM_CUT', retryable: true },
        })
      },
    }
    const next = scriptedModel([{ text: 'The whole answer.' }], { id: 'anthropic:claude-haiku-4-5' })
    const { events, result } = await collect(stream(agentOn(fallback([cut, next])), 'Hi', { deltas: true }))
    expect(result.output).toBe('The whole answer.')
    const shown = events.filter(
      (e) => e.type === 'model.delta' || e.type === 'model.restart' || e.type === 'model.fallback',
    )
    expect(shown[0]).toMatchObject({ type: 'model.delta', text: 'Half an ans' })
    expect(shown[1]).toMatchObject({ type: 'model.restart' })
    expect(shown[2]).toMatchObject({ type: 'model.fallback', code: 'STREAM_CUT' })
    const after = shown
      .slice(3)
      .flatMap((e) => (e.type === 'model.delta' && e.kind === 'text' ? [e.text] : []))
    expect(after.join('')).toBe('The whole answer.')
  })

  it('holds the budget at the dearest model of the chain before the call is made', async () => {
    const asked: (number | undefined)[] = []
    const cheap: Model = {
      ...answering('openai:gpt-4o-mini', 'a'),
      generate: async (request) => {
        asked.push(request.maxTokens)
        return {
          message: { role: 'assistant', content: 'a' },
          usage: { inputTokens: 10, outputTokens: 10 },
          finishReason: 'stop',
        }
      },
    }
    const chain = fallback([cheap, answering('openai:gpt-4o', 'b')])
    // $0.01 buys about 1,000 output tokens of gpt-4o ($10 per million), 16,000 of gpt-4o-mini:
    // the call may end up on gpt-4o, so it is clipped as if it would.
    expect((await run(agentOn(chain), 'Hi', { budget: { maxCostUsd: 0.01 } })).output).toBe('a')
    expect(asked[0]).toBeGreaterThan(900)
    expect(asked[0]).toBeLessThanOrEqual(1_000)
  })
})

describe('the circuit breaker', () => {
  it('skips a model that keeps failing, in every run of the process, then tries it once after the cool-down', async () => {
    const clock = fakeClock(1_000_000)
    const down = failing('openai:gpt-4o', 'HTTP_503')
    const backup = answering('anthropic:claude-haiku-4-5', 'backup')
    const chain = () => fallback([down, backup], { breaker: { failures: 2, coolDownMs: 60_000 } })
    for (let i = 0; i < 2; i++) expect((await run(agentOn(chain()), 'Hi', { clock })).output).toBe('backup')
    expect(down.calls).toBe(2)

    // Open: another run, with another chain of the same models, does not ask it.
    const { events } = await collect(stream(agentOn(chain()), 'Hi', { clock }))
    expect(down.calls).toBe(2)
    const [skipped] = ofType(events, 'model.fallback')
    expect(skipped).toMatchObject({
      code: 'CIRCUIT_OPEN',
      from: 'openai:gpt-4o',
      to: 'anthropic:claude-haiku-4-5',
    })
    expect(skipped!.message).toContain('failed 2 times in a row')

    // After the cool-down one call tries it: it fails, and the circuit opens again.
    clock.advance(60_001)
    await run(agentOn(chain()), 'Hi', { clock })
    expect(down.calls).toBe(3)
    await run(agentOn(chain()), 'Hi', { clock })
    expect(down.calls).toBe(3)

    // Back up: the trial after the next cool-down succeeds and closes the circuit.
    clock.advance(60_001)
    const healed = answering('openai:gpt-4o', 'first again')
    const again = () => fallback([healed, backup], { breaker: { failures: 2, coolDownMs: 60_000 } })
    expect((await run(agentOn(again()), 'Hi', { clock })).output).toBe('first again')
    expect((await run(agentOn(again()), 'Hi', { clock })).output).toBe('first again')
    expect(healed.calls).toBe(2)
  })

  it('always asks the last model, open or not, and does not count a request that was too long', async () => {
    const clock = fakeClock(0)
    const only = failing('openai:gpt-4o', 'HTTP_503')
    for (let i = 0; i < 5; i++) await run(agentOn(fallback([only])), 'Hi', { clock })
    expect(only.calls).toBe(5)

    const tooLong = failing('openai:gpt-4.1-mini', 'CONTEXT_LENGTH')
    const big = answering('openai:gpt-4.1', 'read it')
    for (let i = 0; i < 5; i++) await run(agentOn(fallback([tooLong, big])), 'Hi', { clock })
    expect(tooLong.calls).toBe(5)
  })
})

describe('the circuit breaker and the run’s clock', () => {
  const chainOf = (down: Model, backup: Model) =>
    fallback([down, backup], { breaker: { failures: 2, coolDownMs: 60_000 } })

  it('keeps what it learned on one clock to that clock: the system clock’s open circuit does not hold a fake clock’s run', async () => {
    const down = failing('openai:gpt-4o', 'HTTP_503')
    const backup = answering('anthropic:claude-haiku-4-5', 'backup')
    // Opened on the system clock (runs with no clock of their own)...
    for (let i = 0; i < 3; i++)
      expect((await run(agentOn(chainOf(down, backup)), 'Hi')).output).toBe('backup')
    expect(down.calls).toBe(2)
    // ...it does not keep a run on fakeClock(0) from asking the model: that clock's cool-down
    // would otherwise end when the fake clock reaches this year.
    const clock = fakeClock(0)
    await run(agentOn(chainOf(down, backup)), 'Hi', { clock })
    expect(down.calls).toBe(3)
    await run(agentOn(chainOf(down, backup)), 'Hi', { clock })
    expect(down.calls).toBe(4)
    // Open on the fake clock now too, and each clock's circuit keeps its own cool-down.
    await run(agentOn(chainOf(down, backup)), 'Hi', { clock })
    await run(agentOn(chainOf(down, backup)), 'Hi')
    expect(down.calls).toBe(4)
    clock.advance(60_001)
    await run(agentOn(chainOf(down, backup)), 'Hi', { clock })
    expect(down.calls).toBe(5)
  })

  it('and the reverse: a circuit opened on a fake clock far ahead does not hold the system clock’s runs', async () => {
    const down = failing('openai:gpt-4o', 'HTTP_503')
    const backup = answering('anthropic:claude-haiku-4-5', 'backup')
    const ahead = fakeClock(Date.UTC(2100, 0, 1))
    for (let i = 0; i < 3; i++) await run(agentOn(chainOf(down, backup)), 'Hi', { clock: ahead })
    expect(down.calls).toBe(2)
    await run(agentOn(chainOf(down, backup)), 'Hi')
    expect(down.calls).toBe(3)
    // A clock that no run had: nothing is open on it.
    await run(agentOn(chainOf(down, backup)), 'Hi', { clock: fakeClock(Date.UTC(2100, 0, 1)) })
    expect(down.calls).toBe(4)
  })

  it('holds an open circuit at most one cool-down when its clock is set back', async () => {
    const base = fakeClock(10_000_000)
    let offset = 0
    const clock = { now: () => base.now() + offset, setTimeout: base.setTimeout }
    const down = failing('openai:gpt-4o', 'HTTP_503')
    const backup = answering('anthropic:claude-haiku-4-5', 'backup')
    for (let i = 0; i < 2; i++) await run(agentOn(chainOf(down, backup)), 'Hi', { clock })
    expect(down.calls).toBe(2)
    // The clock goes an hour back: the circuit is still open, for a cool-down counted from now...
    offset = -3_600_000
    await run(agentOn(chainOf(down, backup)), 'Hi', { clock })
    expect(down.calls).toBe(2)
    // ...and after it the model is tried again, not an hour later.
    base.advance(60_001)
    await run(agentOn(chainOf(down, backup)), 'Hi', { clock })
    expect(down.calls).toBe(3)
  })
})

describe('a router', () => {
  const small = () => answering('openai:gpt-4.1-mini', 'small answer')
  const large = () => answering('openai:gpt-4.1', 'large answer')

  it('chooses per request, says why, is priced as its choice, and replays its recorded choice', async () => {
    const models = { mini: small(), full: large() }
    const router = route(
      (_request: ModelRequest, { inputTokens }) =>
        inputTokens > 50
          ? { model: models.full, reason: `${inputTokens} tokens` }
          : { model: models.mini, reason: 'short' },
      { name: 'by-size', models: [models.mini, models.full] },
    )
    expect(router.id).toBe('route:by-size')
    const path = record()
    const { events, result } = await collect(stream(agentOn(router), 'x'.repeat(400), { record: path }))
    expect(result.output).toBe('large answer')
    expect(ofType(events, 'model.route').map(({ model, reason }) => ({ model, reason }))).toEqual([
      { model: 'openai:gpt-4.1', reason: expect.stringMatching(/^\d+ tokens$/) },
    ])
    const [response] = ofType(events, 'model.response')
    expect(response!.model).toBe('openai:gpt-4.1')
    // gpt-4.1: $2 in, $8 out per million tokens.
    expect(response!.costUsd).toBeCloseTo((1_000 * 2 + 1_000 * 8) / 1e6, 12)

    const short = await run(agentOn(router), 'Hi')
    expect(short.output).toBe('small answer')

    // The replay does not ask the routing function: the recorded choice answers, and is told again.
    const calls = { ...models }
    const before = calls.full.calls + calls.mini.calls
    const again = record()
    const replayed = await replay(readTranscript(path), agentOn(router), { record: again })
    expect(replayed.output).toBe('large answer')
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
    expect(models.full.calls + models.mini.calls).toBe(before)
    const strip = ({ seq: _s, t: _t, ...rest }: { seq?: number; t?: number }) => rest
    expect(ofType(readTranscript(again).events, 'model.route').map(strip)).toEqual(
      ofType(events, 'model.route').map(strip),
    )
  })

  it('ends the run with an error naming the router when its function throws or answers no model, the transcript whole', async () => {
    const cases: [string, () => unknown, RegExp][] = [
      [
        'throws',
        () => {
          throw new Error('no route for you')
        },
        /route "picky": the routing function threw: no route for you/,
      ],
      [
        'returns a number',
        () => 42,
        /route "picky": the routing function returned no model: expected a model string.*got number 42/,
      ],
      [
        'returns a bad string',
        () => 'gpt-4o',
        /route "picky": the routing function returned no model: expected "<provider>:<model>"/,
      ],
      [
        'leaves its models',
        () => 'openai:gpt-5',
        /route "picky": the routing function chose "openai:gpt-5", which is not one of its models \(openai:gpt-4.1-mini\)/,
      ],
    ]
    for (const [_what, choose, message] of cases) {
      const path = record()
      const router = route(choose as never, { name: 'picky', models: ['openai:gpt-4.1-mini'] })
      const result = await run(agentOn(router), 'Hi', { record: path })
      expect(result.status).toBe('error')
      expect(result.stopReason).toBe('MODEL_ERROR')
      expect(result.error?.message).toMatch(message)
      const transcript = readTranscript(path)
      expect(transcript.events.at(-1)).toMatchObject({ type: 'run.end', status: 'error' })
    }
  })
})

describe('a chain as a model string', () => {
  it('names models separated by commas, resolved into a chain that is priced at its dearest', async () => {
    const { resolveModel } = await import('../src/providers/index.js')
    const chain = await resolveModel('openai:gpt-4o-mini, anthropic:claude-haiku-4-5')
    expect(chain.id).toBe('fallback:openai:gpt-4o-mini,anthropic:claude-haiku-4-5')
    expect(chain.candidates).toEqual(['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5'])
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: 'openai:gpt-4o,anthropic:claude-haiku-4-5',
    })
    expect(agent.model).toBe('openai:gpt-4o,anthropic:claude-haiku-4-5')
    expect(() =>
      defineAgent({ name: 'a', instructions: 'x', model: 'openai:gpt-4o,,anthropic:claude-haiku-4-5' }),
    ).toThrow(
      /model chain "openai:gpt-4o,,anthropic:claude-haiku-4-5", model 2: expected "<provider>:<model>".*got ""/,
    )
    expect(() => defineAgent({ name: 'a', instructions: 'x', model: 'openai:gpt-4o,gemini:pro' })).toThrow(
      /model chain "openai:gpt-4o,gemini:pro", model 2: .*got "gemini:pro"/,
    )
  })
})

describe('bad definitions', () => {
  const definitionError = (make: () => unknown) => {
    try {
      make()
    } catch (error) {
      expect(error).toBeInstanceOf(BatonError)
      expect((error as BatonError).code).toBe('INVALID_DEFINITION')
      return (error as BatonError).message
    }
    throw new Error('expected a definition error')
  }

  it('names what is wrong, when the chain or the router is made', () => {
    expect(definitionError(() => fallback([]))).toMatch(/fallback: needs at least one model/)
    expect(definitionError(() => fallback('openai:gpt-4o' as never))).toMatch(
      /fallback: needs at least one model/,
    )
    expect(definitionError(() => fallback(['openai:gpt-4o', 'mistral:large']))).toMatch(
      /fallback: model 1: expected "<provider>:<model>" with provider one of openai, anthropic, compatible.*"mistral:large"/,
    )
    expect(definitionError(() => fallback(['openai:gpt-4o', { id: 'x' } as never]))).toMatch(
      /fallback: model 1: expected a model string .* or a Model/,
    )
    expect(definitionError(() => fallback(['openai:gpt-4o'], { breaker: { failures: 0 } }))).toMatch(
      /fallback: breaker.failures: expected a positive number, got 0/,
    )
    expect(
      definitionError(() => fallback(['openai:gpt-4o'], { breaker: { coolDownMs: Number.NaN } })),
    ).toMatch(/breaker.coolDownMs: expected a positive number, got NaN/)
    expect(definitionError(() => fallback(['openai:gpt-4o'], { on: [42] as never }))).toMatch(
      /fallback: on: expected failure codes/,
    )
    expect(definitionError(() => route('openai:gpt-4o' as never))).toMatch(
      /route: expected a routing function/,
    )
    expect(definitionError(() => route(() => 'openai:gpt-4o', { models: [] }))).toMatch(
      /route "router": models: expected a non-empty list/,
    )
    expect(definitionError(() => route(() => 'openai:gpt-4o', { models: ['nope'] }))).toMatch(
      /route "router": models\[0\]: expected "<provider>:<model>"/,
    )
  })

  it('refuses options it does not know, with the one meant', () => {
    expect(definitionError(() => fallback(['openai:gpt-4o'], { breakr: false } as never))).toBe(
      'fallback: breakr is not a known fallback option (did you mean breaker?) (known: on, breaker)',
    )
    expect(definitionError(() => fallback(['openai:gpt-4o'], { retryOn: ['HTTP_429'] } as never))).toContain(
      '(did you mean on?)',
    )
    expect(definitionError(() => fallback(['openai:gpt-4o'], 'fast' as never))).toBe(
      'fallback: options must be an object, got the string "fast"',
    )
    expect(definitionError(() => route(() => 'openai:gpt-4o', { candidates: [] } as never))).toBe(
      'route: candidates is not a known route option (did you mean models?) (known: name, models)',
    )
  })

  it('refuses a breaker that is not { failures?, coolDownMs? } or false, and names the bad field', () => {
    const chain = (breaker: unknown) => () => fallback(['openai:gpt-4o'], { breaker: breaker as never })
    expect(definitionError(chain({ failure: 5 }))).toBe(
      'fallback: breaker.failure is not a known breaker option (did you mean failures?) (known: failures, coolDownMs)',
    )
    expect(definitionError(chain({ cooldownMs: 1_000 }))).toContain('(did you mean coolDownMs?)')
    expect(definitionError(chain({ failures: 1.5 }))).toBe(
      'fallback: breaker.failures: expected a whole number of failures in a row, got 1.5',
    )
    expect(definitionError(chain({ failures: '3' }))).toBe(
      'fallback: breaker.failures: expected a positive number, got the string "3"',
    )
    for (const bad of [null, true, 'yes', 5, []])
      expect(definitionError(chain(bad))).toMatch(
        /^fallback: breaker: expected \{ failures\?, coolDownMs\? \} or false, got /,
      )
    // What is well formed still makes a chain.
    expect(chain({ failures: 1 })().id).toBe('fallback:openai:gpt-4o')
    expect(chain(false)().id).toBe('fallback:openai:gpt-4o')
  })

  it('refuses a router name that is not a non-empty string', () => {
    expect(definitionError(() => route(() => 'openai:gpt-4o', { name: 5 as never }))).toBe(
      'route: name: expected a non-empty string, got number 5',
    )
    expect(definitionError(() => route(() => 'openai:gpt-4o', { name: ' ' }))).toBe(
      'route: name: expected a non-empty string, got the string " "',
    )
  })
})
