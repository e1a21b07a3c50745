import { describe, expect, it } from 'vitest'
import {
  type Agent,
  BatonError,
  DEFAULT_PRICES,
  defineAgent,
  findPrice,
  type Model,
  run,
  stream,
} from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { collect, ofType } from './helpers.js'

/** One answer with 1,000,000 input and 1,000,000 output tokens: its cost is input + output price. */
function millionTokens(id: string, text = 'ok') {
  return scriptedModel([{ text, usage: { inputTokens: 1_000_000, outputTokens: 1_000_000 } }], { id })
}

function child(model: Model, prices?: Agent['prices']): Agent {
  return defineAgent({
    name: 'child',
    description: 'A part',
    instructions: 'c',
    model,
    ...(prices ? { prices } : {}),
  })
}

function lead(sub: Agent, prices?: Agent['prices']): Agent {
  return defineAgent({
    name: 'lead',
    instructions: 'L',
    model: scriptedModel([
      { toolCalls: [{ name: 'delegate_child', args: { task: 't' } }] },
      { text: 'done' },
    ]),
    agents: [sub],
    ...(prices ? { prices } : {}),
  })
}

describe('prices on the agent', () => {
  it('price a model the shipped table does not know, with no warning', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: millionTokens('acme:large'),
      prices: { 'acme:large': { input: 2, output: 3 } },
    })
    const { events, result } = await collect(stream(agent, 'go', { budget: { maxCostUsd: 100 } }))
    expect(result.usage.costUsd).toBeCloseTo(5, 10)
    expect(ofType(events, 'model.response')[0]!.costUsd).toBeCloseTo(5, 10)
    expect(ofType(events, 'budget.warning')).toHaveLength(0)
  })

  it('clip maxTokens to what the remaining dollars buy, like any known price', async () => {
    const model = scriptedModel([{ text: 'ok' }], { id: 'acme:large' })
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model,
      prices: { acme: { input: 0, output: 10_000 } },
    })
    await run(agent, 'go', { budget: { maxCostUsd: 1 } })
    expect(model.requests[0]!.maxTokens).toBe(100)
  })

  it("apply to sub-agents; a sub-agent's own win over its parent's; the run option wins over both", async () => {
    const cases: [Agent['prices'], Agent['prices'], Record<string, { input: number; output: number }>?][] = [
      [{ 'acme:large': { input: 1, output: 1 } }, undefined],
      [{ 'acme:large': { input: 1, output: 1 } }, { 'acme:large': { input: 5, output: 5 } }],
      [
        { 'acme:large': { input: 1, output: 1 } },
        { 'acme:large': { input: 5, output: 5 } },
        { 'acme:large': { input: 50, output: 50 } },
      ],
    ]
    const expected = [2, 10, 100]
    for (const [i, [parentPrices, childPrices, runPrices]] of cases.entries()) {
      const result = await run(
        lead(child(millionTokens('acme:large'), childPrices), parentPrices),
        'go',
        runPrices ? { prices: runPrices } : {},
      )
      expect(result.status).toBe('done')
      expect(result.usage.costUsd).toBeCloseTo(expected[i]!, 10)
    }
  })

  it('the most specific entry wins: an agent price for a dated id beats a run price for its family', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: millionTokens('acme:large-2026-01-01'),
      prices: { 'acme:large-2026-01-01': { input: 1, output: 1 } },
    })
    const result = await run(agent, 'go', { prices: { 'acme:large': { input: 9, output: 9 } } })
    expect(result.usage.costUsd).toBeCloseTo(2, 10)
  })
})

describe('models on a compatible server', () => {
  it('cost nothing unless priced, and raise no warning under maxCostUsd', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: millionTokens('compatible:llama3.1') })
    const { events, result } = await collect(stream(agent, 'go', { budget: { maxCostUsd: 0.01 } }))
    expect(result.status).toBe('done')
    expect(result.usage.costUsd).toBe(0)
    expect(ofType(events, 'budget.warning')).toHaveLength(0)
  })

  it('are charged when priced, on the agent or by the run', async () => {
    const priced = defineAgent({
      name: 'a',
      instructions: 'x',
      model: millionTokens('compatible:llama3.1'),
      prices: { 'compatible:llama3.1': { input: 0.5, output: 1 } },
    })
    expect((await run(priced, 'go')).usage.costUsd).toBeCloseTo(1.5, 10)
    const plain = defineAgent({ name: 'b', instructions: 'x', model: millionTokens('compatible:llama3.1') })
    const byRun = await run(plain, 'go', { prices: { 'compatible:llama3.1': { input: 1, output: 1 } } })
    expect(byRun.usage.costUsd).toBeCloseTo(2, 10)
  })
})

describe('findPrice', () => {
  it('refuses a model id or a table of the wrong kind, naming it', () => {
    expect(findPrice('openai:gpt-4o', DEFAULT_PRICES)).toBeDefined()
    expect(() => findPrice(42 as unknown as string, DEFAULT_PRICES)).toThrow(
      'findPrice: modelId must be a model id such as "openai:gpt-4o", got number 42',
    )
    expect(() => findPrice('openai:gpt-4o', undefined as never)).toThrow(
      'findPrice: table must be a price table (e.g. DEFAULT_PRICES), got undefined',
    )
  })
})

describe('an unknown price', () => {
  it('is warned about with how to give one, once per run', async () => {
    const model = scriptedModel([{ text: 'a' }, { text: 'b' }], { id: 'acme:mystery' })
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model,
      goal: (_o, { text }) => text === 'b' || 'again',
    })
    const { events } = await collect(stream(agent, 'go', { budget: { maxCostUsd: 1 } }))
    const warnings = ofType(events, 'budget.warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toMatch(/acme:mystery/)
    expect(warnings[0]!.message).toMatch(/defineAgent\(\{ prices \}\)/)
    expect(warnings[0]!.message).toMatch(/`prices` run option/)
    // The library names its own ways; the CLI rewords them into its flags (test/cli-flags.test.ts).
    expect(warnings[0]!.message).not.toMatch(/--price/)
  })

  it('is not warned about without a cost limit', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: millionTokens('acme:mystery') })
    const { events } = await collect(stream(agent, 'go'))
    expect(ofType(events, 'budget.warning')).toHaveLength(0)
  })
})

describe('the prices run option', () => {
  it('is checked, naming the field at fault', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([]) })
    for (const [prices, field] of [
      [[], /options\.prices must be an object/],
      [{ 'acme:x': 3 }, /options\.prices\["acme:x"\] must be \{ input, output \}/],
      [{ 'acme:x': { input: 1 } }, /options\.prices\["acme:x"\]\.output must be a non-negative number/],
      [{ 'acme:x': { input: -1, output: 1 } }, /options\.prices\["acme:x"\]\.input/],
      [
        { 'acme:x': { input: 1, output: 1, cached: 1 } },
        /options\.prices\["acme:x"\]\.cached is not a price field/,
      ],
    ] as const) {
      const error = await run(agent, 'go', { prices: prices as never }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BatonError)
      expect((error as BatonError).code).toBe('INVALID_OPTIONS')
      expect((error as BatonError).message).toMatch(field)
    }
  })
})
