import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, defineWorkflow, run } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { definitionError } from './helpers.js'

const tool = (name: string) =>
  defineTool({ name, description: `the ${name} tool`, input: z.object({}), run: () => name })
const model = scriptedModel([])
const base = { instructions: 'x', model }

describe('defineAgent refuses bad definitions, naming the field and the value', () => {
  it('duplicate tool names', () => {
    const error = definitionError(() =>
      defineAgent({ name: 'a', ...base, tools: [tool('search'), tool('search')] }),
    )
    expect(error.message).toMatch(/tools\[1\].*"search"/)
  })

  it('a tool named like a sub-agent, or like its delegation tool', () => {
    const child = defineAgent({ name: 'search', description: 'searches', ...base })
    expect(
      definitionError(() => defineAgent({ name: 'a', ...base, tools: [tool('search')], agents: [child] }))
        .message,
    ).toMatch(/agents\[0\].*"search"/)
    expect(
      definitionError(() =>
        defineAgent({ name: 'a', ...base, tools: [tool('delegate_search')], agents: [child] }),
      ).message,
    ).toContain('delegate_search')
  })

  it('delegation cycles, by name and by identity', async () => {
    const inner = defineAgent({ name: 'lead', description: 'same name as the root', ...base })
    const middle = defineAgent({ name: 'helper', description: 'helps', ...base, agents: [inner] })
    expect(definitionError(() => defineAgent({ name: 'lead', ...base, agents: [middle] })).message).toContain(
      'lead → helper → lead',
    )

    const a = defineAgent({ name: 'alpha', description: 'a', ...base })
    const b = defineAgent({ name: 'beta', description: 'b', ...base, agents: [a] })
    ;(a.agents as unknown as unknown[]).push(b)
    expect(definitionError(() => defineAgent({ name: 'root', ...base, agents: [a] })).message).toMatch(
      /cycle alpha → beta → alpha/,
    )
    // The cycle made by mutation after definition is caught at run time too.
    await expect(run(b, 'go')).rejects.toThrow(/delegation cycle/)
  })

  it('a negative, non-numeric or unknown budget limit', () => {
    expect(
      definitionError(() => defineAgent({ name: 'a', ...base, budget: { maxSteps: -1 } })).message,
    ).toContain('budget.maxSteps must be a non-negative integer, got -1')
    expect(
      definitionError(() => defineAgent({ name: 'a', ...base, budget: { maxCostUsd: 'lots' as never } }))
        .message,
    ).toContain('budget.maxCostUsd must be a non-negative number, got "lots"')
    expect(
      definitionError(() => defineAgent({ name: 'a', ...base, budget: { maxStep: 3 } as never })).message,
    ).toContain('did you mean maxSteps')
    expect(
      definitionError(() => defineAgent({ name: 'a', ...base, budget: { maxSteps: 2.5 } })).message,
    ).toContain('got 2.5')
  })

  it('malformed prices, naming the entry and the field', () => {
    const bad = (prices: unknown) =>
      definitionError(() => defineAgent({ name: 'a', ...base, prices: prices as never }))
    expect(bad('cheap').message).toContain('agent "a": prices must be an object of model prices')
    expect(bad({ 'acme:x': 2 }).message).toContain('prices["acme:x"] must be { input, output }')
    expect(bad({ 'acme:x': { input: 1 } }).message).toContain(
      'prices["acme:x"].output must be a non-negative number of USD per million tokens, got undefined',
    )
    expect(bad({ 'acme:x': { input: '1', output: 2 } }).message).toContain('prices["acme:x"].input')
    expect(bad({ 'acme:x': { input: 1, output: Number.NaN } }).message).toContain('prices["acme:x"].output')
    expect(bad({ 'acme:x': { input: 1, output: 2, cacheWrite: -1 } }).message).toContain(
      'prices["acme:x"].cacheWrite',
    )
    expect(bad({ 'acme:x': { input: 1, ouput: 2, output: 2 } }).message).toContain(
      'prices["acme:x"].ouput is not a price field (known: input, output, cachedInput, cacheWrite)',
    )
    expect(bad([]).message).toContain('prices must be an object of model prices, got an array')
    const error = bad({ 'acme:x': { input: 1 } })
    expect(error.details).toMatchObject({ agent: 'a', field: 'prices["acme:x"].output' })
    // A good table is kept, and cannot be changed behind the agent's back.
    const prices = { 'acme:x': { input: 1, output: 2 } }
    const agent = defineAgent({ name: 'a', ...base, prices })
    expect(agent.prices).toEqual(prices)
    expect(Object.isFrozen(agent.prices)).toBe(true)
    expect(Object.isFrozen(agent.prices!['acme:x'])).toBe(true)
  })

  it('a missing or malformed model', () => {
    expect(definitionError(() => defineAgent({ name: 'a', instructions: 'x' } as never)).message).toContain(
      'model is required',
    )
    expect(
      definitionError(() => defineAgent({ name: 'a', instructions: 'x', model: 'gpt-4o' })).message,
    ).toContain('"gpt-4o"')
    expect(
      definitionError(() => defineAgent({ name: 'a', instructions: 'x', model: { id: 'x' } as never }))
        .message,
    ).toContain('model must be')
  })

  it('a bad name, unknown option, missing sub-agent description, bad goal, missing prompt file', () => {
    expect(definitionError(() => defineAgent({ name: 'has space', ...base })).message).toContain(
      '"has space"',
    )
    expect(definitionError(() => defineAgent({ name: 'a', ...base, tool: [] } as never)).message).toContain(
      'tool is not a known agent option',
    )
    const child = defineAgent({ name: 'child', ...base })
    expect(definitionError(() => defineAgent({ name: 'a', ...base, agents: [child] })).message).toContain(
      'needs a description',
    )
    expect(definitionError(() => defineAgent({ name: 'a', ...base, goal: 42 as never })).message).toContain(
      'goal[0]',
    )
    expect(
      definitionError(() => defineAgent({ name: 'a', model, instructions: 'prompts/does-not-exist.md' }))
        .message,
    ).toContain('prompts/does-not-exist.md')
    expect(
      definitionError(() => defineAgent({ name: 'a', ...base, tools: [{ name: 'x' }] as never })).message,
    ).toContain('tools[0] must be a tool made by defineTool')
  })
})

describe('definitions refuse options they do not know, pointing to the one meant', () => {
  const input = z.object({ q: z.string() })
  const run = () => 'ok'

  it('defineTool: the names other frameworks use, a misspelling, and an unrelated key', () => {
    const toolError = (config: Record<string, unknown>) =>
      definitionError(() => defineTool({ name: 't', description: 'd', ...config } as never))
    // `execute` and `parameters` are the AI SDK's names: they get Baton's, not "run must be a function".
    expect(toolError({ input, execute: run }).message).toBe(
      'tool "t": execute is not a known tool option (did you mean run?) (known: name, description, input, output, run, timeoutMs, needsApproval, maxResultChars, idempotent)',
    )
    expect(toolError({ parameters: input, run }).message).toContain(
      'parameters is not a known tool option (did you mean input?)',
    )
    expect(toolError({ input, run, timeout: 5_000 }).message).toContain('(did you mean timeoutMs?)')
    expect(toolError({ input, run, max_result_chars: 10 }).message).toContain(
      '(did you mean maxResultChars?)',
    )
    const unrelated = toolError({ input, run, colour: 'red' })
    expect(unrelated.message).toContain('colour is not a known tool option (known: ')
    expect(unrelated.details).toMatchObject({ tool: 't', field: 'colour' })
  })

  it("defineAgent: other frameworks' names for instructions, steps and sub-agents", () => {
    const agentError = (config: Record<string, unknown>) =>
      definitionError(() => defineAgent({ name: 'a', model, ...config } as never))
    expect(agentError({ system: 'x' }).message).toContain(
      'system is not a known agent option (did you mean instructions?)',
    )
    expect(agentError({ ...base, maxTurns: 3 }).message).toContain('(did you mean budget: { maxSteps }?)')
    expect(agentError({ ...base, handoffs: [] }).message).toContain('(did you mean agents?)')
    expect(agentError({ ...base, tool_concurrency: 2 }).message).toContain('(did you mean toolConcurrency?)')
  })

  it("defineAgent's nested options: stall, memory, vars", () => {
    const agentError = (config: Record<string, unknown>) =>
      definitionError(() => defineAgent({ name: 'a', ...base, ...config } as never))
    expect(agentError({ stall: { repeatCall: 3 } }).message).toBe(
      'agent "a": stall.repeatCall is not a known stall option (known: maxRepeats, maxIdleSteps, warn)',
    )
    expect(agentError({ stall: { warn: 'yes' } }).message).toContain('stall.warn must be true or false')
    expect(agentError({ stall: 5 }).message).toContain(
      'stall must be false or { maxRepeats?, maxIdleSteps?, warn? }',
    )
    expect(agentError({ memory: { writ: ['notes/*'] } }).message).toContain(
      'memory.writ is not a known memory option (did you mean write?)',
    )
    expect(agentError({ memory: 'notes/*' }).message).toContain(
      'memory must be { read?: [globs], write?: [globs] }',
    )
    expect(agentError({ vars: 'Lisbon' }).message).toContain('vars must be an object of values')
    expect(
      defineAgent({ name: 'a', ...base, stall: { maxRepeats: 2, warn: false }, memory: { read: ['**'] } })
        .name,
    ).toBe('a')
  })

  it('defineWorkflow', () => {
    const plan = { tasks: [] }
    const tools = [defineTool({ name: 'look', description: 'd', input, run })]
    expect(
      definitionError(() => defineWorkflow({ name: 'w', tools, plan, rounds: 3 } as never)).message,
    ).toContain('workflow "w": rounds is not a known workflow option (did you mean maxRounds?)')
    expect(defineWorkflow({ name: 'w', tools, plan, maxRounds: 3 }).name).toBe('w')
  })
})

describe('instructions templates', () => {
  it('fills {{vars}} from defineAgent and from run, and refuses a run that leaves one open', async () => {
    const m = scriptedModel([{ text: 'ok' }])
    const agent = defineAgent({
      name: 'a',
      model: m,
      instructions: 'You plan trips to {{city}} for {{ who }}.',
      vars: { city: 'Lisbon' },
    })
    await expect(run(agent, 'go')).rejects.toThrow(/\{\{who\}\}/)
    const result = await run(agent, 'go', { vars: { who: 'two people' } })
    expect(result.status).toBe('done')
    expect(m.requests[0]!.messages[0]).toEqual({
      role: 'system',
      content: 'You plan trips to Lisbon for two people.',
    })
  })
})
