import { describe, expect, it } from 'vitest'
import { type Agent, defineAgent, judge, type Model, type ModelResponse, run, stream } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { collect, ofType } from './helpers.js'

/**
 * A model with no known price that reports what each call cost (as a gateway or a replay
 * does), answering after `delayMs` of real time. It counts calls in flight.
 */
function selfCostingModel(options: { id?: string; costUsd?: number; delayMs?: number; text?: string } = {}) {
  const stats = { started: 0, finished: 0, inFlight: 0, maxInFlight: 0, startedBeforeFirstAnswer: 0 }
  const model: Model = {
    spec: 'baton.model.v1',
    id: options.id ?? 'gateway:some-model',
    async generate() {
      stats.started++
      if (stats.finished === 0) stats.startedBeforeFirstAnswer++
      stats.inFlight++
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 5))
      stats.inFlight--
      stats.finished++
      const response: ModelResponse = {
        message: { role: 'assistant', content: options.text ?? 'child answer' },
        usage: { inputTokens: 100, outputTokens: 10 },
        finishReason: 'stop',
      }
      if (options.costUsd !== undefined) response.costUsd = options.costUsd
      return response
    },
  }
  return { model, stats }
}

/** A lead whose first answer delegates to `worker` `count` times at once. */
function fanOut(worker: Agent, count: number): Agent {
  return defineAgent({
    name: 'lead',
    instructions: 'Lead.',
    model: scriptedModel([
      {
        toolCalls: Array.from({ length: count }, (_, i) => ({
          name: `delegate_${worker.name}`,
          args: { task: `part ${i}` },
        })),
      },
      { text: 'lead done' },
    ]),
    agents: [worker],
  })
}

function worker(model: Model): Agent {
  return defineAgent({ name: 'worker', description: 'Does a part', instructions: 'w', model })
}

describe('maxCostUsd with a model that reports its own cost but has no price', () => {
  it('overruns by at most one call when ten sub-agents start at once', async () => {
    const { model, stats } = selfCostingModel({ costUsd: 0.01 })
    const { events, result } = await collect(
      stream(fanOut(worker(model), 10), 'go', { budget: { maxCostUsd: 0.03 } }),
    )
    expect([result.status, result.stopReason]).toEqual(['budget_exceeded', 'maxCostUsd'])
    expect(result.usage.costUsd).toBeLessThanOrEqual(0.03 + 0.01 + 1e-12)
    expect(stats.started).toBeLessThanOrEqual(4)
    expect(stats.started).toBeGreaterThanOrEqual(3)
    // The workers refused were refused before their call, by the run's limit.
    const refused = ofType(events, 'budget.exceeded')
    expect(refused.length).toBeGreaterThan(0)
    expect(refused.every((e) => e.limit === 'maxCostUsd' && e.at === 'root')).toBe(true)
    // It reports its cost: nothing to warn about.
    expect(ofType(events, 'budget.warning')).toHaveLength(0)
  })

  it('overruns by at most one call when ten sub-agents each use another unpriced model', async () => {
    const models = Array.from({ length: 10 }, (_, i) =>
      selfCostingModel({ id: `gateway:model-${i}`, costUsd: 0.01 }),
    )
    const workers = models.map(({ model }, i) =>
      defineAgent({ name: `worker${i}`, description: 'Does a part', instructions: 'w', model }),
    )
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: scriptedModel([
        { toolCalls: workers.map((w) => ({ name: `delegate_${w.name}`, args: { task: 'part' } })) },
        { text: 'lead done' },
      ]),
      agents: workers,
    })
    const result = await run(lead, 'go', { budget: { maxCostUsd: 0.03 } })
    expect(result.usage.costUsd).toBeLessThanOrEqual(0.03 + 0.01 + 1e-12)
    const started = models.reduce((sum, { stats }) => sum + stats.started, 0)
    expect(started).toBeLessThanOrEqual(4)
  })

  it('holds the limit on a sub-agent too, and on every node above it', async () => {
    const { model, stats } = selfCostingModel({ costUsd: 0.02 })
    const middle = defineAgent({
      name: 'middle',
      description: 'Fans out',
      instructions: 'm',
      model: scriptedModel([
        {
          toolCalls: Array.from({ length: 10 }, (_, i) => ({
            name: 'delegate_worker',
            args: { task: `p${i}` },
          })),
        },
        { text: 'middle done' },
      ]),
      agents: [worker(model)],
      budget: { maxCostUsd: 0.05 },
    })
    const lead = fanOut(middle, 1)
    const result = await run(lead, 'go')
    expect(result.usage.costUsd).toBeLessThanOrEqual(0.05 + 0.02 + 1e-12)
    expect(stats.started).toBeLessThanOrEqual(3)
  })

  it('lets one call out until a cost is known, then runs the rest concurrently', async () => {
    const { model, stats } = selfCostingModel({ costUsd: 0.001, delayMs: 20 })
    const result = await run(fanOut(worker(model), 10), 'go', { budget: { maxCostUsd: 1 } })
    expect(result.status).toBe('done')
    expect(stats.started).toBe(10)
    expect(stats.startedBeforeFirstAnswer).toBe(1)
    expect(stats.maxInFlight).toBeGreaterThan(1)
    expect(result.usage.costUsd).toBeCloseTo(0.01, 10)
  })

  it('does not hold calls back when no cost limit applies', async () => {
    const { model, stats } = selfCostingModel({ costUsd: 0.01, delayMs: 20 })
    const result = await run(fanOut(worker(model), 10), 'go')
    expect(result.status).toBe('done')
    expect(stats.startedBeforeFirstAnswer).toBe(10)
    expect(result.usage.costUsd).toBeCloseTo(0.1, 10)
  })

  it('warns once per run, saying what happens, when the model reports no cost and has no price', async () => {
    const { model, stats } = selfCostingModel({ delayMs: 10 })
    const { events, result } = await collect(
      stream(fanOut(worker(model), 10), 'go', { budget: { maxCostUsd: 0.01 } }),
    )
    expect(result.status).toBe('done')
    expect(result.usage.costUsd).toBe(0)
    const warnings = ofType(events, 'budget.warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.path).toMatch(/^root\/1\/agent:worker#\d+$/)
    expect(warnings[0]!.message).toContain('gateway:some-model')
    expect(warnings[0]!.message).toContain('count as $0 against maxCostUsd')
    expect(warnings[0]!.message).toContain('prices')
    expect(warnings[0]!.message).toContain('defineAgent({ prices })')
    expect(warnings[0]!.message).toContain('`prices` run option')
    // Once it is known that the model says nothing, the others are not held back.
    expect(stats.startedBeforeFirstAnswer).toBe(1)
    expect(stats.maxInFlight).toBeGreaterThan(1)
  })

  it("counts a judge's self-reported cost against the limit", async () => {
    const { model: grader } = selfCostingModel({
      id: 'gateway:grader',
      costUsd: 0.5,
      text: '{"pass": true, "score": 1, "reason": "fine"}',
    })
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: scriptedModel([{ text: 'answer' }]),
      goal: judge({ model: grader, rubric: 'Anything' }),
    })
    const result = await run(agent, 'go', { budget: { maxCostUsd: 10 } })
    expect(result.status).toBe('done')
    expect(result.usage.costUsd).toBeCloseTo(0.5, 10)
  })
})
