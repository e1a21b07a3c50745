import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, type ModelRequest, stream, type ToolMessage } from '../src/index.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { collect, ofType, toolMessages } from './helpers.js'

/** A promise with its resolve function, and a wait that gives up (returning false) after `ms`. */
function gate() {
  let open!: () => void
  let opened = false
  const promise = new Promise<void>((resolve) => {
    open = () => {
      opened = true
      resolve()
    }
  })
  const wait = async (ms: number): Promise<boolean> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms)
    })
    const ok = await Promise.race([promise.then(() => true as const), timeout])
    clearTimeout(timer)
    return ok
  }
  return {
    open: () => open(),
    wait,
    get opened() {
      return opened
    },
  }
}

const PARENT_TASK = 'Plan a trip to Lisbon for the Zebra-Quokka conference'
const PARENT_INSTRUCTIONS = 'You are the lead planner. Delegate research.'

describe('delegation is offered as a tool', () => {
  it('offers delegate_<name> with the sub-agent description and the { task, memoryKeys? } input', async () => {
    const childModel = scriptedModel([{ text: 'unused' }])
    const researcher = defineAgent({
      name: 'researcher',
      description: 'Finds facts about cities on the web',
      instructions: 'Research.',
      model: childModel,
    })
    const own = defineTool({
      name: 'lookup',
      description: 'Looks things up',
      input: z.object({ q: z.string() }),
      run: () => 'x',
    })
    const parentModel = scriptedModel([{ text: 'done' }])
    const lead = defineAgent({
      name: 'lead',
      instructions: PARENT_INSTRUCTIONS,
      model: parentModel,
      tools: [own],
      agents: [researcher],
    })
    const { result } = await collect(stream(lead, PARENT_TASK))
    expect(result.status).toBe('done')
    const tools = parentModel.requests[0]!.tools
    expect(tools.map((t) => t.name).sort()).toEqual(['delegate_researcher', 'lookup'])
    const delegation = tools.find((t) => t.name === 'delegate_researcher')!
    expect(delegation.description).toContain('Finds facts about cities on the web')
    const params = delegation.parameters as {
      type: string
      properties: Record<string, { type: string; items?: { type: string } }>
      required: string[]
    }
    expect(params.type).toBe('object')
    expect(Object.keys(params.properties).sort()).toEqual(['memoryKeys', 'task'])
    expect(params.properties.task!.type).toBe('string')
    expect(params.properties.memoryKeys!.type).toBe('array')
    expect(params.properties.memoryKeys!.items?.type).toBe('string')
    expect(params.required).toEqual(['task'])
    // Offering the tool does not run the sub-agent.
    expect(childModel.requests).toHaveLength(0)
  })

  it('refuses delegation arguments without a task, and the sub-agent never runs', async () => {
    const childModel = scriptedModel([{ text: 'unused' }])
    const researcher = defineAgent({
      name: 'researcher',
      description: 'Finds facts',
      instructions: 'Research.',
      model: childModel,
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_researcher', args: { memoryKeys: [] } }] },
      { text: 'gave up' },
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      agents: [researcher],
    })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    expect(childModel.requests).toHaveLength(0)
    const [toolResult] = ofType(events, 'tool.result')
    expect(toolResult!.isError).toBe(true)
    expect(toolResult!.error?.code).toBe('INVALID_ARGUMENTS')
    expect(toolResult!.error?.issues?.some((issue) => issue.path.join('.') === 'task')).toBe(true)
    expect(ofType(events, 'agent.start').map((e) => e.agent)).toEqual(['lead'])
  })
})

describe('scoped context', () => {
  it("gives the child only its instructions and the brief, never the parent's messages", async () => {
    const childModel = scriptedModel([{ text: 'Lisbon has trams.' }])
    const helper = defineAgent({
      name: 'helper',
      description: 'Helps the researcher',
      instructions: 'Help.',
      model: scriptedModel([]),
    })
    const fetchTool = defineTool({
      name: 'fetch_page',
      description: 'Fetches a page',
      input: z.object({ url: z.string() }),
      run: () => 'page',
    })
    const researcher = defineAgent({
      name: 'researcher',
      description: 'Finds facts',
      instructions: 'You are a careful researcher.',
      model: childModel,
      tools: [fetchTool],
      agents: [helper],
    })
    const lookup = defineTool({
      name: 'lookup',
      description: 'Parent-only lookup',
      input: z.object({ q: z.string() }),
      run: () => 'PARENT-ONLY-RESULT-7731',
    })
    const parentModel = scriptedModel([
      { text: 'Let me look first.', toolCalls: [{ name: 'lookup', args: { q: 'venue' } }] },
      {
        toolCalls: [{ name: 'delegate_researcher', args: { task: 'Find one fact about Lisbon transport.' } }],
      },
      (request) => ({ text: `final: ${toolMessages(request).at(-1)?.content}` }),
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: PARENT_INSTRUCTIONS,
      model: parentModel,
      tools: [lookup],
      agents: [researcher],
    })
    const { result } = await collect(stream(lead, PARENT_TASK))
    expect(result.status).toBe('done')
    expect(result.output).toBe('final: Lisbon has trams.')

    expect(childModel.requests).toHaveLength(1)
    const first = childModel.requests[0]!
    expect(first.messages).toEqual([
      { role: 'system', content: 'You are a careful researcher.' },
      { role: 'user', content: 'Find one fact about Lisbon transport.' },
    ])
    const everything = JSON.stringify(first)
    expect(everything).not.toContain('Zebra-Quokka')
    expect(everything).not.toContain(PARENT_INSTRUCTIONS)
    expect(everything).not.toContain('PARENT-ONLY-RESULT-7731')
    expect(everything).not.toContain('Let me look first.')
    expect(first.tools.map((t) => t.name).sort()).toEqual(['delegate_helper', 'fetch_page'])
    // The parent, meanwhile, really did have those messages.
    expect(JSON.stringify(parentModel.requests[1]!.messages)).toContain('PARENT-ONLY-RESULT-7731')
  })

  it("gives a child that calls its parent's tool an UNKNOWN_TOOL error and never runs that tool", async () => {
    let parentToolRuns = 0
    const secret = defineTool({
      name: 'secret_tool',
      description: 'Only the parent may use this',
      input: z.object({}),
      run: () => {
        parentToolRuns++
        return 'secret'
      },
    })
    const childModel = scriptedModel([
      { toolCalls: [{ name: 'secret_tool', args: {} }] },
      (request) => {
        const last = toolMessages(request).at(-1)
        return { text: `child saw error=${last?.isError}` }
      },
    ])
    const child = defineAgent({
      name: 'worker',
      description: 'Does work',
      instructions: 'Work.',
      model: childModel,
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_worker', args: { task: 'do it' } }] },
      (request) => ({ text: String(toolMessages(request).at(-1)?.content) }),
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      tools: [secret],
      agents: [child],
    })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(parentToolRuns).toBe(0)
    expect(result.status).toBe('done')
    expect(result.output).toBe('child saw error=true')
    const childResult = ofType(events, 'tool.result').find((e) => e.name === 'secret_tool')!
    expect(childResult.path.startsWith('root/1/agent:worker#0/1/tool/')).toBe(true)
    expect(childResult.isError).toBe(true)
    expect(childResult.error?.code).toBe('UNKNOWN_TOOL')
    const childTool = toolMessages(childModel.requests[1]).at(-1)!
    expect(childTool.isError).toBe(true)
    expect(childTool.content).toContain('secret_tool')
  })
})

describe('memoryKeys handover', () => {
  function setup(memory?: { read?: string[]; write?: string[] }) {
    const save = defineTool({
      name: 'save',
      description: 'Saves a note',
      input: z.object({ key: z.string(), value: z.string() }),
      run: ({ key, value }, ctx) => {
        ctx.memory.write(key, value)
        return 'saved'
      },
    })
    const childModel = scriptedModel([{ text: 'child done' }])
    const child = defineAgent({
      name: 'writer',
      description: 'Writes',
      instructions: 'Write.',
      model: childModel,
    })
    return { save, childModel, child, memory }
  }

  it('puts the handed entries, with their keys, in the brief and nothing else', async () => {
    const { save, childModel, child } = setup()
    const parentModel = scriptedModel([
      {
        toolCalls: [
          { name: 'save', args: { key: 'notes/hotel', value: 'Hotel Avenida, 3 nights' } },
          { name: 'save', args: { key: 'notes/budget', value: 'EUR-900-PRIVATE' } },
        ],
      },
      {
        toolCalls: [
          { name: 'delegate_writer', args: { task: 'Write the itinerary.', memoryKeys: ['notes/hotel'] } },
        ],
      },
      { text: 'ok' },
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      tools: [save],
      agents: [child],
    })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    const brief = childModel.requests[0]!.messages[1]!
    expect(brief.role).toBe('user')
    expect(brief.content.startsWith('Write the itinerary.')).toBe(true)
    expect(brief.content).toContain('notes/hotel')
    expect(brief.content).toContain('Hotel Avenida, 3 nights')
    expect(brief.content).not.toContain('notes/budget')
    expect(JSON.stringify(childModel.requests[0])).not.toContain('EUR-900-PRIVATE')
    const start = ofType(events, 'agent.start').find((e) => e.agent === 'writer')!
    expect(start.memoryKeys).toEqual(['notes/hotel'])
  })

  it('refuses a missing key with a tool error to the parent, and no child runs', async () => {
    const { save, childModel, child } = setup()
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'save', args: { key: 'notes/a', value: 'A' } }] },
      { toolCalls: [{ name: 'delegate_writer', args: { task: 'Use it.', memoryKeys: ['notes/missing'] } }] },
      (request) => ({ text: `error=${toolMessages(request).at(-1)?.isError}` }),
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      tools: [save],
      agents: [child],
    })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    expect(result.output).toBe('error=true')
    expect(childModel.requests).toHaveLength(0)
    expect(ofType(events, 'agent.start').map((e) => e.agent)).toEqual(['lead'])
    const refused = ofType(events, 'tool.result').find((e) => e.name === 'delegate_writer')!
    expect(refused.isError).toBe(true)
    expect(refused.content).toContain('notes/missing')
    expect(result.memory.map((e) => e.key)).toEqual(['notes/a'])
  })

  it("refuses a key outside the parent's read scope with a tool error, and no child runs", async () => {
    const { save, childModel, child } = setup()
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'save', args: { key: 'secret/plan', value: 'TOP-SECRET' } }] },
      { toolCalls: [{ name: 'delegate_writer', args: { task: 'Use it.', memoryKeys: ['secret/plan'] } }] },
      (request) => ({ text: `error=${toolMessages(request).at(-1)?.isError}` }),
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      tools: [save],
      agents: [child],
      memory: { read: ['notes/*'], write: ['notes/*', 'secret/*'] },
    })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    expect(result.memory.map((e) => e.key)).toEqual(['secret/plan'])
    expect(childModel.requests).toHaveLength(0)
    const refused = ofType(events, 'tool.result').find((e) => e.name === 'delegate_writer')!
    expect(refused.isError).toBe(true)
    expect(refused.error?.code).toBe('MEMORY_SCOPE')
    expect(JSON.stringify(events.filter((e) => e.path.includes('agent:writer')))).not.toContain('TOP-SECRET')
    expect(ofType(events, 'agent.start').map((e) => e.agent)).toEqual(['lead'])
  })
})

describe('sub-agent output', () => {
  const Fact = z.object({ city: z.string(), facts: z.array(z.string()), confidence: z.number().default(0.5) })

  it('returns the parsed output as JSON to the parent and writes it to agents/<name>/<n> with provenance', async () => {
    const clock = fakeClock(1_000)
    const childModel = scriptedModel([
      () => {
        clock.advance(250)
        return { text: '```json\n{ "city": "Lisbon",  "facts": ["trams", "hills"] }\n```' }
      },
      { text: '{"city":"Porto","facts":["wine"],"confidence":0.9}' },
    ])
    const researcher = defineAgent({
      name: 'researcher',
      description: 'Finds facts',
      instructions: 'Research. Answer as JSON.',
      model: childModel,
      output: Fact,
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_researcher', args: { task: 'Lisbon facts' } }] },
      { toolCalls: [{ name: 'delegate_researcher', args: { task: 'Porto facts' } }] },
      (request) => ({
        text: toolMessages(request)
          .map((m) => m.content)
          .join(' | '),
      }),
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      agents: [researcher],
    })
    const { events, result } = await collect(stream(lead, 'go', { clock }))
    expect(result.status).toBe('done')

    const lisbon = { city: 'Lisbon', facts: ['trams', 'hills'], confidence: 0.5 }
    const porto = { city: 'Porto', facts: ['wine'], confidence: 0.9 }
    const firstResult = toolMessages(parentModel.requests[1]).at(-1)!
    expect(firstResult.isError).toBeFalsy()
    expect(JSON.parse(firstResult.content)).toEqual(lisbon)
    expect(firstResult.content).toBe(JSON.stringify(lisbon))
    expect(result.output).toBe(`${JSON.stringify(lisbon)} | ${JSON.stringify(porto)}`)

    expect(result.memory).toHaveLength(2)
    const [m0, m1] = result.memory
    expect(m0).toMatchObject({
      key: 'agents/researcher/0',
      value: lisbon,
      by: 'root/1/agent:researcher#0',
      step: 'root/1/tool/call_1_0',
      at: 1_250,
    })
    expect(m1).toMatchObject({
      key: 'agents/researcher/1',
      value: porto,
      by: 'root/2/agent:researcher#0',
      step: 'root/2/tool/call_2_0',
      at: 1_250,
    })
    for (const entry of result.memory) {
      expect(Object.keys(entry).sort()).toEqual(['at', 'by', 'key', 'step', 'value'])
    }
    const writes = ofType(events, 'memory.write')
    expect(writes.map((w) => [w.key, w.by, w.path])).toEqual([
      ['agents/researcher/0', 'root/1/agent:researcher#0', 'root/1/tool/call_1_0'],
      ['agents/researcher/1', 'root/2/agent:researcher#0', 'root/2/tool/call_2_0'],
    ])
    // The child's own events carry its agent path.
    const childEnd = ofType(events, 'agent.end').find((e) => e.path === 'root/1/agent:researcher#0')!
    expect(childEnd.status).toBe('done')
    expect(childEnd.output).toEqual(lisbon)
  })

  it("retries a child whose final answer fails its schema (the child's own goal loop)", async () => {
    const childModel = scriptedModel([
      { text: '{"city": 42}' },
      (request) => {
        const feedback = request.messages.at(-1)!
        return feedback.role === 'user' && feedback.content.includes('city')
          ? { text: '{"city":"Lisbon","facts":[]}' }
          : { text: 'no feedback received' }
      },
    ])
    const researcher = defineAgent({
      name: 'researcher',
      description: 'Finds facts',
      instructions: 'Research.',
      model: childModel,
      output: Fact,
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_researcher', args: { task: 'Lisbon' } }] },
      (request) => ({ text: String(toolMessages(request).at(-1)?.content) }),
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      agents: [researcher],
    })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    expect(childModel.requests).toHaveLength(2)
    expect(parentModel.requests).toHaveLength(2)
    expect(JSON.parse(String(result.output))).toEqual({ city: 'Lisbon', facts: [], confidence: 0.5 })
    const checks = ofType(events, 'goal.check').filter((e) => e.path.startsWith('root/1/agent:researcher#0/'))
    expect(checks.map((c) => c.passed)).toEqual([false, true])
    expect(checks[0]!.feedback).toContain('city')
    expect(result.memory.map((e) => e.value)).toEqual([{ city: 'Lisbon', facts: [], confidence: 0.5 }])
  })

  it('reports a child that never meets its schema as SUB_AGENT_FAILED and writes nothing', async () => {
    const childModel = scriptedModel([{ text: 'not json' }, { text: 'still not json' }])
    const researcher = defineAgent({
      name: 'researcher',
      description: 'Finds facts',
      instructions: 'Research.',
      model: childModel,
      output: Fact,
      maxGoalAttempts: 2,
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_researcher', args: { task: 'Lisbon' } }] },
      { text: 'carried on' },
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      agents: [researcher],
    })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    expect(result.output).toBe('carried on')
    expect(childModel.requests).toHaveLength(2)
    const failed = ofType(events, 'tool.result').find((e) => e.name === 'delegate_researcher')!
    expect(failed.isError).toBe(true)
    expect(failed.error?.code).toBe('SUB_AGENT_FAILED')
    expect(failed.content).toContain('goal_failed')
    expect(result.memory).toEqual([])
  })
})

describe('concurrent delegations', () => {
  it('runs several delegations of one response at the same time', async () => {
    const arrived = { alpha: gate(), beta: gate() }
    const spans: Record<string, { start: number; end: number }> = {}
    const overlapSeen: Record<string, boolean> = {}
    const childAgent = (name: 'alpha' | 'beta', other: 'alpha' | 'beta') => {
      const model = scriptedModel(
        [
          async () => {
            spans[name] = { start: performance.now(), end: Number.NaN }
            arrived[name].open()
            // Only a concurrent sibling can arrive while this one waits.
            overlapSeen[name] = await arrived[other].wait(15_000)
            return { text: `${name} result` }
          },
        ],
        { latencyMs: 10 },
      )
      const agent = defineAgent({
        name,
        description: `The ${name} worker`,
        instructions: `${name}.`,
        model,
        goal: () => {
          spans[name]!.end = performance.now()
          return true
        },
      })
      return { agent, model }
    }
    const a = childAgent('alpha', 'beta')
    const b = childAgent('beta', 'alpha')
    const parentModel = scriptedModel([
      {
        toolCalls: [
          { name: 'delegate_alpha', args: { task: 'first' } },
          { name: 'delegate_beta', args: { task: 'second' } },
        ],
      },
      { text: 'both done' },
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      agents: [a.agent, b.agent],
    })
    const { result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    expect(overlapSeen).toEqual({ alpha: true, beta: true })
    expect(spans.alpha!.start).toBeLessThan(spans.beta!.end)
    expect(spans.beta!.start).toBeLessThan(spans.alpha!.end)
  })

  it('returns the results in call order even when a later call finishes first', async () => {
    const betaDone = gate()
    const slow = scriptedModel(
      [
        async () => {
          // Finishes only after the second delegation has finished (when they run concurrently).
          await betaDone.wait(15_000)
          return { text: 'SLOW' }
        },
      ],
      { latencyMs: 30 },
    )
    const fast = scriptedModel(
      [
        () => {
          betaDone.open()
          return { text: 'FAST' }
        },
      ],
      { latencyMs: 1 },
    )
    const slowAgent = defineAgent({ name: 'slow', description: 'Slow', instructions: 's', model: slow })
    const fastAgent = defineAgent({ name: 'fast', description: 'Fast', instructions: 'f', model: fast })
    const parentModel = scriptedModel([
      {
        toolCalls: [
          { name: 'delegate_slow', args: { task: 'a' }, id: 'c-slow' },
          { name: 'delegate_fast', args: { task: 'b' }, id: 'c-fast' },
        ],
      },
      (request) => ({
        text: toolMessages(request)
          .map((m) => `${m.toolCallId}=${m.content}`)
          .join(','),
      }),
    ])
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      agents: [slowAgent, fastAgent],
    })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    // Finished out of order...
    expect(ofType(events, 'tool.result').map((e) => e.content)).toEqual(['FAST', 'SLOW'])
    // ...but handed back in call order, each linked to its own call.
    expect(result.output).toBe('c-slow=SLOW,c-fast=FAST')
    const history = parentModel.requests[1]!.messages
    const assistantAt = history.findIndex((m) => m.role === 'assistant')
    expect(history.slice(assistantAt + 1).map((m) => (m as ToolMessage).toolCallId)).toEqual([
      'c-slow',
      'c-fast',
    ])
  })

  it('numbers concurrent delegations to the same sub-agent by path and memory key', async () => {
    const model = scriptedModel([
      (request) => ({ text: `answer to ${request.messages[1]!.content}` }),
      (request) => ({ text: `answer to ${request.messages[1]!.content}` }),
    ])
    const worker = defineAgent({ name: 'worker', description: 'Works', instructions: 'w', model })
    const parentModel = scriptedModel([
      {
        toolCalls: [
          { name: 'delegate_worker', args: { task: 'one' } },
          { name: 'delegate_worker', args: { task: 'two' } },
        ],
      },
      { text: 'done' },
    ])
    const lead = defineAgent({ name: 'lead', instructions: 'Lead.', model: parentModel, agents: [worker] })
    const { events, result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    const starts = ofType(events, 'agent.start').filter((e) => e.agent === 'worker')
    expect(starts.map((e) => [e.path, e.task, e.depth])).toEqual([
      ['root/1/agent:worker#0', 'one', 1],
      ['root/1/agent:worker#1', 'two', 1],
    ])
    const byKey = Object.fromEntries(result.memory.map((e) => [e.key, [e.value, e.by]]))
    expect(byKey).toEqual({
      'agents/worker/0': ['answer to one', 'root/1/agent:worker#0'],
      'agents/worker/1': ['answer to two', 'root/1/agent:worker#1'],
    })
    expect(toolMessages(parentModel.requests[1]).map((m) => m.content)).toEqual([
      'answer to one',
      'answer to two',
    ])
  })
})

describe('delegation arguments that are not JSON', () => {
  it('come back to the parent as a tool error naming the problem, and no child runs', async () => {
    const childModel = scriptedModel([{ text: 'never' }])
    const child = defineAgent({
      name: 'helper',
      description: 'Helps',
      instructions: 'Help.',
      model: childModel,
    })
    const broken = {
      spec: 'baton.model.v1' as const,
      id: 'scripted:broken',
      calls: 0,
      async generate(request: ModelRequest) {
        this.calls++
        if (this.calls === 1) {
          return {
            message: {
              role: 'assistant' as const,
              content: '',
              toolCalls: [{ id: 'c1', name: 'delegate_helper', args: undefined, argsText: '{"task": "half' }],
            },
            usage: { inputTokens: 0, outputTokens: 0 },
            finishReason: 'tool-calls' as const,
          }
        }
        const last = toolMessages(request).at(-1)
        return {
          message: { role: 'assistant' as const, content: `${last?.isError}: ${last?.content}` },
          usage: { inputTokens: 0, outputTokens: 0 },
          finishReason: 'stop' as const,
        }
      },
    }
    const lead = defineAgent({ name: 'lead', instructions: 'Lead.', model: broken, agents: [child] })
    const { result } = await collect(stream(lead, 'go'))
    expect(result.status).toBe('done')
    expect(result.output).toMatch(/^true: Error: the arguments for tool "delegate_helper" are not valid JSON/)
    expect(childModel.requests).toHaveLength(0)
  })
})
