import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, run, stream } from '../src/index.js'
import { fakeClock, type ScriptEntry, scriptedModel } from '../src/testing/index.js'
import { collect, ofType, toolMessages } from './helpers.js'

/** A tool that records each call. */
function counter(name = 'ping') {
  const calls: unknown[] = []
  const tool = defineTool({
    name,
    description: 'Records a call',
    input: z.object({ n: z.number() }),
    run: (input) => {
      calls.push(input.n)
      return `pong ${input.n}`
    },
  })
  return { tool, calls }
}

/** `count` steps that each call `name` with fresh arguments (so stall detection stays quiet). */
function endlessCalls(name: string, count: number, usage?: { inputTokens: number; outputTokens: number }) {
  return Array.from(
    { length: count },
    (_, i): ScriptEntry => ({
      toolCalls: [{ name, args: { n: i } }],
      ...(usage ? { usage } : {}),
    }),
  )
}

const USAGE_KEYS = [
  'cachedInputTokens',
  'costUsd',
  'inputTokens',
  'outputTokens',
  'reasoningTokens',
  'steps',
  'toolCalls',
  'wallMs',
]

describe('the budget tree charges children to their ancestors', () => {
  it('adds a child’s steps, tokens, cost and tool calls to the parent and the run', async () => {
    const clock = fakeClock(0)
    const ping = defineTool({
      name: 'ping',
      description: 'Takes 7 ms',
      input: z.object({}),
      run: () => {
        clock.advance(7)
        return 'pong'
      },
    })
    const childModel = scriptedModel([
      {
        toolCalls: [{ name: 'ping', args: {} }],
        usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 4, reasoningTokens: 2 },
      },
      { text: 'child answer', usage: { inputTokens: 12, outputTokens: 6 } },
    ])
    const child = defineAgent({
      name: 'child',
      description: 'Helps',
      instructions: 'Help.',
      model: childModel,
      tools: [ping],
    })
    const parentModel = scriptedModel([
      {
        toolCalls: [{ name: 'delegate_child', args: { task: 'help' } }],
        usage: { inputTokens: 100, outputTokens: 50 },
      },
      { text: 'done', usage: { inputTokens: 120, outputTokens: 60, cachedInputTokens: 30 } },
    ])
    const parent = defineAgent({ name: 'parent', instructions: 'Lead.', model: parentModel, agents: [child] })
    const prices = { 'scripted:model': { input: 1, output: 2, cachedInput: 0.5 } }
    const { events, result } = await collect(stream(parent, 'go', { clock, prices }))
    expect(result.status).toBe('done')

    // Dollars per million tokens; cached input tokens are part of inputTokens.
    const cost = (input: number, cached: number, output: number) =>
      ((input - cached) * 1 + cached * 0.5 + output * 2) / 1e6
    const childCost = cost(10, 4, 5) + cost(12, 0, 6)
    const parentCost = cost(100, 0, 50) + cost(120, 30, 60)

    const ends = ofType(events, 'agent.end')
    const childEnd = ends.find((e) => e.agent === 'child')!
    const rootEnd = ends.find((e) => e.agent === 'parent')!
    expect(childEnd.usage).toMatchObject({
      steps: 2,
      inputTokens: 22,
      outputTokens: 11,
      cachedInputTokens: 4,
      reasoningTokens: 2,
      toolCalls: 1,
    })
    expect(childEnd.usage.costUsd).toBeCloseTo(childCost, 12)
    expect(rootEnd.usage).toMatchObject({
      steps: 4,
      inputTokens: 242,
      outputTokens: 121,
      cachedInputTokens: 34,
      reasoningTokens: 2,
      toolCalls: 2,
    })
    expect(rootEnd.usage.costUsd).toBeCloseTo(childCost + parentCost, 12)

    expect(Object.keys(result.usage).sort()).toEqual(USAGE_KEYS)
    expect(result.usage).toMatchObject({ ...rootEnd.usage, costUsd: expect.any(Number), wallMs: 7 })
    expect(result.usage.costUsd).toBeCloseTo(childCost + parentCost, 12)
    const runEnd = ofType(events, 'run.end')[0]!
    expect(runEnd.usage).toEqual(result.usage)
  })

  it("stops a child at its ancestors' limit even when its own limit is larger", async () => {
    const { tool, calls } = counter()
    const childModel = scriptedModel(endlessCalls('ping', 10))
    const child = defineAgent({
      name: 'child',
      description: 'Works a lot',
      instructions: 'Work.',
      model: childModel,
      tools: [tool],
      budget: { maxSteps: 10 },
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_child', args: { task: 'work' } }] },
      { text: 'never reached' },
    ])
    const parent = defineAgent({ name: 'parent', instructions: 'Lead.', model: parentModel, agents: [child] })
    const { events, result } = await collect(stream(parent, 'go', { budget: { maxSteps: 4 } }))

    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxSteps')
    expect(result.error?.code).toBe('BUDGET_EXCEEDED')
    // 1 parent step + 3 child steps = the root's 4; nothing beyond.
    expect(childModel.requests).toHaveLength(3)
    expect(parentModel.requests).toHaveLength(1)
    expect(calls).toEqual([0, 1, 2])
    expect(result.usage.steps).toBe(4)
    const exceeded = ofType(events, 'budget.exceeded')
    expect(exceeded.length).toBeGreaterThanOrEqual(1)
    for (const event of exceeded) expect(event).toMatchObject({ limit: 'maxSteps', at: 'root', max: 4 })
    expect(exceeded[0]!.path).toBe('root/1/agent:child#0/4/model')
    const childEnd = ofType(events, 'agent.end').find((e) => e.agent === 'child')!
    expect([childEnd.status, childEnd.stopReason]).toEqual(['budget_exceeded', 'maxSteps'])
  })

  it('returns a child that hits its own limit to the parent as SUB_AGENT_FAILED, and the parent goes on', async () => {
    const { tool, calls } = counter()
    const childModel = scriptedModel(endlessCalls('ping', 10))
    const child = defineAgent({
      name: 'child',
      description: 'Works a lot',
      instructions: 'Work.',
      model: childModel,
      tools: [tool],
      budget: { maxSteps: 2 },
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_child', args: { task: 'work' } }] },
      (request) => {
        const last = toolMessages(request).at(-1)!
        return { text: `recovered (error=${last.isError})` }
      },
    ])
    const parent = defineAgent({ name: 'parent', instructions: 'Lead.', model: parentModel, agents: [child] })
    const { events, result } = await collect(stream(parent, 'go'))

    expect(result.status).toBe('done')
    expect(result.output).toBe('recovered (error=true)')
    expect(childModel.requests).toHaveLength(2)
    expect(calls).toEqual([0, 1])
    const exceeded = ofType(events, 'budget.exceeded')
    expect(exceeded).toHaveLength(1)
    expect(exceeded[0]).toMatchObject({ limit: 'maxSteps', at: 'root/1/agent:child#0', max: 2 })
    const delegation = ofType(events, 'tool.result').find((e) => e.name === 'delegate_child')!
    expect(delegation.isError).toBe(true)
    expect(delegation.error?.code).toBe('SUB_AGENT_FAILED')
    expect(delegation.content).toContain('maxSteps')
    expect(result.memory).toEqual([])
    expect(result.usage.steps).toBe(4)
  })

  it('does not let concurrent children jointly overspend a shared ancestor', async () => {
    const alphaModel = scriptedModel([{ text: 'alpha' }], { latencyMs: 20 })
    const betaModel = scriptedModel([{ text: 'beta' }], { latencyMs: 20 })
    const alpha = defineAgent({ name: 'alpha', description: 'A', instructions: 'a', model: alphaModel })
    const beta = defineAgent({ name: 'beta', description: 'B', instructions: 'b', model: betaModel })
    const parentModel = scriptedModel([
      {
        toolCalls: [
          { name: 'delegate_alpha', args: { task: 'x' } },
          { name: 'delegate_beta', args: { task: 'y' } },
        ],
      },
      { text: 'never reached' },
    ])
    const parent = defineAgent({
      name: 'parent',
      instructions: 'Lead.',
      model: parentModel,
      agents: [alpha, beta],
    })
    const { events, result } = await collect(stream(parent, 'go', { budget: { maxSteps: 2 } }))
    expect(alphaModel.requests.length + betaModel.requests.length).toBe(1)
    expect(result.usage.steps).toBe(2)
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxSteps')
    expect(ofType(events, 'budget.exceeded').every((e) => e.at === 'root' && e.limit === 'maxSteps')).toBe(
      true,
    )
  })
})

describe('maxDepth', () => {
  function tree(limits: { run?: number; mid?: number }) {
    const leafModel = scriptedModel([{ text: 'leaf answer' }])
    const leaf = defineAgent({ name: 'leaf', description: 'Leaf', instructions: 'Leaf.', model: leafModel })
    const midModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_leaf', args: { task: 'go deeper' } }] },
      (request) => ({ text: `mid got: ${toolMessages(request).at(-1)!.content}` }),
    ])
    const mid = defineAgent({
      name: 'mid',
      description: 'Mid',
      instructions: 'Mid.',
      model: midModel,
      agents: [leaf],
      ...(limits.mid === undefined ? {} : { budget: { maxDepth: limits.mid } }),
    })
    const rootModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_mid', args: { task: 'go' } }] },
      (request) => ({ text: toolMessages(request).at(-1)!.content }),
    ])
    const root = defineAgent({ name: 'root', instructions: 'Root.', model: rootModel, agents: [mid] })
    const options = limits.run === undefined ? {} : { budget: { maxDepth: limits.run } }
    return { root, leafModel, options }
  }

  it('refuses a delegation beyond the run’s maxDepth with a MAX_DEPTH tool error', async () => {
    const { root, leafModel, options } = tree({ run: 1 })
    const { events, result } = await collect(stream(root, 'go', options))
    expect(result.status).toBe('done')
    expect(leafModel.requests).toHaveLength(0)
    expect(ofType(events, 'agent.start').map((e) => e.agent)).toEqual(['root', 'mid'])
    const refused = ofType(events, 'tool.result').find((e) => e.name === 'delegate_leaf')!
    expect(refused.path.startsWith('root/1/agent:mid#0/1/tool/')).toBe(true)
    expect(refused.isError).toBe(true)
    expect(refused.error?.code).toBe('MAX_DEPTH')
    expect(String(result.output).startsWith('mid got: Error:')).toBe(true)
  })

  it('refuses a delegation beyond an agent’s own maxDepth', async () => {
    const { root, leafModel, options } = tree({ mid: 0 })
    const { events } = await collect(stream(root, 'go', options))
    expect(leafModel.requests).toHaveLength(0)
    const refused = ofType(events, 'tool.result').find((e) => e.name === 'delegate_leaf')!
    expect(refused.error?.code).toBe('MAX_DEPTH')
  })

  it('allows the levels maxDepth permits', async () => {
    const { root, leafModel, options } = tree({ run: 2 })
    const { events, result } = await collect(stream(root, 'go', options))
    expect(leafModel.requests).toHaveLength(1)
    expect(result.output).toBe('mid got: leaf answer')
    const leafStart = ofType(events, 'agent.start').find((e) => e.agent === 'leaf')!
    expect(leafStart.depth).toBe(2)
    expect(leafStart.path).toBe('root/1/agent:mid#0/1/agent:leaf#0')
  })
})

describe('maxTokens', () => {
  it('refuses the first call before it is made when the input alone does not fit', async () => {
    const model = scriptedModel([{ text: 'never' }])
    const agent = defineAgent({ name: 'a', instructions: 'Be brief.', model })
    const { events, result } = await collect(
      stream(agent, 'word '.repeat(200), { budget: { maxTokens: 20 } }),
    )
    expect(model.requests).toHaveLength(0)
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxTokens')
    const [exceeded] = ofType(events, 'budget.exceeded')
    expect(exceeded).toMatchObject({ limit: 'maxTokens', max: 20, at: 'root', path: 'root/1/model' })
    expect(ofType(events, 'model.request')).toHaveLength(0)
  })

  it('refuses a later call before it is made once the tokens are used up', async () => {
    const { tool, calls } = counter()
    const model = scriptedModel([
      { toolCalls: [{ name: 'ping', args: { n: 1 } }], usage: { inputTokens: 60, outputTokens: 139 } },
      { text: 'never' },
    ])
    const agent = defineAgent({ name: 'a', instructions: 'Be brief.', model, tools: [tool] })
    const { events, result } = await collect(stream(agent, 'go', { budget: { maxTokens: 200 } }))
    expect(model.requests).toHaveLength(1)
    expect(calls).toEqual([1])
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxTokens')
    expect(result.usage.inputTokens + result.usage.outputTokens).toBe(199)
    expect(ofType(events, 'budget.exceeded')).toHaveLength(1)
    expect(ofType(events, 'budget.exceeded')[0]).toMatchObject({ limit: 'maxTokens', path: 'root/2/model' })
  })

  it('clips the request maxTokens to what is left', async () => {
    const firstRequest = async (maxTokens: number) => {
      const model = scriptedModel([{ text: 'ok' }])
      const agent = defineAgent({ name: 'a', instructions: 'Be brief.', model })
      await run(agent, 'go', { budget: { maxTokens } })
      return model.requests[0]!.maxTokens!
    }
    const small = await firstRequest(1_000)
    const large = await firstRequest(1_500)
    // What is left is the limit minus the (same) input estimate.
    expect(small).toBeLessThan(1_000)
    expect(small).toBeGreaterThan(900)
    expect(large - small).toBe(500)

    const { tool } = counter()
    const model = scriptedModel([
      { toolCalls: [{ name: 'ping', args: { n: 1 } }], usage: { inputTokens: 100, outputTokens: 200 } },
      { text: 'ok' },
    ])
    const agent = defineAgent({ name: 'a', instructions: 'Be brief.', model, tools: [tool] })
    const result = await run(agent, 'go', { budget: { maxTokens: 1_000 } })
    expect(result.status).toBe('done')
    const [first, second] = model.requests.map((r) => r.maxTokens!)
    expect(first).toBe(small)
    // The 300 used tokens and the longer history both come off.
    expect(second).toBeLessThanOrEqual(first! - 300)
    expect(second).toBeGreaterThan(0)
  })

  it("uses the agent's maxOutputTokens when it is smaller, and asks for 4096 when nothing else limits it", async () => {
    const limited = scriptedModel([{ text: 'ok' }])
    await run(defineAgent({ name: 'a', instructions: 'x', model: limited, maxOutputTokens: 50 }), 'go', {
      budget: { maxTokens: 10_000 },
    })
    expect(limited.requests[0]!.maxTokens).toBe(50)

    const free = scriptedModel([{ text: 'ok' }])
    await run(defineAgent({ name: 'a', instructions: 'x', model: free }), 'go')
    expect(free.requests[0]!.maxTokens).toBe(4096)
  })

  it("clips a child's maxTokens to the smaller of its own limit and what its ancestors have left", async () => {
    const childRequest = async (rootMax: number, childMax: number) => {
      const childModel = scriptedModel([{ text: 'child' }])
      const child = defineAgent({
        name: 'child',
        description: 'Child',
        instructions: 'c',
        model: childModel,
        budget: { maxTokens: childMax },
      })
      const parentModel = scriptedModel([
        {
          toolCalls: [{ name: 'delegate_child', args: { task: 't' } }],
          usage: { inputTokens: 300, outputTokens: 200 },
        },
        { text: 'done' },
      ])
      const parent = defineAgent({ name: 'p', instructions: 'p', model: parentModel, agents: [child] })
      const result = await run(parent, 'go', { budget: { maxTokens: rootMax } })
      return { result, maxTokens: childModel.requests[0]?.maxTokens }
    }
    // The root has 1000 - 500 = 500 left: less than the child's own 100000.
    const byRoot = await childRequest(1_000, 100_000)
    expect(byRoot.maxTokens).toBeLessThan(500)
    expect(byRoot.maxTokens).toBeGreaterThan(400)
    // The child's own 100 is less than what the root has left.
    const byChild = await childRequest(100_000, 100)
    expect(byChild.maxTokens).toBeLessThan(100)
    expect(byChild.maxTokens).toBeGreaterThan(0)
    // Same brief, same estimate: the difference is exactly the difference of the limits.
    expect(byRoot.maxTokens! - byChild.maxTokens!).toBe(400)
  })
})

describe('maxCostUsd', () => {
  it('stops with maxCostUsd using the prices run option, before the unaffordable call is made', async () => {
    const { tool, calls } = counter()
    const model = scriptedModel([
      { toolCalls: [{ name: 'ping', args: { n: 1 } }], usage: { inputTokens: 50, outputTokens: 49 } },
      { text: 'never' },
    ])
    const agent = defineAgent({ name: 'a', instructions: 'Be brief.', model, tools: [tool] })
    const { events, result } = await collect(
      stream(agent, 'go', {
        budget: { maxCostUsd: 0.1 },
        prices: { 'scripted:model': { input: 1000, output: 1000 } },
      }),
    )
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxCostUsd')
    expect(model.requests).toHaveLength(1)
    expect(calls).toEqual([1])
    expect(result.usage.costUsd).toBeCloseTo(0.099, 10)
    const exceeded = ofType(events, 'budget.exceeded')
    expect(exceeded).toHaveLength(1)
    expect(exceeded[0]).toMatchObject({ limit: 'maxCostUsd', max: 0.1, at: 'root' })
    expect(ofType(events, 'model.response')[0]!.costUsd).toBeCloseTo(0.099, 10)
    expect(ofType(events, 'budget.warning')).toHaveLength(0)
  })

  it('clips maxTokens to what the remaining dollars can buy', async () => {
    const model = scriptedModel([{ text: 'ok' }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model })
    await run(agent, 'go', {
      budget: { maxCostUsd: 1 },
      prices: { 'scripted:model': { input: 0, output: 10_000 } },
    })
    // $1 at $10,000 per million output tokens buys 100 tokens.
    expect(model.requests[0]!.maxTokens).toBe(100)
  })

  it('warns when a cost limit is set but the model has no price', async () => {
    const model = scriptedModel([{ text: 'ok' }], { id: 'mystery:model' })
    const agent = defineAgent({ name: 'a', instructions: 'x', model })
    const { events, result } = await collect(stream(agent, 'go', { budget: { maxCostUsd: 1 } }))
    expect(result.status).toBe('done')
    const warnings = ofType(events, 'budget.warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toContain('mystery:model')
  })
})

describe('maxToolCalls', () => {
  it('stops with maxToolCalls and never runs the call beyond the limit', async () => {
    const { tool, calls } = counter()
    const model = scriptedModel([
      {
        toolCalls: [
          { name: 'ping', args: { n: 1 } },
          { name: 'ping', args: { n: 2 } },
          { name: 'ping', args: { n: 3 } },
        ],
      },
      { text: 'never' },
    ])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, tools: [tool] })
    const { events, result } = await collect(stream(agent, 'go', { budget: { maxToolCalls: 2 } }))
    expect(calls).toEqual([1, 2])
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxToolCalls')
    expect(result.usage.toolCalls).toBe(2)
    expect(model.requests).toHaveLength(1)
    const exceeded = ofType(events, 'budget.exceeded')
    expect(exceeded).toHaveLength(1)
    expect(exceeded[0]).toMatchObject({ limit: 'maxToolCalls', max: 2, used: 2, at: 'root' })
  })

  it('counts tool calls across steps', async () => {
    const { tool, calls } = counter()
    const model = scriptedModel([...endlessCalls('ping', 2), { text: 'never' }])
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model,
      tools: [tool],
      budget: { maxToolCalls: 1 },
    })
    const { events, result } = await collect(stream(agent, 'go'))
    expect(calls).toEqual([0])
    expect(model.requests).toHaveLength(2)
    expect(result.stopReason).toBe('maxToolCalls')
    expect(ofType(events, 'budget.exceeded')).toHaveLength(1)
  })

  it("charges a child's tool calls to the root and refuses the one beyond the root's limit", async () => {
    const { tool, calls } = counter()
    const childModel = scriptedModel([...endlessCalls('ping', 3), { text: 'child done' }])
    const child = defineAgent({
      name: 'child',
      description: 'c',
      instructions: 'c',
      model: childModel,
      tools: [tool],
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_child', args: { task: 't' } }] },
      { text: 'parent done' },
    ])
    const parent = defineAgent({ name: 'p', instructions: 'p', model: parentModel, agents: [child] })
    const { events } = await collect(stream(parent, 'go', { budget: { maxToolCalls: 2 } }))
    // The delegation is one call, the child's first ping the second; the next never runs.
    expect(calls).toEqual([0])
    const exceeded = ofType(events, 'budget.exceeded')
    expect(exceeded[0]).toMatchObject({ limit: 'maxToolCalls', at: 'root', max: 2 })
    const childEnd = ofType(events, 'agent.end').find((e) => e.agent === 'child')!
    expect([childEnd.status, childEnd.stopReason]).toEqual(['budget_exceeded', 'maxToolCalls'])
  })
})

describe('maxWallMs', () => {
  it('stops with maxWallMs when a tool takes longer than the run may (fake clock)', async () => {
    const clock = fakeClock(1_000_000)
    const runs: number[] = []
    const slow = defineTool({
      name: 'slow',
      description: 'Takes five seconds',
      input: z.object({ n: z.number() }),
      run: ({ n }) => {
        runs.push(n)
        clock.advance(5_000)
        return 'slow result'
      },
    })
    const model = scriptedModel([...endlessCalls('slow', 3), { text: 'never' }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, tools: [slow] })
    const { events, result } = await collect(stream(agent, 'go', { clock, budget: { maxWallMs: 1_000 } }))
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxWallMs')
    expect(runs).toEqual([0])
    expect(model.requests).toHaveLength(1)
    expect(result.usage.wallMs).toBe(5_000)
    const exceeded = ofType(events, 'budget.exceeded')
    expect(exceeded).toHaveLength(1)
    expect(exceeded[0]).toMatchObject({ limit: 'maxWallMs', max: 1_000, at: 'root' })
  })

  it('stops a child at its own maxWallMs and lets the parent go on', async () => {
    const clock = fakeClock(0)
    const slow = defineTool({
      name: 'slow',
      description: 'Takes five seconds',
      input: z.object({ n: z.number() }),
      run: () => {
        clock.advance(5_000)
        return 'slow result'
      },
    })
    const childModel = scriptedModel([...endlessCalls('slow', 3), { text: 'never' }])
    const child = defineAgent({
      name: 'child',
      description: 'c',
      instructions: 'c',
      model: childModel,
      tools: [slow],
      budget: { maxWallMs: 1_000 },
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_child', args: { task: 't' } }] },
      (request) => ({ text: `parent saw error=${toolMessages(request).at(-1)!.isError}` }),
    ])
    const parent = defineAgent({ name: 'p', instructions: 'p', model: parentModel, agents: [child] })
    const { events, result } = await collect(stream(parent, 'go', { clock }))
    expect(result.status).toBe('done')
    expect(result.output).toBe('parent saw error=true')
    expect(childModel.requests).toHaveLength(1)
    const delegation = ofType(events, 'tool.result').find((e) => e.name === 'delegate_child')!
    expect(delegation.error?.code).toBe('SUB_AGENT_FAILED')
    expect(delegation.content).toContain('maxWallMs')
    const childEnd = ofType(events, 'agent.end').find((e) => e.agent === 'child')!
    expect([childEnd.status, childEnd.stopReason]).toEqual(['budget_exceeded', 'maxWallMs'])
    expect(ofType(events, 'budget.exceeded').map((e) => [e.limit, e.at])).toEqual([
      ['maxWallMs', 'root/1/agent:child#0'],
    ])
  })
})

describe('budget limits and options', () => {
  it('lets run options replace the agent’s limits field by field', async () => {
    const { tool } = counter()
    const model = scriptedModel([...endlessCalls('ping', 5), { text: 'never' }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, tools: [tool], budget: { maxSteps: 2 } })
    const kept = await run(agent, 'go', { budget: { maxToolCalls: 50 } })
    expect(kept.stopReason).toBe('maxSteps')
    expect(kept.usage.steps).toBe(2)

    const model2 = scriptedModel([...endlessCalls('ping', 5), { text: 'never' }])
    const agent2 = defineAgent({
      name: 'a',
      instructions: 'x',
      model: model2,
      tools: [tool],
      budget: { maxSteps: 2 },
    })
    const replaced = await run(agent2, 'go', { budget: { maxSteps: 3 } })
    expect(replaced.stopReason).toBe('maxSteps')
    expect(replaced.usage.steps).toBe(3)
  })

  it('rejects a bad budget at definition time, naming the field', () => {
    const model = scriptedModel([])
    expect(() => defineAgent({ name: 'a', instructions: 'x', model, budget: { maxSteps: -1 } })).toThrow(
      /budget\.maxSteps/,
    )
    expect(() => defineAgent({ name: 'a', instructions: 'x', model, budget: { maxToolCalls: 1.5 } })).toThrow(
      /budget\.maxToolCalls/,
    )
    expect(() =>
      defineAgent({
        name: 'a',
        instructions: 'x',
        model,
        budget: { maxStep: 3 } as unknown as { maxSteps: 3 },
      }),
    ).toThrow(/maxSteps/)
  })

  it('rejects a bad budget in the run options before anything runs', async () => {
    const model = scriptedModel([{ text: 'never' }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model })
    await expect(run(agent, 'go', { budget: { maxCostUsd: -0.5 } })).rejects.toThrow(/maxCostUsd/)
    expect(model.requests).toHaveLength(0)
  })
})

describe('stall detection', () => {
  function repeating(stall: Parameters<typeof defineAgent>[0]['stall'], times: number, args = { n: 1 }) {
    const { tool, calls } = counter()
    const steps: ScriptEntry[] = Array.from({ length: times }, () => ({
      toolCalls: [{ name: 'ping', args }],
    }))
    const model = scriptedModel([...steps, { text: 'final' }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, tools: [tool], stall })
    return { agent, model, calls }
  }

  it('warns at maxRepeats in the tool result, then stops as stalled (repeatedCall)', async () => {
    const { agent, model, calls } = repeating({ maxRepeats: 2 }, 5)
    const { events, result } = await collect(stream(agent, 'go'))
    expect(result.status).toBe('stalled')
    expect(result.stopReason).toBe('repeatedCall')
    // Two calls run; the third identical call is refused before it runs.
    expect(calls).toEqual([1, 1])
    expect(model.requests).toHaveLength(3)
    const [firstResult] = toolMessages(model.requests[1])
    expect(firstResult!.content).toBe('pong 1')
    const warned = toolMessages(model.requests[2]).at(-1)!
    expect(warned.content.startsWith('pong 1')).toBe(true)
    expect(warned.content.length).toBeGreaterThan('pong 1'.length)
    expect(warned.content).toContain('"ping"')
    const warnings = ofType(events, 'stall.warning')
    expect(warnings.map((w) => w.reason)).toEqual(['repeatedCall', 'repeatedCall'])
  })

  it('stops after the default number of repeats when no options are given', async () => {
    const { agent, calls } = repeating(undefined, 10)
    const result = await run(agent, 'go')
    expect(result.status).toBe('stalled')
    expect(result.stopReason).toBe('repeatedCall')
    expect(calls).toEqual([1, 1, 1])
  })

  it('does not warn the model when warn is false', async () => {
    const { agent, model, calls } = repeating({ maxRepeats: 2, warn: false }, 5)
    const result = await run(agent, 'go')
    expect(result.stopReason).toBe('repeatedCall')
    expect(calls).toEqual([1, 1])
    expect(toolMessages(model.requests[2]).map((m) => m.content)).toEqual(['pong 1', 'pong 1'])
  })

  it('stops as stalled (noProgress) after N steps in a row without progress', async () => {
    let attempts = 0
    const flaky = defineTool({
      name: 'flaky',
      description: 'Always fails',
      input: z.object({ n: z.number() }),
      run: () => {
        attempts++
        throw new Error('service unavailable')
      },
    })
    const model = scriptedModel([...endlessCalls('flaky', 6), { text: 'never' }])
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model,
      tools: [flaky],
      stall: { maxIdleSteps: 2, maxRepeats: 10 },
    })
    const { events, result } = await collect(stream(agent, 'go'))
    expect(result.status).toBe('stalled')
    expect(result.stopReason).toBe('noProgress')
    expect(attempts).toBe(3)
    expect(model.requests).toHaveLength(3)
    // Warned after the second idle step, in the last tool result.
    const warned = toolMessages(model.requests[2]).at(-1)!
    expect(warned.content).toContain('service unavailable')
    expect(warned.content).not.toBe(toolMessages(model.requests[1]).at(-1)!.content)
    expect(ofType(events, 'stall.warning').map((w) => w.reason)).toEqual(['noProgress', 'noProgress'])
  })

  it('resets the idle count when a step makes progress', async () => {
    let n = 0
    const sometimes = defineTool({
      name: 'sometimes',
      description: 'Fails every other call',
      input: z.object({ n: z.number() }),
      run: () => {
        n++
        if (n % 2) throw new Error('odd failure')
        return 'ok'
      },
    })
    const model = scriptedModel([...endlessCalls('sometimes', 8), { text: 'finished' }])
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model,
      tools: [sometimes],
      stall: { maxIdleSteps: 1, warn: false },
    })
    const result = await run(agent, 'go')
    expect(result.status).toBe('done')
    expect(n).toBe(8)
  })

  it('is off with stall: false', async () => {
    const { agent, calls } = repeating(false, 6)
    const { events, result } = await collect(stream(agent, 'go'))
    expect(result.status).toBe('done')
    expect(result.output).toBe('final')
    expect(calls).toHaveLength(6)
    expect(ofType(events, 'stall.warning')).toHaveLength(0)
  })

  it('rejects bad stall options at definition time', () => {
    const model = scriptedModel([])
    expect(() => defineAgent({ name: 'a', instructions: 'x', model, stall: { maxRepeats: 0 } })).toThrow(
      /stall\.maxRepeats/,
    )
  })
})

describe('stall detection and identical calls in one response', () => {
  it('counts identical calls made in the same response as one repetition', async () => {
    let rolls = 0
    const roll = defineTool({
      name: 'roll',
      description: 'Rolls a die',
      input: z.object({ sides: z.number() }),
      run: () => ++rolls,
    })
    const five = { toolCalls: Array.from({ length: 5 }, () => ({ name: 'roll', args: { sides: 6 } })) }
    const agent = defineAgent({
      name: 'dice',
      instructions: 'Roll.',
      tools: [roll],
      model: scriptedModel([five, { text: 'rolled' }]),
    })
    const result = await run(agent, 'Roll five dice')
    expect(result.status).toBe('done')
    expect(rolls).toBe(5)
  })

  it('still stops a model that asks for the same call step after step', async () => {
    const roll = defineTool({
      name: 'roll',
      description: 'Rolls a die',
      input: z.object({ sides: z.number() }),
      run: () => 4,
    })
    const again = {
      toolCalls: [
        { name: 'roll', args: { sides: 6 } },
        { name: 'roll', args: { sides: 6 } },
      ],
    }
    const agent = defineAgent({
      name: 'dice',
      instructions: 'Roll.',
      tools: [roll],
      model: scriptedModel([again, again, again, again, { text: 'never' }]),
    })
    const result = await run(agent, 'Roll')
    expect(result.status).toBe('stalled')
    expect(result.stopReason).toBe('repeatedCall')
    expect(result.usage.steps).toBe(4)
    expect(result.usage.toolCalls).toBe(6)
  })
})
