/**
 * Options, timers and callbacks of run(), stream(), replay(), resume() and fork() given by a
 * careless or hostile caller: a budget too long for one timer, a budget that is no budget, a
 * stop condition that answers something else than a verdict, a tracer that throws, and an agent
 * graph shaped as a diamond (one sub-agent shared by many parents) for the transcript header.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { type Agent, delegationToolName } from '../src/agent/index.js'
import { checkServe } from '../src/durable/check-serve.js'
import { treeHash } from '../src/durable/tree-hash.js'
import { armTimer, MAX_TIMER_MS, systemClock } from '../src/effects/index.js'
import {
  defineAgent,
  defineTool,
  fork,
  type ModelRequest,
  readTranscript,
  replay,
  resume,
  run,
  type StopWhen,
  stream,
} from '../src/index.js'
import { clearEndpoints, endpointState, observe, pauseLeft } from '../src/limits/pace.js'
import { mcpLogin } from '../src/mcp/auth/login.js'
import { withRetries } from '../src/providers/retry.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { agentTree } from '../src/transcript/index.js'
import { readViewInput, renderViewHtml } from '../src/view/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-hostile-options-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (name: string) => join(dir, `${files++}-${name}.jsonl`)

const noop = defineTool({ name: 'noop', description: 'Does nothing', input: z.object({}), run: () => 'ok' })

/** An agent that calls `noop` once, then answers. */
function agent(options: { stopWhen?: StopWhen | StopWhen[]; latencyMs?: number } = {}) {
  return defineAgent({
    name: 'a',
    instructions: 'x',
    model: scriptedModel(
      [{ toolCalls: [{ name: 'noop', args: {} }] }, { text: 'done' }],
      options.latencyMs ? { latencyMs: options.latencyMs } : {},
    ),
    tools: [noop],
    ...(options.stopWhen ? { stopWhen: options.stopWhen } : {}),
  })
}

describe('timers longer than one setTimeout keeps', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('the system clock arms a wait past 2^31 - 1 ms in parts: it fires when due, not at once', () => {
    // Vitest's fake timers cut a longer delay to 1 ms, as Node does.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let fired = 0
    systemClock.setTimeout(() => fired++, MAX_TIMER_MS + 5_000)
    vi.advanceTimersByTime(10)
    expect(fired).toBe(0)
    vi.advanceTimersByTime(MAX_TIMER_MS)
    expect(fired).toBe(0)
    vi.advanceTimersByTime(5_000)
    expect(fired).toBe(1)
    const cancel = armTimer(() => fired++, 3 * MAX_TIMER_MS)
    vi.advanceTimersByTime(MAX_TIMER_MS + 1)
    cancel()
    vi.advanceTimersByTime(3 * MAX_TIMER_MS)
    expect(fired).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a wait of Infinity never fires, and NaN or a negative wait fires at once', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const fired: string[] = []
    armTimer(() => fired.push('never'), Number.POSITIVE_INFINITY)
    armTimer(() => fired.push('nan'), Number.NaN)
    armTimer(() => fired.push('negative'), -5)
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['nan', 'negative'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a run whose maxWallMs is past 2^31 - 1 ms runs to its end on the system clock', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    // The model takes 50 ms a step: a deadline timer cut to 1 ms would end the run first.
    const started = run(agent({ latencyMs: 50 }), 'go', { budget: { maxWallMs: 30 * 24 * 3_600_000 } })
    await vi.advanceTimersByTimeAsync(200)
    const result = await started
    expect(result).toMatchObject({ status: 'done', stopReason: 'goal', output: 'done' })
  })

  it('a long maxWallMs still ends the run when it passes (fakeClock)', async () => {
    const clock = fakeClock()
    const maxWallMs = MAX_TIMER_MS + 1_000
    const slow = defineTool({
      name: 'noop',
      description: 'Takes a long time',
      input: z.object({}),
      run: () => {
        clock.advance(maxWallMs + 1)
        return 'late'
      },
    })
    const late = defineAgent({
      name: 'a',
      instructions: 'x',
      model: scriptedModel([{ toolCalls: [{ name: 'noop', args: {} }] }, { text: 'done' }]),
      tools: [slow],
    })
    const result = await run(late, 'go', { clock, budget: { maxWallMs } })
    expect(result).toMatchObject({ status: 'budget_exceeded', stopReason: 'maxWallMs' })
  })

  it('a durable worker refuses heartbeat and stale times no repeating timer keeps', () => {
    for (const [options, message] of [
      [
        { heartbeatMs: MAX_TIMER_MS + 1 },
        /^serve: options\.heartbeatMs must be a number of milliseconds from 1 to 2147483647/,
      ],
      [{ staleMs: Number.NaN }, /^serve: options\.staleMs must be/],
      [{ heartbeatMs: 0 }, /^serve: options\.heartbeatMs must be/],
      [{ concurrency: 1.5 }, /^serve: options\.concurrency must be a whole number/],
    ] as const)
      expect(() => checkServe(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(message) }),
      )
    expect(() => checkServe({ heartbeatMs: 200, staleMs: 3_000, concurrency: 4 })).not.toThrow()
  })

  it('an MCP login refuses a timeout no timer keeps, before it connects', async () => {
    for (const timeoutMs of [MAX_TIMER_MS + 1, Number.NaN, 0])
      await expect(
        mcpLogin('https://mcp.example.com/mcp', { authorize: () => {}, timeoutMs }),
      ).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(
          /^mcpLogin: timeoutMs must be a number of milliseconds from 1 to 2147483647/,
        ),
      })
  })

  it('a retry-after of 30 days from a hostile server fails the call clearly, never a retry storm', async () => {
    const clock = fakeClock()
    const days30 = String(30 * 24 * 3_600)
    let attempts = 0
    const failing = () => {
      attempts++
      return Promise.reject(
        Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': days30 } }),
      )
    }
    // The largest maxDelayMs a model factory takes.
    const policy = { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 2_000_000_000, timeoutMs: 1_000 }
    await expect(withRetries('openai:x', failing, policy, { scrub: (t) => t, clock })).rejects.toMatchObject({
      code: 'MODEL_ERROR',
      message: expect.stringContaining(
        'the provider asks to wait 2592000000 ms, more than maxDelayMs 2000000000',
      ),
    })
    expect(attempts).toBe(1)
    // The pause every caller of the provider shares is capped: it is asked again after a minute.
    clearEndpoints()
    try {
      observe('hostile', 429, (name) => (name === 'retry-after' ? days30 : null))
      const left = pauseLeft(endpointState('hostile', systemClock), systemClock)
      expect(left).toBeGreaterThan(0)
      expect(left).toBeLessThanOrEqual(60_000)
    } finally {
      clearEndpoints()
    }
  })

  it('scriptedModel refuses a latency no timer keeps', () => {
    expect(() => scriptedModel([], { latencyMs: MAX_TIMER_MS + 1 })).toThrow(
      /scriptedModel: latencyMs must be at most 2147483647 ms/,
    )
  })
})

describe('a budget option that is no budget', () => {
  const bad: [string, unknown, RegExp][] = [
    [
      'a negative maxCostUsd',
      { maxCostUsd: -1 },
      /^run: options\.budget\.maxCostUsd must be a non-negative number, got -1/,
    ],
    [
      'NaN',
      { maxWallMs: Number.NaN },
      /^run: options\.budget\.maxWallMs must be a non-negative number, got NaN/,
    ],
    [
      'a string',
      { maxSteps: '10' },
      /^run: options\.budget\.maxSteps must be a non-negative integer, got "10"/,
    ],
    [
      'a bigint',
      { maxTokens: 10n },
      /^run: options\.budget\.maxTokens must be a non-negative integer, got 10/,
    ],
    [
      'an unknown key',
      { maxStep: 3 },
      /^run: options\.budget\.maxStep: unknown budget limit \(did you mean maxSteps\?\)/,
    ],
    ['a string for the whole budget', 'cheap', /^run: options\.budget: expected an object of limits, got/],
    ['a bigint for the whole budget', 5n, /^run: options\.budget: expected an object of limits, got/],
  ]
  it.each(bad)('%s is INVALID_OPTIONS naming the option path (run)', async (_, budget, message) => {
    const model = scriptedModel([{ text: 'never' }])
    const a = defineAgent({ name: 'a', instructions: 'x', model })
    await expect(run(a, 'go', { budget: budget as never })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(message),
    })
    expect(() => stream(a, 'go', { budget: budget as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(model.requests).toHaveLength(0)
  })

  it('an agent with the same bad budget is still INVALID_DEFINITION', () => {
    expect(() =>
      defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([]), budget: { maxCostUsd: -1 } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION' }))
  })

  it('replay, resume and fork name their own budget and switches, with INVALID_OPTIONS', async () => {
    const path = file('recorded')
    const recorded = agent()
    expect((await run(recorded, 'go', { record: path })).status).toBe('done')
    const cases: [() => Promise<unknown>, RegExp][] = [
      [
        () => resume(path, agent(), { budget: { maxTokens: '5' } as never }),
        /^resume: options\.budget\.maxTokens/,
      ],
      [
        () => fork(path, agent(), { from: 1, budget: 'none' as never }),
        /^fork: options\.budget: expected an object/,
      ],
      [
        () => replay(path, agent(), { liveTools: 'no' as never }),
        /^replay: options\.liveTools must be true or false/,
      ],
      [() => replay(path, agent(), { strict: 0 as never }), /^replay: options\.strict must be true or false/],
      [
        () => replay(path, agent(), { stritc: false } as never),
        /^replay: options\.stritc is not a known replay option \(did you mean strict\?\)/,
      ],
      [
        () => resume(path, agent(), { liveTools: true } as never),
        /^resume: options\.liveTools is not a known resume option/,
      ],
      [() => replay(path, agent(), { ids: 'x' } as never), /^replay: options\.ids must be a function/],
      [() => replay(path, agent(), { clock: Date } as never), /^replay: options\.clock must be a Clock/],
      [() => replay(path, agent(), { record: '' }), /^replay: options\.record must be a file path/],
      [() => replay(path, agent(), null as never), /^replay: options must be an object/],
    ]
    for (const [call, message] of cases)
      await expect(call()).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(message),
      })
  })

  it('run names a bad vars option and a bad model string by their path', async () => {
    const a = agent()
    await expect(run(a, 'go', { vars: ['x'] as never })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(/^run: options\.vars must be an object/),
    })
    await expect(run(a, 'go', { model: 'nobody' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(/^run: options\.model/),
      details: { field: 'model' },
    })
  })
})

describe('a stop condition that answers what is not a verdict', () => {
  const answers: [string, unknown, string][] = [
    ['a number', 1, 'number 1'],
    ['zero', 0, 'number 0'],
    ['null', null, 'null'],
    ['an object', { stop: true }, '{"stop":true}'],
    ['a promise of true', Promise.resolve(true), 'a promise'],
  ]
  it.each(answers)('%s ends the run, naming stopWhen and what it returned', async (_, answer, shown) => {
    const result = await run(agent({ stopWhen: [() => undefined, () => answer as never] }), 'go')
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('INVALID_DEFINITION')
    expect(result.error?.message).toContain(`stopWhen[1] returned ${shown}`)
    expect(result.error?.message).toContain('true, false, undefined or a reason')
  })

  it('a promise that rejects is no unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const result = await run(
        agent({
          stopWhen: (async () => {
            throw new Error('later')
          }) as never,
        }),
        'go',
      )
      expect(result.error?.message).toMatch(/^stopWhen\[0\] returned a promise/)
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('one that throws ends the run naming it, with the error kept in details', async () => {
    const result = await run(
      agent({
        stopWhen: () => {
          throw new RangeError('out of range')
        },
      }),
      'go',
    )
    expect(result).toMatchObject({
      status: 'error',
      stopReason: 'INTERNAL',
      error: { code: 'INTERNAL', message: 'stopWhen[0] threw: out of range' },
    })
    expect(result.error?.details).toMatchObject({ name: 'RangeError' })
  })

  it('true, a reason, false, undefined and an empty string keep their meaning', async () => {
    expect(await run(agent({ stopWhen: () => true }), 'go')).toMatchObject({ stopReason: 'stopWhen' })
    expect(await run(agent({ stopWhen: () => 'enough' }), 'go')).toMatchObject({
      stopReason: 'stopWhen:enough',
    })
    for (const answer of [false, undefined, ''])
      expect(await run(agent({ stopWhen: () => answer }), 'go')).toMatchObject({
        status: 'done',
        stopReason: 'goal',
      })
  })
})

describe('a tracer or meter of the caller that fails', () => {
  it('ends the run naming options.tracer when it throws at the start or in the middle', async () => {
    const atStart = await run(agent(), 'go', {
      tracer: {
        startSpan() {
          throw new Error('collector down')
        },
      },
    })
    expect(atStart).toMatchObject({
      status: 'error',
      error: { code: 'INTERNAL', message: 'run: options.tracer threw: collector down' },
    })
    const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base')
    const real = new BasicTracerProvider().getTracer('t')
    let spans = 0
    const later = await run(agent(), 'go', {
      tracer: {
        startSpan(...args: Parameters<typeof real.startSpan>) {
          if (++spans > 2) throw new TypeError('span limit')
          return real.startSpan(...args)
        },
      } as never,
    })
    expect(later).toMatchObject({
      status: 'error',
      error: {
        code: 'INTERNAL',
        message: 'run: options.tracer threw: span limit',
        details: { name: 'TypeError' },
      },
    })
  })

  it('ends the run naming options.meter when it throws', async () => {
    const result = await run(agent(), 'go', {
      meter: {
        createHistogram() {
          throw new Error('no histograms')
        },
      },
    })
    expect(result.error).toMatchObject({
      code: 'INTERNAL',
      message: 'run: options.meter threw: no histograms',
    })
  })
})

/**
 * A diamond `depth` levels deep: the root has sub-agents x1 and y1; x(k) and y(k) both have
 * x(k+1) and y(k+1); the last level has none. 2^depth paths, 2 * depth + 1 agents. `make`
 * builds one agent from its name and sub-agents.
 */
function diamond(depth: number, make: (name: string, agents: Agent[]) => Agent): Agent {
  let level: Agent[] = []
  for (let k = depth; k >= 1; k--) level = [make(`x${k}`, level), make(`y${k}`, level)]
  return make('root', level)
}

/** Delegates to its first sub-agent (or answers, without one) and answers once it has a result. */
function delegating(name: string, agents: Agent[]): Agent {
  const next = agents[0]
  const step = (request: ModelRequest) =>
    request.messages.some((m) => m.role === 'tool') || !next
      ? { text: `${name} done` }
      : { toolCalls: [{ name: delegationToolName(next.name), args: { task: 'go on' } }] }
  return defineAgent({
    name,
    description: `Agent ${name}`,
    instructions: 'x',
    model: scriptedModel(
      Array.from({ length: 8 }, () => step),
      { id: `scripted:${name}` },
    ),
    agents,
  })
}

describe('the transcript header of a diamond of agents', () => {
  it('writes each distinct agent of a diamond 25 levels deep once, quickly', () => {
    // Built without defineAgent's own checks, which visit each path (see the report of this change).
    const bare = defineAgent({ name: 'bare', description: 'b', instructions: 'x', model: 'openai:gpt-4o' })
    const root = diamond(25, (name, agents) => ({ ...bare, name, agents }) as Agent)
    const started = performance.now()
    const header = JSON.stringify(agentTree(root))
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(header.length).toBeLessThan(30_000)
    // Each agent is written whole once; every other mention is a reference.
    expect(header.match(/"specHash"/g)).toHaveLength(51)
    expect(header.match(/"ref"/g)).toHaveLength(2 * 24)
    expect(treeHash(root)).toMatch(/^[0-9a-f]+$/)
  })

  it('writes a tree without shared agents as before: no references', () => {
    const leaf = defineAgent({ name: 'leaf', description: 'l', instructions: 'x', model: 'openai:gpt-4o' })
    const mid = defineAgent({
      name: 'mid',
      description: 'm',
      instructions: 'x',
      model: 'openai:gpt-4o',
      agents: [leaf],
    })
    const tree = agentTree(
      defineAgent({ name: 'top', instructions: 'x', model: 'openai:gpt-4o', agents: [mid] }),
    )
    expect(JSON.stringify(tree)).not.toContain('"ref"')
    expect(tree.agents[0]).toMatchObject({ name: 'mid', agents: [{ name: 'leaf', tools: [], agents: [] }] })
  })

  it('runs, reads back, replays, resumes, forks and views a run that goes through shared agents', async () => {
    const depth = 8
    // The root delegates to y1, which delegates to x2, ..., written under x1: references, all.
    const root = diamond(depth, (name, agents) =>
      delegating(name, name === 'root' ? [...agents].reverse() : agents),
    )
    const path = file('diamond')
    const result = await run(root, 'go', { record: path, budget: { maxDepth: 20 } })
    expect(result).toMatchObject({ status: 'done', output: 'root done' })
    const header = readFileSync(path, 'utf8').split('\n')[0]!
    expect(header.length).toBeLessThan(20_000)
    expect(header.match(/"specHash"/g)).toHaveLength(2 * depth + 1)

    const transcript = readTranscript(path)
    expect(transcript.header.agent.agents.map((a) => a.name)).toEqual(['y1', 'x1'])
    const steps = (r: { trajectory: { name: string }[] }) => r.trajectory.map((s) => s.name)
    expect(steps(result)).toContain(delegationToolName(`x${depth}`))

    const again = () =>
      diamond(depth, (name, agents) => delegating(name, name === 'root' ? [...agents].reverse() : agents))
    const replayed = await replay(path, again())
    expect(replayed).toMatchObject({ status: 'done', output: 'root done', divergences: [] })
    expect(steps(replayed)).toEqual(steps(result))
    const resumed = await resume(path, again(), { record: file('resumed') })
    expect(resumed).toMatchObject({ status: 'done', output: 'root done' })
    const forked = await fork(path, again(), { from: 1, record: file('forked') })
    expect(forked).toMatchObject({ status: 'done', output: 'root done' })

    const html = renderViewHtml(readViewInput(path))
    expect(html).toContain('root')
  })

  it('reads a header whose reference names no agent written whole as a damaged transcript', async () => {
    const root = diamond(2, delegating)
    const path = file('bad-ref')
    await run(root, 'go', { record: path })
    const [header, ...rest] = readFileSync(path, 'utf8').split('\n')
    const broken = header!.replace(/"ref":\["x1","x2"\]/, '"ref":["nowhere"]')
    expect(broken).not.toBe(header)
    const damaged = file('damaged')
    writeFileSync(damaged, [broken, ...rest].join('\n'))
    expect(() => readTranscript(damaged)).toThrow(
      expect.objectContaining({
        code: 'TRANSCRIPT',
        message: expect.stringMatching(/:1: header: "agent\.agents\.1\.agents\.0" refers to \["nowhere"\]/),
      }),
    )
  })
})
