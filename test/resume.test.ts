/**
 * resume(transcript, agent, options): a run that crashed, ran out of budget or paused for
 * approval goes on from its transcript — the recorded prefix replays without calling the model
 * again, then the run continues live. fork(transcript, agent, { from }): the steps before `from`
 * come from the recording, the rest runs live with another model, prompt or tool.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type BatonEvent,
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
} from '../src/index.js'
import { type ScriptEntry, type ScriptedModel, scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-resume-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (name: string) => join(dir, `${files++}-${name}.jsonl`)

const PRICES: PriceTable = {
  'scripted:worker': { input: 2, output: 10 },
  'scripted:lead': { input: 3, output: 15 },
  'scripted:researcher': { input: 1, output: 4 },
  'scripted:budgeter': { input: 0.5, output: 2 },
}
const RESEARCHER = 'root/1/agent:researcher#0'
const BUDGETER = 'root/1/agent:budgeter#0'

const toolResults = (request: ModelRequest) => request.messages.filter((m) => m.role === 'tool')
const resultOf = (request: ModelRequest, tool: string) =>
  request.messages.findLast((m) => m.role === 'tool' && m.toolName === tool)?.content ?? ''

/** What a resumed run must end with: everything but wall time and write times. */
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

/** A policy the scripted model plays at every call: it reads the request, so it can start anywhere. */
const repeat = (policy: ScriptEntry, n = 8) => Array.from({ length: n }, () => policy)

interface WorkerOptions {
  /** `play`: a model that answers; `none`: a model with no steps (any call fails). */
  models?: 'play' | 'none'
  /** The model's steps (default: the work policy). */
  script?: ScriptEntry[]
  instructions?: string
  needsApproval?: (n: number) => boolean
  result?: (n: number) => string
}

/** One agent that calls `work` three times (n = 1, 2, 3), one call per step, then answers: 4 steps. */
function worker(options: WorkerOptions = {}) {
  const runs: number[] = []
  const work = defineTool({
    name: 'work',
    description: 'Does one unit of work',
    input: z.object({ n: z.number() }),
    needsApproval: options.needsApproval ? ({ n }) => options.needsApproval!(n) : false,
    run: ({ n }, ctx) => {
      runs.push(n)
      ctx.memory.write(`work/${n}`, { n, by: 'work' })
      return options.result?.(n) ?? `done ${n}`
    },
  })
  const policy: ScriptEntry = (request) => {
    const done = toolResults(request).length
    return done < 3
      ? {
          toolCalls: [{ name: 'work', args: { n: done + 1 }, id: `w${done + 1}` }],
          usage: { inputTokens: 100 * (done + 1), outputTokens: 10 },
        }
      : {
          text: `worked: ${toolResults(request)
            .map((m) => m.content)
            .join(', ')}`,
          usage: { inputTokens: 500, outputTokens: 30 },
        }
  }
  const script = options.models === 'none' ? [] : (options.script ?? repeat(policy))
  const model = scriptedModel(script, { id: 'scripted:worker', latencyMs: 2 })
  const agent = defineAgent({
    name: 'worker',
    instructions: options.instructions ?? 'Work in units.',
    model,
    tools: [work],
    budget: { maxSteps: 20 },
  })
  return { agent, model, runs }
}

/** A lead that delegates to a slow researcher and a quick budgeter at once, then answers from both. */
function team(models: 'play' | 'none' = 'play') {
  const runs = { guide: 0, estimate: 0 }
  const guide = defineTool({
    name: 'city_guide',
    description: 'Lists sights',
    input: z.object({ city: z.string() }),
    run: ({ city }, ctx) => {
      runs.guide++
      ctx.memory.write(`notes/${city}`, ['Belém Tower', 'Alfama'])
      return ['Belém Tower', 'Alfama']
    },
  })
  const estimate = defineTool({
    name: 'estimate_costs',
    description: 'Estimates costs',
    input: z.object({ days: z.number() }),
    run: ({ days }) => {
      runs.estimate++
      return { total: 145 * days }
    },
  })
  const model = (id: string, policy: ScriptEntry, latencyMs: number): ScriptedModel =>
    scriptedModel(models === 'play' ? repeat(policy) : [], { id, latencyMs })
  const researcherModel = model(
    'scripted:researcher',
    (request) =>
      toolResults(request).length === 0
        ? {
            toolCalls: [{ name: 'city_guide', args: { city: 'Lisbon' }, id: 'g1' }],
            usage: { inputTokens: 80, outputTokens: 9 },
          }
        : {
            text: `Sights: ${resultOf(request, 'city_guide')}`,
            usage: { inputTokens: 150, outputTokens: 40 },
          },
    60,
  )
  const budgeterModel = model(
    'scripted:budgeter',
    (request) =>
      toolResults(request).length === 0
        ? {
            toolCalls: [{ name: 'estimate_costs', args: { days: 2 }, id: 'e1' }],
            usage: { inputTokens: 70, outputTokens: 8 },
          }
        : {
            text: `Cost: ${resultOf(request, 'estimate_costs')}`,
            usage: { inputTokens: 110, outputTokens: 20 },
          },
    5,
  )
  const leadModel = model(
    'scripted:lead',
    (request) =>
      toolResults(request).length === 0
        ? {
            toolCalls: [
              { name: 'delegate_researcher', args: { task: 'Sights in Lisbon' }, id: 'd1' },
              { name: 'delegate_budgeter', args: { task: 'Two days in Lisbon' }, id: 'd2' },
            ],
            usage: { inputTokens: 120, outputTokens: 30 },
          }
        : {
            text: `${resultOf(request, 'delegate_researcher')} / ${resultOf(request, 'delegate_budgeter')}`,
            usage: { inputTokens: 300, outputTokens: 60 },
          },
    5,
  )
  const researcher = defineAgent({
    name: 'researcher',
    description: 'Finds sights',
    instructions: 'Find sights.',
    model: researcherModel,
    tools: [guide],
  })
  const budgeter = defineAgent({
    name: 'budgeter',
    description: 'Estimates costs',
    instructions: 'Estimate costs.',
    model: budgeterModel,
    tools: [estimate],
  })
  const agent = defineAgent({
    name: 'lead',
    instructions: 'Plan.',
    model: leadModel,
    agents: [researcher, budgeter],
  })
  return { agent, runs, models: { lead: leadModel, researcher: researcherModel, budgeter: budgeterModel } }
}

/**
 * The transcript of a run killed right after event `cutAfter` was written (the events up to it,
 * as a crash leaves them); `partial` adds the first bytes of the next line, cut mid-write.
 */
function crashed(full: string, cutAfter: (event: BatonEvent) => boolean, partial = false): string {
  const lines = readFileSync(full, 'utf8').split('\n')
  const at = lines.findIndex((line, i) => i > 0 && cutAfter(JSON.parse(line) as BatonEvent))
  expect(at).toBeGreaterThan(0)
  const path = file('crashed')
  writeFileSync(path, `${lines.slice(0, at + 1).join('\n')}\n${partial ? lines[at + 1]!.slice(0, 20) : ''}`)
  return path
}

const responsesIn = (path: string) =>
  readTranscript(path).events.filter((e) => e.type === 'model.response').length

/** A resumed transcript is complete, and itself replays to the same result with no model call. */
async function expectCompleteAndReplayable(path: string, result: RunResult, again: () => Promise<RunResult>) {
  const transcript = readTranscript(path)
  expect(transcript.truncated).toBe(false)
  const { events } = transcript
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
  expect(events.at(-1)).toMatchObject({ type: 'run.end', status: result.status })
  expect(events.filter((e) => e.type === 'run.start')).toHaveLength(1)
  // Every model call on record completed.
  const requests = events.filter((e) => e.type === 'model.request').map((e) => e.path)
  const answered = new Set(
    events.filter((e) => e.type === 'model.response' || e.type === 'model.error').map((e) => e.path),
  )
  expect(requests.filter((p) => !answered.has(p))).toEqual([])
  const replayed = await again()
  expect(summary(replayed)).toEqual(summary(result))
}

describe('resume after a crash', () => {
  it.each([
    [
      'after a completed step (a tool result)',
      (e: BatonEvent) => e.type === 'tool.result' && e.path === 'root/2/tool/w2',
      false,
    ],
    [
      'with the last line cut off mid-write',
      (e: BatonEvent) => e.type === 'tool.result' && e.path === 'root/2/tool/w2',
      true,
    ],
    [
      'while a tool was running (its model answer is on disk)',
      (e: BatonEvent) => e.type === 'model.response' && e.path === 'root/3/model',
      false,
    ],
    [
      'while a model call was in flight (only its request is on disk)',
      (e: BatonEvent) => e.type === 'model.request' && e.path === 'root/3/model',
      false,
    ],
  ])('goes on %s without paying for completed model calls again', async (_, cutAfter, partial) => {
    const full = file('full')
    const original = await run(worker().agent, 'Do three units', { record: full, prices: PRICES })
    expect(original.status).toBe('done')
    const path = crashed(full, cutAfter, partial)
    expect(readTranscript(path).truncated).toBe(partial)
    const paid = responsesIn(path)
    const recordedTools = readTranscript(path).events.filter((e) => e.type === 'tool.result').length

    const again = worker()
    const prefixDigest = readTranscript(path).digest
    const resumed = await resume(path, again.agent)
    expect(resumed.status).toBe('done')
    // Only the calls after the prefix reached the model.
    expect(again.model.requests).toHaveLength(4 - paid)
    expect(resumed.live.model).toBe(4 - paid)
    // Tools whose result is on disk did not run again.
    expect(again.runs).toEqual([1, 2, 3].slice(recordedTools))
    // The resumed run ends as the uncrashed one did: usage counted once, memory rebuilt.
    expect(summary(resumed)).toEqual(summary(original))
    expect(resumed.transcript).toBe(path)
    // The new transcript names the one it replaced, down to the digest of its last whole line.
    expect(prefixDigest).toMatch(/^[0-9a-f]{64}$/)
    expect(readTranscript(path).header.from).toEqual({
      runId: original.runId,
      mode: 'resume',
      digest: prefixDigest,
    })
    await expectCompleteAndReplayable(path, resumed, () => replay(path, worker({ models: 'none' }).agent))
  })

  it('goes on inside concurrent sub-agents: a finished one replays, a cut-off one continues live', async () => {
    const full = file('team')
    const original = await run(team().agent, 'Plan two days in Lisbon', { record: full, prices: PRICES })
    expect(original.status).toBe('done')
    // Killed once the researcher's first answer was on disk (the quick budgeter had finished).
    const path = crashed(full, (e) => e.type === 'model.response' && e.path === `${RESEARCHER}/1/model`)
    const prefix = readTranscript(path).events
    expect(prefix.some((e) => e.type === 'agent.end' && e.path === BUDGETER)).toBe(true)
    expect(prefix.some((e) => e.type === 'agent.end' && e.path === RESEARCHER)).toBe(false)

    const again = team()
    const resumed = await resume(path, again.agent)
    expect(resumed.status).toBe('done')
    expect(again.models.budgeter.requests).toHaveLength(0)
    expect(again.models.researcher.requests).toHaveLength(1)
    expect(again.models.lead.requests).toHaveLength(1)
    expect(again.runs).toEqual({ guide: 1, estimate: 0 })
    expect(summary(resumed)).toEqual(summary(original))
    await expectCompleteAndReplayable(path, resumed, () => replay(path, team('none').agent))
  })

  it('writes the resumed transcript to record when given, leaving the crashed one as it was', async () => {
    const full = file('full')
    await run(worker().agent, 'Do three units', { record: full })
    const path = crashed(full, (e) => e.type === 'tool.result' && e.path === 'root/1/tool/w1')
    const before = readFileSync(path, 'utf8')
    const record = file('resumed')
    const resumed = await resume(path, worker().agent, { record })
    expect(resumed.status).toBe('done')
    expect(resumed.transcript).toBe(record)
    expect(readFileSync(path, 'utf8')).toBe(before)
    expect(readTranscript(record).events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
  })
})

describe('resume of a changed agent', () => {
  it('fails on a recorded step whose request differs (strict), and goes on live from it when lenient', async () => {
    const path = file('changed')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 2 } })
    const before = readFileSync(path, 'utf8')
    const strict = worker({ instructions: 'Work in big units.' })
    const failed = await resume(path, strict.agent, { budget: { maxSteps: 10 }, record: file('strict') })
    expect([failed.status, failed.stopReason]).toEqual(['error', 'REPLAY_DIVERGENCE'])
    expect(failed.error?.message).toMatch(/^root\/1\/model: /)
    expect(strict.model.requests).toHaveLength(0)
    expect(readFileSync(path, 'utf8')).toBe(before)

    const lenient = worker({ instructions: 'Work in big units.' })
    const resumed = await resume(path, lenient.agent, { budget: { maxSteps: 10 }, strict: false })
    expect(resumed.status).toBe('done')
    expect(resumed.divergences.map((d) => d.step)).toEqual(['root/1/model'])
    expect(lenient.model.requests).toHaveLength(4)
  })
})

describe('resume of a run that ended done', () => {
  it('replays it to the same result, calling no model', async () => {
    const path = file('done')
    const original = await run(worker().agent, 'Do three units', { record: path, prices: PRICES })
    const again = worker()
    const resumed = await resume(path, again.agent)
    expect(summary(resumed)).toEqual(summary(original))
    expect(again.model.requests).toHaveLength(0)
    expect(again.runs).toEqual([])
  })
})

describe('a resume that fails', () => {
  it('keeps the recording it could not resume, so a fixed agent can still resume it', async () => {
    const path = file('kept')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 2 } })
    const failed = await resume(path, worker({ instructions: 'Work in big units.' }).agent, {
      budget: { maxSteps: 10 },
    })
    expect(failed.stopReason).toBe('REPLAY_DIVERGENCE')
    // The agent is put back as it was: the recorded steps are still there to replay.
    const again = worker()
    const resumed = await resume(path, again.agent, { budget: { maxSteps: 10 } })
    expect(resumed.status).toBe('done')
    expect(again.model.requests).toHaveLength(2)
  })
})

describe('resume after the budget ran out', () => {
  it('goes on with a bigger budget, paying only for the new calls', async () => {
    const path = file('budget')
    const stopped = await run(worker().agent, 'Do three units', {
      record: path,
      prices: PRICES,
      budget: { maxSteps: 2 },
    })
    expect([stopped.status, stopped.stopReason]).toEqual(['budget_exceeded', 'maxSteps'])
    const full = await run(worker().agent, 'Do three units', { prices: PRICES })

    const again = worker()
    const resumed = await resume(path, again.agent, { budget: { maxSteps: 10 } })
    expect(resumed.status).toBe('done')
    expect(again.model.requests).toHaveLength(2)
    expect(again.runs).toEqual([3])
    expect(summary(resumed)).toEqual(summary(full))
    expect(readTranscript(path).header.budget).toMatchObject({ maxSteps: 10 })
    await expectCompleteAndReplayable(path, resumed, () => replay(path, worker({ models: 'none' }).agent))
  })

  it('stops at the same limit again without a new budget, calling no model', async () => {
    const path = file('budget-again')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 2 } })
    const again = worker()
    const resumed = await resume(path, again.agent)
    expect([resumed.status, resumed.stopReason]).toEqual(['budget_exceeded', 'maxSteps'])
    expect(again.model.requests).toHaveLength(0)
    expect(again.runs).toEqual([])
  })

  it('counts the recorded usage against the new budget', async () => {
    const path = file('cost')
    const stopped = await run(worker().agent, 'Do three units', {
      record: path,
      prices: PRICES,
      budget: { maxSteps: 2 },
    })
    // Room for one more call on top of what the prefix already cost, not for two.
    const again = worker()
    const resumed = await resume(path, again.agent, { budget: { maxSteps: 3 } })
    expect([resumed.status, resumed.stopReason]).toEqual(['budget_exceeded', 'maxSteps'])
    expect(resumed.usage.steps).toBe(3)
    expect(again.model.requests).toHaveLength(1)
    expect(resumed.usage.costUsd).toBeGreaterThan(stopped.usage.costUsd)
  })
})

describe('resume after a pause for approval', () => {
  const gated = (models: 'play' | 'none' = 'play') => worker({ models, needsApproval: (n) => n >= 2 })

  it('runs the approved call and goes on, without calling the model for the recorded steps', async () => {
    const path = file('paused')
    const paused = await run(gated().agent, 'Do three units', { record: path, prices: PRICES })
    expect(paused.status).toBe('awaiting_approval')
    expect(paused.pending).toMatchObject([{ tool: 'work', args: { n: 2 } }])
    const full = await run(gated().agent, 'Do three units', { prices: PRICES, approve: () => true })

    const again = gated()
    const asked: unknown[] = []
    const resumed = await resume(path, again.agent, {
      approve: (request) => {
        asked.push(request.args)
        return true
      },
    })
    expect(resumed.status).toBe('done')
    expect(asked).toEqual([{ n: 2 }, { n: 3 }])
    expect(again.model.requests).toHaveLength(2)
    expect(again.runs).toEqual([2, 3])
    expect(summary(resumed)).toEqual(summary(full))
    await expectCompleteAndReplayable(path, resumed, () =>
      replay(path, gated('none').agent, { approve: () => true }),
    )
  })

  it('leaves a transcript that replays with nobody to approve: the decisions are on record', async () => {
    const path = file('paused-again')
    await run(gated().agent, 'Do three units', { record: path })
    const resumed = await resume(path, gated().agent, { approve: () => true })
    expect(resumed.status).toBe('done')
    const again = gated('none')
    const replayed = await replay(path, again.agent)
    expect(summary(replayed)).toEqual(summary(resumed))
    expect(again.runs).toEqual([])
  })

  it('stays awaiting approval without a decision, calling no model', async () => {
    const path = file('still-paused')
    await run(gated().agent, 'Do three units', { record: path })
    const again = gated()
    const resumed = await resume(path, again.agent)
    expect(resumed.status).toBe('awaiting_approval')
    expect(resumed.pending).toMatchObject([{ tool: 'work', args: { n: 2 } }])
    expect(again.model.requests).toHaveLength(0)
    expect(again.runs).toEqual([])
  })
})

describe('fork', () => {
  /** Model answers and tool results by step, as a transcript holds them. */
  const stepsOf = (path: string) => {
    const out = new Map<number, unknown[]>()
    for (const e of readTranscript(path).events) {
      const step = /^root\/(\d+)\//.exec(e.path)?.[1]
      if (!step) continue
      const seen =
        e.type === 'model.response' ? e.message : e.type === 'tool.result' ? [e.name, e.content] : undefined
      if (seen === undefined) continue
      out.set(Number(step), [...(out.get(Number(step)) ?? []), seen])
    }
    return out
  }

  it('re-runs from step N with a different model: steps before N are the recording, N and on are new', async () => {
    const original = file('original')
    await run(worker().agent, 'Do three units', { record: original })
    const other = scriptedModel([{ text: 'stopping after two units' }], { id: 'scripted:other' })
    const again = worker({ models: 'none' })
    const record = file('fork')
    const forked = await fork(original, again.agent, { from: 3, model: other, record })
    expect(forked.status).toBe('done')
    expect(forked.output).toBe('stopping after two units')
    // The new model was asked only for step 3, with the recorded history before it.
    expect(other.requests).toHaveLength(1)
    expect(toolResults(other.requests[0]!).map((m) => m.content)).toEqual(['done 1', 'done 2'])
    expect(again.runs).toEqual([])
    const before = stepsOf(original)
    const after = stepsOf(record)
    expect(after.get(1)).toEqual(before.get(1))
    expect(after.get(2)).toEqual(before.get(2))
    expect(after.get(3)).not.toEqual(before.get(3))
    expect(after.has(4)).toBe(false)
    expect(forked.usage.steps).toBe(3)
    expect(readTranscript(record).header.from).toMatchObject({ mode: 'fork' })
  })

  it('re-runs from step N with a different prompt: earlier steps are kept though their requests differ', async () => {
    const original = file('original')
    await run(worker().agent, 'Do three units', { record: original })
    const again = worker({ instructions: 'Work in units, carefully.' })
    const forked = await fork(original, again.agent, { from: 2 })
    expect(forked.status).toBe('done')
    expect(forked.divergences).toEqual([])
    expect(again.model.requests).toHaveLength(3)
    expect(again.model.requests[0]!.messages[0]).toEqual({
      role: 'system',
      content: 'Work in units, carefully.',
    })
    expect(again.runs).toEqual([2, 3])
  })

  it('re-runs from step N with a changed tool: recorded results before N, the new tool from N on', async () => {
    const original = file('original')
    const first = await run(worker().agent, 'Do three units', { record: original })
    const again = worker({ result: (n) => `DONE ${n}` })
    const forked = await fork(original, again.agent, { from: 3 })
    expect(forked.status).toBe('done')
    expect(again.runs).toEqual([3])
    expect(forked.output).toBe('worked: done 1, done 2, DONE 3')
    expect(first.output).toBe('worked: done 1, done 2, done 3')
  })

  it('refuses a step that is not a root step number', async () => {
    const original = file('original')
    await run(worker().agent, 'Do three units', { record: original })
    await expect(
      Promise.resolve().then(() => fork(original, worker().agent, { from: 0 })),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('from') })
  })
})
