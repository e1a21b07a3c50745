/**
 * replay(transcript, agent): a recorded run re-runs through the same agent definition with no
 * model calls, step key by step key, and the first request that differs from the recording is
 * reported with its step key and a readable diff. Also: bad transcripts, for replay, resume
 * and fork alike.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type Agent,
  BatonError,
  defineAgent,
  defineTool,
  fork,
  type ModelRequest,
  type PriceTable,
  type RunResult,
  readTranscript,
  replay,
  resume,
  run,
  TRANSCRIPT_VERSION,
} from '../src/index.js'
import { fakeClock, type ScriptEntry, type ScriptedModel, scriptedModel } from '../src/testing/index.js'
import { toolMessages } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-replay-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (name: string) => join(dir, `${files++}-${name}.jsonl`)

const TASK = 'Plan two days in Lisbon'
const RESEARCHER = 'root/1/agent:researcher#0'
const BUDGETER = 'root/1/agent:budgeter#0'
const PRICES: PriceTable = {
  'scripted:lead': { input: 3, output: 15 },
  'scripted:researcher': { input: 1, output: 4 },
  'scripted:budgeter': { input: 0.5, output: 2 },
}

const toolResults = (request: ModelRequest) => request.messages.filter((m) => m.role === 'tool')
const resultOf = (request: ModelRequest, tool: string) =>
  request.messages.findLast((m) => m.role === 'tool' && m.toolName === tool)?.content ?? ''
const systemOf = (request: ModelRequest) => request.messages.find((m) => m.role === 'system')?.content ?? ''

interface TeamOptions {
  /** `play`: models that answer any request (small policies); `none`: models with no steps at all. */
  models?: 'play' | 'none'
  leadInstructions?: string
  researcherInstructions?: string
  budgeterInstructions?: string
  weatherDescription?: string
  weatherSky?: string
  guideSights?: string[]
  guideWithCountry?: boolean
}

/**
 * A lead that, in one response, delegates to a researcher and a budgeter and calls its own
 * weather tool, then writes a typed plan from the three results. The researcher is slow (60 ms
 * a call) and the budgeter quick (5 ms): they finish in the other order than they started.
 * The tools write to shared memory and count their runs.
 */
function team(options: TeamOptions = {}) {
  const runs = { guide: 0, estimate: 0, weather: 0 }
  const sights = options.guideSights ?? ['Belém Tower', 'Alfama']
  const guideInput = options.guideWithCountry
    ? z.object({ city: z.string(), country: z.string().optional() })
    : z.object({ city: z.string() })
  const guide = defineTool({
    name: 'city_guide',
    description: 'Lists the sights worth seeing in a city',
    input: guideInput,
    run: ({ city }, ctx) => {
      runs.guide++
      ctx.memory.write(`notes/${city.toLowerCase()}`, sights)
      return sights
    },
  })
  const estimate = defineTool({
    name: 'estimate_costs',
    description: 'Estimates what a stay costs',
    input: z.object({ city: z.string(), days: z.number() }),
    run: ({ city, days }, ctx) => {
      runs.estimate++
      const total = 145 * days
      ctx.memory.write(`costs/${city.toLowerCase()}`, { days, total })
      return { city, days, total }
    },
  })
  const weather = defineTool({
    name: 'weather',
    description: options.weatherDescription ?? 'Current weather in a city',
    input: z.object({ city: z.string() }),
    run: ({ city }) => {
      runs.weather++
      return { city, sky: options.weatherSky ?? 'clear' }
    },
  })

  const play = options.models !== 'none'
  const model = (id: string, policy: ScriptEntry, latencyMs: number): ScriptedModel =>
    scriptedModel(play ? Array.from({ length: 6 }, () => policy) : [], { id, latencyMs })

  const models = {
    researcher: model(
      'scripted:researcher',
      (request) =>
        toolResults(request).length === 0
          ? { toolCalls: [{ name: 'city_guide', args: { city: 'Lisbon' } }], usage: usage(80, 10) }
          : {
              text: JSON.stringify({ sights: JSON.parse(resultOf(request, 'city_guide')) }),
              usage: usage(150, 50),
            },
      60,
    ),
    budgeter: model(
      'scripted:budgeter',
      (request) => {
        if (toolResults(request).length === 0)
          return {
            toolCalls: [{ name: 'estimate_costs', args: { city: 'Lisbon', days: 2 } }],
            usage: usage(70, 12),
          }
        const { total } = JSON.parse(resultOf(request, 'estimate_costs')) as { total: number }
        const currency = /USD/.test(systemOf(request)) ? 'USD' : 'EUR'
        return { text: `About ${total} ${currency}`, usage: usage(110, 20) }
      },
      5,
    ),
    lead: model(
      'scripted:lead',
      (request) =>
        toolResults(request).length === 0
          ? {
              toolCalls: [
                { name: 'delegate_researcher', args: { task: 'Sights in Lisbon' } },
                { name: 'delegate_budgeter', args: { task: 'Cost of two days in Lisbon' } },
                { name: 'weather', args: { city: 'Lisbon' } },
              ],
              usage: usage(120, 40),
            }
          : {
              text: JSON.stringify({
                city: 'Lisbon',
                sights: (JSON.parse(resultOf(request, 'delegate_researcher')) as { sights: string[] }).sights,
                cost: resultOf(request, 'delegate_budgeter'),
                sky: (JSON.parse(resultOf(request, 'weather')) as { sky: string }).sky,
              }),
              usage: usage(300, 90),
            },
      5,
    ),
  }

  const researcher = defineAgent({
    name: 'researcher',
    description: 'Finds sights',
    instructions: options.researcherInstructions ?? 'Find the sights.',
    model: models.researcher,
    tools: [guide],
    output: z.object({ sights: z.array(z.string()) }),
  })
  const budgeter = defineAgent({
    name: 'budgeter',
    description: 'Estimates costs',
    instructions: options.budgeterInstructions ?? 'Estimate costs in EUR.',
    model: models.budgeter,
    tools: [estimate],
  })
  const agent = defineAgent({
    name: 'planner',
    instructions: options.leadInstructions ?? 'Plan trips.',
    model: models.lead,
    tools: [weather],
    agents: [researcher, budgeter],
    output: z.object({ city: z.string(), sights: z.array(z.string()), cost: z.string(), sky: z.string() }),
    budget: { maxSteps: 20 },
  })
  return { agent, models, runs }
}

function usage(inputTokens: number, outputTokens: number) {
  return { inputTokens, outputTokens }
}

/** What a faithful replay must reproduce: everything but wall time and write times. */
function summary(result: RunResult) {
  const { wallMs: _wallMs, ...usage } = result.usage
  return {
    status: result.status,
    stopReason: result.stopReason,
    output: result.output,
    usage,
    memory: result.memory
      .map(({ key, value, by, step }) => ({ key, value, by, step }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  }
}

const modelCalls = (models: Record<string, ScriptedModel>) =>
  Object.values(models).reduce((n, model) => n + model.requests.length, 0)

// One recording of the team, replayed by many tests below.
let recorded: RunResult
let recording: string
beforeAll(async () => {
  recording = file('team')
  recorded = await run(team().agent, TASK, { record: recording, prices: PRICES })
})

describe('the recording', () => {
  it('is a done run whose two concurrent sub-agents finished in the other order than they started', () => {
    expect(recorded.status).toBe('done')
    expect(recorded.usage.costUsd).toBeGreaterThan(0)
    const { events } = readTranscript(recording)
    const children = (type: string) =>
      events.filter((e) => e.type === type && e.path !== 'root').map((e) => e.path)
    expect(children('agent.start')).toEqual([RESEARCHER, BUDGETER])
    expect(children('agent.end')).toEqual([BUDGETER, RESEARCHER])
    // Both were running at once: the budgeter ended before the researcher's first answer.
    const seqOf = (type: string, path: string) => events.find((e) => e.type === type && e.path === path)!.seq!
    expect(seqOf('agent.end', BUDGETER)).toBeLessThan(seqOf('model.response', `${RESEARCHER}/1/model`))
  })
})

describe('a faithful replay', () => {
  it('ends with the same status, output, usage and memory, sub-agents included, with no model call', async () => {
    const again = team({ models: 'none' })
    const record = file('replayed')
    const replayed = await replay(recording, again.agent, { record })
    expect(replayed.error).toBeUndefined()
    expect(summary(replayed)).toEqual(summary(recorded))
    expect(replayed.divergences).toEqual([])
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
    expect(modelCalls(again.models)).toBe(0)
    // Recorded tool results are reused: no tool ran.
    expect(again.runs).toEqual({ guide: 0, estimate: 0, weather: 0 })

    // The replay's own transcript has the same model answers at the same step keys.
    const answers = (path: string) =>
      readTranscript(path)
        .events.filter((e) => e.type === 'model.response')
        .map((e) => [e.path, e.message, e.usage])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
    expect(answers(record)).toEqual(answers(recording))
    // The new transcript names the one it came from, down to its digest.
    expect(readTranscript(record).header.from).toEqual({
      runId: recorded.runId,
      mode: 'replay',
      digest: readTranscript(recording).digest,
    })
  })

  it("runs on the caller's clock and ids, as a live run does", async () => {
    const again = team({ models: 'none' })
    const record = file('replayed-on-a-fake-clock')
    const clock = fakeClock(Date.UTC(2030, 0, 1))
    let n = 0
    const replayed = await replay(recording, again.agent, { record, clock, ids: (kind) => `${kind}_${++n}` })
    expect(summary(replayed)).toEqual(summary(recorded))
    expect(replayed.runId).toBe('run_1')
    // Nothing moved the clock: no time passed for the run or any event.
    expect(replayed.usage.wallMs).toBe(0)
    const transcript = readTranscript(record)
    expect(transcript.header.startedAt).toBe('2030-01-01T00:00:00.000Z')
    expect(transcript.events.every((e) => e.t === 0)).toBe(true)
  })

  it('is the same however often it is replayed (the sub-agents may finish in any order)', async () => {
    for (let i = 0; i < 5; i++) {
      const again = team({ models: 'none' })
      expect(summary(await replay(recording, again.agent))).toEqual(summary(recorded))
    }
  })

  it("rebuilds the tools' memory writes, with the writer's agent path and step key, without running the tools", async () => {
    const again = team({ models: 'none' })
    const replayed = await replay(recording, again.agent)
    expect(again.runs.guide).toBe(0)
    const entry = (key: string) => replayed.memory.find((e) => e.key === key)
    expect(entry('notes/lisbon')).toMatchObject({
      value: ['Belém Tower', 'Alfama'],
      by: RESEARCHER,
      step: expect.stringMatching(/^root\/1\/agent:researcher#0\/1\/tool\/.+/),
    })
    expect(entry('costs/lisbon')).toMatchObject({ value: { days: 2, total: 290 }, by: BUDGETER })
    expect(entry('agents/researcher/0')).toMatchObject({ value: { sights: ['Belém Tower', 'Alfama'] } })
    expect(entry('agents/budgeter/0')).toMatchObject({ value: 'About 290 EUR', by: BUDGETER })
  })

  it('runs the tools for real with liveTools, and still takes every model answer from the recording', async () => {
    const again = team({ models: 'none' })
    const replayed = await replay(recording, again.agent, { liveTools: true })
    expect(summary(replayed)).toEqual(summary(recorded))
    expect(again.runs).toEqual({ guide: 1, estimate: 1, weather: 1 })
    expect(replayed.live).toEqual({ model: 0, tool: 3 })
    expect(modelCalls(again.models)).toBe(0)
  })

  it('charges the usage and cost on record, even when the price table changed since the recording', async () => {
    const make = (models: 'play' | 'none') =>
      defineAgent({
        name: 'priced',
        instructions: 'Answer.',
        model: scriptedModel(models === 'play' ? [{ text: 'ok', usage: usage(1000, 100) }] : [], {
          id: 'openai:gpt-4o-mini',
        }),
      })
    const record = file('priced')
    // Recorded when gpt-4o-mini cost 5 and 20 USD per million tokens (a price override stands in
    // for an older shipped price table: the header of such a transcript has no prices).
    const original = await run(make('play'), 'Say ok', {
      record,
      prices: { 'openai:gpt-4o-mini': { input: 5, output: 20 } },
    })
    expect(original.usage.costUsd).toBeCloseTo(0.007)
    const [header, ...rest] = readFileSync(record, 'utf8').split('\n')
    const parsed = JSON.parse(header!)
    delete parsed.prices
    writeFileSync(record, [JSON.stringify(parsed), ...rest].join('\n'))
    const replayed = await replay(record, make('none'))
    expect(replayed.status).toBe('done')
    expect(replayed.usage.costUsd).toBe(original.usage.costUsd)
  })

  it('keeps a truncated tool result whole in memory, as the recording did', async () => {
    const make = (models: 'play' | 'none') => {
      let runs = 0
      const long = defineTool({
        name: 'long_text',
        description: 'Returns a long text',
        input: z.object({}),
        maxResultChars: 40,
        run: () => {
          runs++
          return 'word '.repeat(50)
        },
      })
      const model = scriptedModel(
        models === 'play'
          ? [{ toolCalls: [{ name: 'long_text', args: {}, id: 'c1' }] }, { text: 'read it' }]
          : [],
      )
      const agent = defineAgent({ name: 'reader', instructions: 'Read.', model, tools: [long] })
      return { agent, runs: () => runs }
    }
    const record = file('truncated-result')
    const original = await run(make('play').agent, 'Read the long text', { record })
    expect(original.memory.map((e) => e.key)).toEqual(['tools/long_text/c1'])
    const again = make('none')
    const replayed = await replay(record, again.agent)
    expect(summary(replayed)).toEqual(summary(original))
    expect(again.runs()).toBe(0)
  })

  it('keeps each truncated result whole when a provider reuses a call id across steps, live and in a replay', async () => {
    // Some OpenAI-compatible servers number calls per response: `c1` comes back every step.
    const make = (models: 'play' | 'none') => {
      const page = defineTool({
        name: 'page',
        description: 'Returns a long page',
        input: z.object({ n: z.number() }),
        maxResultChars: 20,
        run: ({ n }) => `page ${n} `.repeat(10),
      })
      const steps = [1, 2, 3].map((n) => ({ toolCalls: [{ name: 'page', args: { n }, id: 'c1' }] }))
      const model = scriptedModel(models === 'play' ? [...steps, { text: 'read them' }] : [])
      const agent = defineAgent({ name: 'reader', instructions: 'Read.', model, tools: [page] })
      return { agent, model }
    }
    const record = file('reused-call-id')
    const live = make('play')
    const original = await run(live.agent, 'Read three pages', { record })
    expect(original.status).toBe('done')
    const kept = new Map(original.memory.map((e) => [e.key, e.value]))
    expect([...kept.values()].sort()).toEqual([1, 2, 3].map((n) => `page ${n} `.repeat(10)))
    // Each note names the key its own whole value is under.
    const notes = live.model.requests.slice(1).map((request) => toolMessages(request).at(-1)!.content)
    notes.forEach((note, i) => {
      const key = /"(tools\/page\/[^"]+)"/.exec(note)?.[1]
      expect(kept.get(key!)).toBe(`page ${i + 1} `.repeat(10))
    })
    expect(kept.has('tools/page/c1')).toBe(true)

    const replayed = await replay(record, make('none').agent)
    expect(summary(replayed)).toEqual(summary(original))
  })
})

describe('what a replay is given', () => {
  it('a transcript that is neither a path nor a Transcript, or an agent not made by defineAgent, is refused by name', async () => {
    const { agent } = team({ models: 'none' })
    const calls = {
      replay,
      resume,
      fork: (t: unknown, a: unknown) => fork(t as string, a as Agent, { from: 1 }),
    }
    for (const [mode, call] of Object.entries(calls))
      for (const [given, shown] of [
        [42, 'number 42'],
        [null, 'null'],
        ['', 'the string ""'],
        [{ header: {}, events: 5 }, 'object'],
      ] as const) {
        const error = await (call as (t: unknown, a: unknown) => Promise<unknown>)(given, agent).catch(
          (e) => e,
        )
        expect(error).toBeInstanceOf(BatonError)
        expect(error).toMatchObject({
          code: 'INVALID_OPTIONS',
          message: `${mode}: expected the path of a transcript or a Transcript (from readTranscript or parseTranscript), got ${shown}`,
        })
      }
    await expect(replay(recording, { name: 'planner' } as unknown as Agent)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: 'replay: expected an agent made by defineAgent, got object',
    })
    // A Transcript read first is taken as it is.
    expect((await replay(readTranscript(recording), agent)).divergences).toEqual([])
  })
})

describe('a recorded run that did not end done', () => {
  /** Calls echo twice, then runs out of script (or, with `finish`, answers after one call). */
  const short = (models: 'play' | 'none', needsApproval = false, finish = false) => {
    const echo = defineTool({
      name: 'echo',
      description: 'Echoes a number back',
      input: z.object({ n: z.number() }),
      needsApproval,
      run: ({ n }) => `echo ${n}`,
    })
    const model = scriptedModel(
      models === 'none'
        ? []
        : finish
          ? [{ toolCalls: [{ name: 'echo', args: { n: 1 } }], usage: usage(10, 5) }, { text: 'finished' }]
          : [
              { toolCalls: [{ name: 'echo', args: { n: 1 } }], usage: usage(10, 5) },
              { toolCalls: [{ name: 'echo', args: { n: 2 } }], usage: usage(20, 5) },
            ],
      { id: 'scripted:lead' },
    )
    return { agent: defineAgent({ name: 'short', instructions: 'Go on.', model, tools: [echo] }), model }
  }

  it.each([
    ['a model failure (the script ran out)', {}, 'error', 'SCRIPT_EXHAUSTED'],
    ['a budget limit', { budget: { maxSteps: 1 } }, 'budget_exceeded', 'maxSteps'],
  ] as const)('replays %s to the same status, with no model call', async (_, options, status, stopReason) => {
    const record = file('ended')
    const original = await run(short('play').agent, 'Keep going', { ...options, record, prices: PRICES })
    expect([original.status, original.stopReason]).toEqual([status, stopReason])
    const again = short('none')
    const replayed = await replay(record, again.agent)
    expect(replayed.status).toBe(status)
    expect(again.model.requests).toHaveLength(0)
    const { status: _s, stopReason: _r, ...rest } = summary(replayed)
    const { status: _s2, stopReason: _r2, ...expected } = summary(original)
    expect(rest).toEqual(expected)
  })

  it('replays a recorded model failure with the same stop reason and error code', async () => {
    const record = file('failed')
    const original = await run(short('play').agent, 'Keep going', { record })
    expect(original.error?.code).toBe('SCRIPT_EXHAUSTED')
    const replayed = await replay(record, short('none').agent)
    expect(replayed.stopReason).toBe(original.stopReason)
    expect(replayed.error?.code).toBe(original.error?.code)
    expect(replayed.error?.message).toBe(original.error?.message)
  })

  it.each([
    ['approved', true],
    ['refused', false],
  ])(
    'replays a call that was %s with no approve function: the decision is on record',
    async (_, decision) => {
      const record = file('decided')
      const original = await run(short('play', true, true).agent, 'Keep going', {
        record,
        approve: () => decision,
      })
      expect(original.status).toBe('done')
      const again = short('none', true, true)
      const replayed = await replay(record, again.agent)
      expect(summary(replayed)).toEqual(summary(original))
      expect(again.model.requests).toHaveLength(0)
    },
  )

  it('replays a run that stopped awaiting approval to the same status and pending call', async () => {
    const record = file('paused')
    const original = await run(short('play', true).agent, 'Keep going', { record })
    expect(original.status).toBe('awaiting_approval')
    const again = short('none', true)
    const replayed = await replay(record, again.agent)
    expect(summary(replayed)).toEqual(summary(original))
    expect(replayed.pending).toEqual(original.pending)
    expect(again.model.requests).toHaveLength(0)
  })
})

describe('a divergence', () => {
  it.each([
    {
      what: 'changed instructions',
      change: { leadInstructions: 'Plan trips. Keep them short.' },
      step: 'root/1/model',
      lines: [
        'new message 1 (system) differs:',
        /^- {3}"content": "Plan trips\."$/m,
        /^\+ {3}"content": "Plan trips\. Keep them short\."$/m,
      ],
    },
    {
      what: "a sub-agent's changed instructions",
      change: { researcherInstructions: 'Find the famous sights.' },
      step: `${RESEARCHER}/1/model`,
      lines: [/^- {3}"content": "Find the sights\."$/m, /^\+ {3}"content": "Find the famous sights\."$/m],
    },
    {
      what: 'a changed tool description',
      change: { weatherDescription: 'Current weather and forecast in a city' },
      step: 'root/1/model',
      lines: [
        'tool "weather": description changed',
        /^- Current weather in a city$/m,
        /^\+ Current weather and forecast in a city$/m,
      ],
    },
    {
      what: "a changed tool schema (a sub-agent's tool)",
      change: { guideWithCountry: true },
      step: `${RESEARCHER}/1/model`,
      lines: ['tool "city_guide": input schema changed', /^\+ .*"country"/m],
    },
    {
      what: 'a different tool result under liveTools',
      change: { weatherSky: 'rain' },
      liveTools: true,
      step: 'root/2/model',
      lines: [
        /new message \d+ \(tool\) differs:/,
        /^- .*\\"sky\\":\\"clear\\"/m,
        /^\+ .*\\"sky\\":\\"rain\\"/m,
      ],
    },
    {
      what: "a different result of a sub-agent's tool under liveTools",
      change: { guideSights: ['Belém Tower', 'LX Factory'] },
      liveTools: true,
      step: `${RESEARCHER}/2/model`,
      lines: [/new message \d+ \(tool\) differs:/, /^- .*Alfama/m, /^\+ .*LX Factory/m],
    },
  ])(
    'ends a strict replay on $what with REPLAY_DIVERGENCE naming $step and showing the diff',
    async ({ change, liveTools, step, lines }) => {
      const again = team({ ...change, models: 'none' })
      const replayed = await replay(recording, again.agent, { liveTools: liveTools ?? false })
      expect(replayed.status).toBe('error')
      expect(replayed.stopReason).toBe('REPLAY_DIVERGENCE')
      expect(replayed.error?.code).toBe('REPLAY_DIVERGENCE')
      const message = replayed.error!.message
      // The first divergence ends the replay, and the error is about it.
      expect(message.startsWith(`${step}: `), message).toBe(true)
      for (const line of lines) {
        if (typeof line === 'string') expect(message).toContain(line)
        else expect(message).toMatch(line)
      }
      expect(replayed.divergences.map((d) => d.step)).toEqual([step])
      expect(replayed.divergences[0]!.message).toBe(message)
      expect(modelCalls(again.models)).toBe(0)
    },
  )

  it('lets a lenient replay go on live from the divergence with the configured models, and lists it', async () => {
    const again = team({ budgeterInstructions: 'Estimate costs in USD.' })
    const replayed = await replay(recording, again.agent, { strict: false })
    expect(replayed.status).toBe('done')
    expect(replayed.output).toMatchObject({ cost: 'About 290 USD', sights: ['Belém Tower', 'Alfama'] })
    const steps = replayed.divergences.map((d) => d.step)
    expect(steps[0]).toBe(`${BUDGETER}/1/model`)
    expect(replayed.divergences[0]!.message).toMatch(/^\+ {3}"content": "Estimate costs in USD\."$/m)
    // The budgeter's answer changed, so the lead's next request differs too and goes live.
    expect(steps).toContain('root/2/model')
    // What did not diverge still comes from the recording.
    expect(again.models.researcher.requests).toHaveLength(0)
    expect(again.models.budgeter.requests).toHaveLength(2)
    expect(again.models.lead.requests).toHaveLength(1)
    expect(replayed.live.model).toBe(3)
    expect(again.runs).toEqual({ guide: 0, estimate: 1, weather: 0 })
  })

  it('ends a strict replay whose lenient model is not needed the same way as a plain one', async () => {
    const replayed = await replay(recording, team({ models: 'none' }).agent, { strict: true })
    expect(summary(replayed)).toEqual(summary(recorded))
  })
})

describe('bad input', () => {
  const other = () =>
    defineAgent({ name: 'other', instructions: 'Other.', model: scriptedModel([]) }) as Agent<unknown>
  const calls = {
    replay: (path: string, agent: Agent<unknown>) => replay(path, agent),
    resume: (path: string, agent: Agent<unknown>) => resume(path, agent, { record: file('resumed') }),
    fork: (path: string, agent: Agent<unknown>) => fork(path, agent, { from: 1 }),
  }
  const lines = () => readFileSync(recording, 'utf8').split('\n')
  const write = (name: string, text: string) => {
    const path = file(name)
    writeFileSync(path, text)
    return path
  }

  const cases: [string, number, () => { path: string; agent: Agent<unknown> }, RegExp][] = [
    [
      "another agent's transcript",
      1,
      () => ({ path: recording, agent: other() }),
      /recorded for agent "planner", not "other"/,
    ],
    [
      'a newer schema version',
      1,
      () => {
        const [header, ...rest] = lines()
        const newer = header!.replace(
          `"version":${TRANSCRIPT_VERSION}`,
          `"version":${TRANSCRIPT_VERSION + 1}`,
        )
        return { path: write('newer', [newer, ...rest].join('\n')), agent: team().agent }
      },
      /newer/,
    ],
    [
      'a version no migration reads',
      1,
      () => {
        const [header, ...rest] = lines()
        const older = header!.replace(`"version":${TRANSCRIPT_VERSION}`, '"version":0')
        return { path: write('older', [older, ...rest].join('\n')), agent: team().agent }
      },
      /version/,
    ],
    [
      'a file that is not JSON',
      1,
      () => ({ path: write('not-json', 'Plan two days in Lisbon, please.\n'), agent: team().agent }),
      /not JSON/,
    ],
    [
      'JSON that is not a transcript',
      1,
      () => ({ path: write('not-transcript', '{"name":"planner"}\n'), agent: team().agent }),
      /header/,
    ],
    [
      'a line cut in the middle of the file',
      5,
      () => {
        const all = lines()
        all[4] = all[4]!.slice(0, 30)
        return { path: write('cut-inside', all.join('\n')), agent: team().agent }
      },
      /not JSON/,
    ],
    [
      'an event without its seq',
      3,
      () => {
        const all = lines()
        all[2] = all[2]!.replace(/^\{"seq":\d+,/, '{')
        return { path: write('no-seq', all.join('\n')), agent: team().agent }
      },
      /seq/,
    ],
  ]

  for (const [name, call] of Object.entries(calls)) {
    it.each(cases)(
      `${name}: %s is a TRANSCRIPT error naming the file and line %i`,
      async (_, line, make, what) => {
        const { path, agent } = make()
        const error = await call(path, agent).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(error).toBeInstanceOf(BatonError)
        expect(error).toMatchObject({ code: 'TRANSCRIPT' })
        const { message } = error as BatonError
        expect(message.startsWith(`${path}:${line}: `), message).toBe(true)
        expect(message).toMatch(what)
      },
    )

    it(`${name}: a missing file is a TRANSCRIPT error naming it`, async () => {
      const path = join(dir, 'nope.jsonl')
      await expect(call(path, team().agent as Agent<unknown>)).rejects.toMatchObject({
        code: 'TRANSCRIPT',
        message: expect.stringContaining(path),
      })
    })
  }

  it('replay: a truncated transcript (a crash cut it) is a TRANSCRIPT error naming the file and the line', async () => {
    const all = lines()
    const cut = all.findIndex((l) => l.includes('"type":"agent.end"'))
    // Cut in the middle of a line, as a crash mid-write leaves it; resume() takes such a file.
    const text = `${all.slice(0, cut).join('\n')}\n${all[cut]!.slice(0, 25)}`
    const path = write('truncated', text)
    expect(readTranscript(path).truncated).toBe(true)
    const error = await replay(path, team({ models: 'none' }).agent).then(
      (result) => result,
      (e: unknown) => e,
    )
    expect(error, JSON.stringify(error)).toBeInstanceOf(BatonError)
    expect(error).toMatchObject({ code: 'TRANSCRIPT' })
    expect((error as BatonError).message).toMatch(new RegExp(`^${escapeRegExp(path)}:\\d+: `))
  })
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
