import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { defineAgent } from '../agent/index.js'
import { BatonError } from '../errors/index.js'
import { defineScorer, judge, type Scorer } from '../goal/index.js'
import type { ModelRequest, ToolMessage } from '../model/types.js'
import { type ScriptedModel, scriptedModel } from '../testing/index.js'
import { defineTool } from '../tool/index.js'
// Registers the providers, as importing 'baton' does.
import '../providers/index.js'
import { defineEval, type EvalCase } from './define-eval.js'
import { runEval } from './runner.js'
import { exact, includes, trajectory } from './scorers/index.js'

const COUNTRIES: Record<string, string> = {
  Paris: 'France',
  Lisbon: 'Portugal',
  Rome: 'Italy',
  Oslo: 'Norway',
}

const lookup = defineTool({
  name: 'lookup',
  description: 'Finds the country of a city.',
  input: z.object({ city: z.string() }),
  run: ({ city }) => ({ city, country: COUNTRIES[city] ?? 'unknown' }),
})

const userText = (request: ModelRequest) => request.messages.find((m) => m.role === 'user')?.content ?? ''

/** A model that looks the city up, then answers with the country it found. */
function geoModel(): ScriptedModel {
  return scriptedModel(
    [
      (request) => ({
        toolCalls: [{ name: 'lookup', args: { city: userText(request) } }],
        usage: { inputTokens: 100, outputTokens: 10 },
      }),
      (request) => {
        const result = request.messages.findLast((m): m is ToolMessage => m.role === 'tool')
        return { text: JSON.parse(result!.content).country, usage: { inputTokens: 140, outputTokens: 4 } }
      },
    ],
    { id: 'openai:gpt-4o-mini' },
  )
}

const grade = (text: string) => ({
  text: JSON.stringify({ pass: true, score: 0.9, reason: `graded ${text}` }),
})

const cases: EvalCase[] = [
  { name: 'paris', input: 'Paris', expected: 'France' },
  { name: 'lisbon', input: 'Lisbon', expected: 'Portugal', scorers: [includes('Portugal')] },
  { name: 'rome', input: 'Rome', expected: 'Spain' },
]

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-eval-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** The geo eval: every model it makes is kept, so a test can see whether any was called. */
function geoEval(
  options: { model?: () => ScriptedModel; judge?: ScriptedModel; instructions?: string } = {},
) {
  const models: ScriptedModel[] = []
  const judgeModel =
    options.judge ?? scriptedModel(cases.map(() => (r: ModelRequest) => grade(r.messages[1]!.content)))
  const definition = defineEval({
    name: 'geo',
    agent: () => {
      const model = (options.model ?? geoModel)()
      models.push(model)
      return defineAgent({
        name: 'geo',
        instructions: options.instructions ?? 'Answer with the country of the city.',
        model,
        tools: [lookup],
      })
    },
    cases,
    scorers: [
      exact(),
      trajectory(['lookup'], { mode: 'exact' }),
      judge({ model: judgeModel, rubric: 'Names a country' }),
    ],
  })
  return { definition, models, judgeModel }
}

const usageOf = (
  rows: {
    pass: boolean
    score: number
    inputTokens: number
    outputTokens: number
    costUsd: number
    steps: number
    toolCalls: number
    scores: unknown
  }[],
) =>
  rows.map(({ pass, score, inputTokens, outputTokens, costUsd, steps, toolCalls, scores }) => ({
    pass,
    score,
    inputTokens,
    outputTokens,
    costUsd,
    steps,
    toolCalls,
    scores,
  }))

describe('record, then replay offline', () => {
  it('record writes cassettes and judge answers; replay reproduces every result without a model call', async () => {
    const recording = geoEval()
    const recorded = await runEval(recording.definition, { mode: 'record', cassetteDir: dir })
    const rows = recorded.evals[0]!.results
    expect(rows.map((r) => [r.case, r.pass])).toEqual([
      ['paris', true],
      ['lisbon', true],
      ['rome', false],
    ])
    expect(rows[2]!.failure).toBe('exact: expected "Spain", got "Italy"')
    expect(rows[1]!.scores.map((score) => score.name)).toEqual(['exact', 'trajectory', 'judge', 'includes'])
    expect(rows[0]).toMatchObject({
      status: 'done',
      inputTokens: 240,
      outputTokens: 14,
      steps: 2,
      toolCalls: 1,
    })
    expect(rows[0]!.costUsd).toBeGreaterThan(0)
    expect(rows[0]!.scores.find((s) => s.name === 'judge')).toEqual({
      name: 'judge',
      pass: true,
      score: 0.9,
      reason: 'graded Task:\nParis\n\nRubric:\nNames a country\n\nAnswer to grade:\nFrance',
    })
    for (const name of ['paris', 'lisbon', 'rome']) {
      expect(rows.find((r) => r.case === name)!.cassette).toBe(join(dir, 'geo', `${name}.jsonl`))
      expect(existsSync(join(dir, 'geo', `${name}.jsonl`))).toBe(true)
      const answers = JSON.parse(readFileSync(join(dir, 'geo', `${name}.scores.json`), 'utf8'))
      expect(answers.version).toBe(1)
      expect(Object.keys(answers.answers)).toHaveLength(1)
    }
    expect(recording.judgeModel.requests).toHaveLength(3)

    // The same models with nothing left to say: any call would fail the case.
    const spent = () => scriptedModel([], { id: 'openai:gpt-4o-mini' })
    const replaying = geoEval({ model: spent, judge: scriptedModel([]) })
    const replayed = await runEval(replaying.definition, { cassetteDir: dir })
    expect(replayed.evals[0]!.mode).toBe('replay')
    expect(usageOf(replayed.evals[0]!.results)).toEqual(usageOf(rows))
    expect(replaying.models).toHaveLength(3)
    expect(replaying.models.every((m) => m.requests.length === 0)).toBe(true)
    expect(replaying.judgeModel.requests).toHaveLength(0)
    expect(replayed.summary).toMatchObject({ cases: 3, runs: 3, passed: 2, passAtK: 2 / 3 })
  })

  it('replays an agent on a provider model string offline, with no API key', async () => {
    await runEval(geoEval().definition, { mode: 'record', cassetteDir: dir })
    vi.stubEnv('OPENAI_API_KEY', undefined)
    try {
      const definition = defineEval({
        name: 'geo',
        agent: () =>
          defineAgent({
            name: 'geo',
            instructions: 'Answer with the country of the city.',
            model: 'openai:gpt-4o-mini',
            tools: [lookup],
          }),
        cases,
        scorers: [exact()],
      })
      const report = await runEval(definition, { cassetteDir: dir })
      expect(report.evals[0]!.results.map((r) => r.pass)).toEqual([true, true, false])
      expect(report.summary.costUsd).toBeGreaterThan(0)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it("a judge used as the agent's goal is recorded in the cassette and replayed with it", async () => {
    const goalEval = (agentModel: ScriptedModel, judgeModel: ScriptedModel) =>
      defineEval({
        name: 'goal',
        agent: () =>
          defineAgent({
            name: 'a',
            instructions: 'Answer.',
            model: agentModel,
            goal: judge({ model: judgeModel, rubric: 'Polite' }),
          }),
        cases: [{ name: 'hi', input: 'Say hi' }],
        scorers: [includes('Hello')],
      })
    const judgeModel = scriptedModel([{ text: '{"pass":true,"score":1,"reason":"polite"}' }])
    const recorded = await runEval(goalEval(scriptedModel([{ text: 'Hello!' }]), judgeModel), {
      mode: 'record',
      cassetteDir: dir,
    })
    expect(recorded.summary.passed).toBe(1)
    expect(judgeModel.requests).toHaveLength(1)
    const replayed = await runEval(goalEval(scriptedModel([]), scriptedModel([])), { cassetteDir: dir })
    expect(replayed.evals[0]!.results[0]).toMatchObject({ pass: true, status: 'done', steps: 2 })
  })

  it('a missing cassette fails its case, says which file and how to record it, and calls no model', async () => {
    const { definition, models } = geoEval({ model: () => scriptedModel([]) })
    const report = await runEval(definition, { cassetteDir: dir })
    const row = report.evals[0]!.results[0]!
    expect(row).toMatchObject({
      case: 'paris',
      pass: false,
      status: 'error',
      stopReason: 'REPLAY_MISSING',
      scores: [],
    })
    expect(row.failure).toBe(
      `case "paris": no cassette at ${join(dir, 'geo', 'paris.jsonl')}; record it with \`baton eval --mode record\``,
    )
    expect(models.every((m) => m.requests.length === 0)).toBe(true)
  })

  it('a divergent cassette fails its case with the case, the step key and the diff', async () => {
    await runEval(geoEval().definition, { mode: 'record', cassetteDir: dir })
    const changed = geoEval({
      instructions: 'Answer with the capital of the country.',
      model: () => scriptedModel([]),
    })
    const report = await runEval(changed.definition, { cassetteDir: dir })
    const row = report.evals[0]!.results[0]!
    expect(row.pass).toBe(false)
    expect(row.error?.code).toBe('REPLAY_DIVERGENCE')
    expect(row.failure).toContain(
      `case "paris": the cassette ${join(dir, 'geo', 'paris.jsonl')} diverges at step root/1/model:`,
    )
    expect(row.failure).toContain('new message 1 (system) differs:')
    expect(row.failure).toContain('-   "content": "Answer with the country of the city."')
    expect(row.failure).toContain('+   "content": "Answer with the capital of the country."')
    expect(row.failure).toContain('baton eval --mode record')
    expect(changed.judgeModel.requests).toHaveLength(0)
  })

  it('a case whose input changed since recording says so', async () => {
    await runEval(geoEval().definition, { mode: 'record', cassetteDir: dir })
    const moved = defineEval({
      name: 'geo',
      agent: () => defineAgent({ name: 'geo', instructions: 'x', model: scriptedModel([]), tools: [lookup] }),
      cases: [{ name: 'paris', input: 'Oslo' }],
    })
    const row = (await runEval(moved, { cassetteDir: dir })).evals[0]!.results[0]!
    expect(row.failure).toMatch(
      /^case "paris": the cassette .* was recorded for another input: recorded "Paris", the case now has "Oslo"/,
    )
  })

  it('a judge answer missing from the recording fails the case, never calling the judge', async () => {
    const plain = (judgeScorers: Scorer[]) =>
      defineEval({
        name: 'geo',
        agent: () =>
          defineAgent({ name: 'geo', instructions: 'Answer.', model: geoModel(), tools: [lookup] }),
        cases: [cases[0]!],
        scorers: judgeScorers,
      })
    await runEval(plain([]), { mode: 'record', cassetteDir: dir })
    expect(existsSync(join(dir, 'geo', 'paris.scores.json'))).toBe(false)
    const judgeModel = scriptedModel([])
    const row = (await runEval(plain([judge({ model: judgeModel, rubric: 'r' })]), { cassetteDir: dir }))
      .evals[0]!.results[0]!
    expect(row.pass).toBe(false)
    expect(row.failure).toBe(
      `case "paris": scorer "judge" threw: no recorded scorer answers at ${join(dir, 'geo', 'paris.scores.json')}; record it with \`baton eval --mode record\``,
    )
    expect(judgeModel.requests).toHaveLength(0)
  })
})

describe('running cases', () => {
  /** A live eval of `count` one-step cases whose model calls wait at a gate, counting how many are in. */
  function gated(count: number, limit: number) {
    let inFlight = 0
    let peak = 0
    let started = 0
    let waiting: (() => void)[] = []
    const release = () => {
      for (const wake of waiting) wake()
      waiting = []
    }
    const model = () =>
      scriptedModel([
        async () => {
          inFlight++
          started++
          peak = Math.max(peak, inFlight)
          await new Promise<void>((resolve) => {
            waiting.push(resolve)
            if (waiting.length === limit || started === count) release()
          })
          inFlight--
          return { text: 'ok' }
        },
      ])
    const definition = defineEval({
      name: 'gate',
      agent: () => defineAgent({ name: 'g', instructions: 'x', model: model() }),
      cases: Array.from({ length: count }, (_, i) => ({ name: `c${i}`, input: `task ${i}` })),
    })
    return { definition, peak: () => peak }
  }

  it('runs up to `concurrency` cases at once, never more', async () => {
    const three = gated(7, 3)
    const report = await runEval(three.definition, { mode: 'live', concurrency: 3 })
    expect(three.peak()).toBe(3)
    expect(report.summary.passed).toBe(7)
    expect(report.evals[0]!.results.map((r) => r.case)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'])
    const byDefault = gated(9, 4)
    await runEval(byDefault.definition, { mode: 'live' })
    expect(byDefault.peak()).toBe(4)
  })

  it('a progress listener that throws ends the eval with its error, once the runs in flight have stopped', async () => {
    // "quick" ends at once and its case.end throws; the others would take a minute each.
    const signals: (AbortSignal | undefined)[] = []
    const definition = defineEval({
      name: 'listener',
      agent: ({ case: name }) => {
        const model = scriptedModel([{ text: 'done' }], { latencyMs: name === 'quick' ? 0 : 60_000 })
        const { generate, stream } = model
        model.generate = (request, options) => {
          signals.push(options?.signal)
          return generate.call(model, request, options)
        }
        model.stream = (request, options) => {
          signals.push(options?.signal)
          return stream!.call(model, request, options)
        }
        return defineAgent({ name: 'a', instructions: 'x', model })
      },
      cases: ['quick', 'slow-1', 'slow-2', 'slow-3'].map((name) => ({ name, input: 'go' })),
      scorers: [exact()],
      concurrency: 2,
    })
    const seen: string[] = []
    const failure = new Error('the progress bar broke')
    const rejected = await runEval(definition, {
      mode: 'live',
      onProgress: (event) => {
        seen.push(`${event.type} ${event.type === 'case.end' ? event.result.case : event.case}`)
        if (event.type === 'case.end') throw failure
      },
    }).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(rejected).toBe(failure)
    // The slow run that had started was stopped, and no case started after the error.
    expect(seen).toEqual(['case.start quick', 'case.start slow-1', 'case.end quick'])
    expect(signals).toHaveLength(2)
    expect(signals.map((signal) => signal?.aborted)).toEqual([false, true])
  })

  it.each([1_001, 1e9])('refuses %d trials, in defineEval and in runEval', async (trials) => {
    const config = {
      name: 'many',
      agent: defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'x' }]) }),
      cases: [{ name: 'one', input: 'go' }],
      scorers: [exact()],
    }
    expect(() => defineEval({ ...config, trials })).toThrow(/trials must be at most 1000/)
    const error = await runEval(defineEval(config), { trials }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BatonError)
    expect((error as BatonError).message).toContain('options.trials must be at most 1000')
  })

  it('runs each case k times: per-trial pass rate and pass@k, one cassette per trial', async () => {
    // "flaky" passes on its second trial only; "broken" never does.
    const definition = defineEval({
      name: 'trials',
      agent: ({ case: name, trial }) =>
        defineAgent({
          name: 'a',
          instructions: 'x',
          model: scriptedModel([{ text: name === 'flaky' && trial === 2 ? 'yes' : 'no' }]),
        }),
      cases: [
        { name: 'flaky', input: 'go', expected: 'yes' },
        { name: 'broken', input: 'go', expected: 'yes' },
      ],
      scorers: [exact()],
      trials: 3,
    })
    const progress: string[] = []
    const report = await runEval(definition, {
      mode: 'record',
      cassetteDir: dir,
      onProgress: (event) =>
        progress.push(event.type === 'case.end' ? `end ${event.result.case}` : `start ${event.case}`),
    })
    const result = report.evals[0]!
    expect(result.trials).toBe(3)
    expect(result.results.map((r) => `${r.case}#${r.trial}:${r.pass}`)).toEqual([
      'flaky#1:false',
      'flaky#2:true',
      'flaky#3:false',
      'broken#1:false',
      'broken#2:false',
      'broken#3:false',
    ])
    expect(result.cases.map((c) => [c.case, c.passed, c.passAtK])).toEqual([
      ['flaky', 1, true],
      ['broken', 0, false],
    ])
    expect(report.summary).toMatchObject({
      cases: 2,
      runs: 6,
      passed: 1,
      passRate: 1 / 6,
      passedAtK: 1,
      passAtK: 0.5,
    })
    for (const file of ['flaky.jsonl', 'flaky.2.jsonl', 'flaky.3.jsonl', 'broken.3.jsonl'])
      expect(existsSync(join(dir, 'trials', file))).toBe(true)
    expect(progress.filter((p) => p.startsWith('end'))).toHaveLength(6)
    // Trials replay from their own cassettes.
    const again = await runEval(definition, { cassetteDir: dir })
    expect(again.evals[0]!.results.map((r) => r.pass)).toEqual(result.results.map((r) => r.pass))
  })

  it('a run that does not end done fails, saying how it ended; a throwing scorer fails its case', async () => {
    const definition = defineEval({
      name: 'ends',
      agent: () =>
        defineAgent({
          name: 'a',
          instructions: 'x',
          model: scriptedModel([{ toolCalls: [{ name: 'lookup', args: { city: 'Oslo' } }] }]),
          tools: [lookup],
          budget: { maxSteps: 1 },
        }),
      cases: [{ name: 'short', input: 'go' }],
    })
    const row = (await runEval(definition, { mode: 'live' })).evals[0]!.results[0]!
    expect(row).toMatchObject({ pass: false, status: 'budget_exceeded', stopReason: 'maxSteps' })
    expect(row.failure).toMatch(/^the run ended budget_exceeded \(maxSteps\)/)

    const throwing = defineEval({
      name: 'throws',
      agent: () => defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'hi' }]) }),
      cases: [{ name: 'one', input: 'go' }],
      scorers: [
        defineScorer('boom', () => {
          throw new Error('kaput')
        }),
      ],
    })
    const thrown = (await runEval(throwing, { mode: 'live' })).evals[0]!.results[0]!
    expect(thrown.scores).toEqual([{ name: 'boom', pass: false, score: 0, reason: 'threw: kaput' }])
    expect(thrown.failure).toBe('case "one": scorer "boom" threw: kaput')
  })

  it('an abort stops a scorer that never settles; the cases around it are still reported', async () => {
    const controller = new AbortController()
    const definition = defineEval({
      name: 'stuck',
      concurrency: 1,
      agent: () => defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'hi' }]) }),
      cases: [
        { name: 'before', input: 'go', scorers: [defineScorer('fine', () => true)] },
        {
          name: 'stuck',
          input: 'go',
          scorers: [
            defineScorer('forever', () => {
              controller.abort()
              return new Promise<boolean>(() => {})
            }),
          ],
        },
        { name: 'after', input: 'go' },
      ],
    })
    const report = await runEval(definition, { mode: 'live', signal: controller.signal })
    const [before, stuck, after] = report.evals[0]!.results
    expect(before).toMatchObject({ case: 'before', pass: true })
    expect(stuck).toMatchObject({ case: 'stuck', pass: false, status: 'done' })
    expect(stuck!.scores).toEqual([
      {
        name: 'forever',
        pass: false,
        score: 0,
        reason: 'was stopped before it finished: the eval was aborted',
      },
    ])
    expect(stuck!.failure).toBe(
      'case "stuck": scorer "forever" was stopped before it finished: the eval was aborted',
    )
    expect(stuck!.error?.code).toBe('ABORTED')
    // Not started before the abort: it ends aborted, and says so rather than blaming a scorer.
    expect(after).toMatchObject({ case: 'after', pass: false, status: 'aborted' })
    expect(after!.failure).toMatch(/^the run ended aborted/)
  })

  it('keeps the report JSON when an error carries details that are not (a BigInt, a cycle)', async () => {
    const cycle: Record<string, unknown> = { name: 'loop' }
    cycle.self = cycle
    const definition = defineEval({
      name: 'details',
      agent: () => defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'hi' }]) }),
      cases: [
        {
          name: 'bigint',
          input: 'go',
          scorers: [
            defineScorer('big', () => {
              throw new BatonError('TOOL_ERROR', 'too big', { details: { size: 10n } })
            }),
          ],
        },
        {
          name: 'cycle',
          input: 'go',
          scorers: [
            defineScorer('loop', () => {
              throw new BatonError('TOOL_ERROR', 'looped', { details: { cycle } })
            }),
          ],
        },
      ],
    })
    const report = await runEval(definition, { mode: 'live' })
    const [big, looped] = report.evals[0]!.results
    expect(big!.error).toEqual({
      code: 'TOOL_ERROR',
      message: 'case "bigint": scorer "big" threw: too big',
      details: { size: '10' },
    })
    expect(looped!.error?.details).toEqual({ cycle: { name: 'loop', self: '[Circular]' } })
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
  })

  it('an agent function that returns no agent fails each case, saying so', async () => {
    const definition = defineEval({
      name: 'nothing',
      agent: (() => undefined) as never,
      cases: [{ name: 'one', input: 'go' }],
    })
    const row = (await runEval(definition, { mode: 'live' })).evals[0]!.results[0]!
    expect(row.failure).toBe(
      `case "one": the eval's agent function must return an agent made by defineAgent, got undefined`,
    )
  })

  it('refuses bad options, naming them', async () => {
    const { definition } = geoEval()
    await expect(runEval(definition, { mode: 'fast' as 'live' })).rejects.toThrow(
      'runEval: options.mode must be "replay", "record" or "live", got the string "fast"',
    )
    await expect(runEval(definition, { concurrency: 0 })).rejects.toThrow(
      /options.concurrency must be a whole number/,
    )
    await expect(runEval(definition, null as never)).rejects.toThrow(
      'runEval: options must be an object, got null',
    )
    for (const [given, shown] of [
      [42, 'number 42'],
      [{ name: 'geo', cases: [] }, 'object'],
    ] as const)
      await expect(runEval(given as never)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: `runEval: expected an eval made by defineEval, got ${shown}`,
      })
  })
})
