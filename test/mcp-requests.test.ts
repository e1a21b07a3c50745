/**
 * What an MCP server asks Baton's client during a run, through agent runs with scripted models
 * against a real server (the SDK's McpServer, test/fixtures/mcp-asking-server.ts) over stdio and
 * streamable HTTP: input (elicitation) answered by the run's `elicit` or by a pause and a resume,
 * completions (sampling) on the agent's budget, roots, a tool list that changes during the run,
 * and replays of all of it with the server gone.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type BatonEvent,
  defineAgent,
  type ElicitationRequest,
  type ElicitFn,
  type Model,
  type PriceTable,
  readTranscript,
  replay,
  resume,
  run,
  stream,
  type Tool,
  type ToolSet,
} from '../src/index.js'
import { type McpTools, type McpToolsOptions, mcpTools } from '../src/mcp/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { BOOKING_FORM, startAskingHttp } from './fixtures/mcp-asking-server.js'
import { collect, ofType, toolMessages } from './helpers.js'
import { toolContext } from './tool-context.js'

const SERVER = fileURLToPath(new URL('./fixtures/mcp-asking-server.ts', import.meta.url))
const STDIO = { command: process.execPath, args: ['--import', 'tsx', SERVER] }
const dir = mkdtempSync(join(tmpdir(), 'baton-mcp-requests-'))
const open: McpTools[] = []

afterAll(async () => {
  for (const mcp of open) await mcp.close()
  rmSync(dir, { recursive: true, force: true })
})

async function connect(options: McpToolsOptions = {}, server: Parameters<typeof mcpTools>[0] = STDIO) {
  const mcp = await mcpTools(server, options)
  open.push(mcp)
  return mcp
}

function agentWith(model: Model, tools: (Tool | ToolSet)[]) {
  return defineAgent({ name: 'clerk', instructions: 'Use the tools.', model, tools })
}

/** The step key of the first call the root made. */
function firstCall(events: readonly BatonEvent[]): string {
  return ofType(events, 'tool.call')[0]!.path
}

const book = { name: 'book', args: { city: 'Lisbon' } }

describe('elicitation', () => {
  it('is answered by the run’s elicit: accepted content gets the form’s defaults; decline is an answer too', async () => {
    const mcp = await connect()
    const asked: ElicitationRequest[] = []
    const accept: ElicitFn = (request) => {
      asked.push(request)
      return { action: 'accept', content: { name: 'Grace' } }
    }
    const model = scriptedModel([{ toolCalls: [book] }, { text: 'booked' }])
    const { events, result } = await collect(
      stream(agentWith(model, mcp.tools), 'Book it', { elicit: accept }),
    )
    expect(result.status).toBe('done')
    expect(toolMessages(model.requests[1])[0]!.content).toBe(
      'booking Lisbon: accept {"name":"Grace","seats":2,"window":true}',
    )
    const call = firstCall(events)
    expect(asked).toEqual([
      {
        path: `${call}/elicit/0`,
        agent: 'root',
        toolCall: call,
        callId: call.split('/').at(-1),
        tool: 'book',
        server: 'asking',
        message: 'Who travels to Lisbon?',
        schema: expect.objectContaining({ properties: expect.objectContaining(BOOKING_FORM.properties) }),
      },
    ])
    expect(ofType(events, 'elicitation.answer')).toMatchObject([
      { path: `${call}/elicit/0`, action: 'accept', content: { name: 'Grace', seats: 2, window: true } },
    ])

    const declining = scriptedModel([{ toolCalls: [book] }, { text: 'not booked' }])
    await run(agentWith(declining, mcp.tools), 'Book it', { elicit: () => ({ action: 'decline' }) })
    expect(toolMessages(declining.requests[1])[0]!.content).toBe('booking Lisbon: decline null')
  })

  it('sends the server an error for content that does not fit the form, and records why', async () => {
    const mcp = await connect()
    const model = scriptedModel([{ toolCalls: [book] }, { text: 'no' }])
    const { events } = await collect(
      stream(agentWith(model, mcp.tools), 'Book it', {
        elicit: () => ({ action: 'accept', content: { name: 'Ada', seats: 0 } }),
      }),
    )
    const [answer] = ofType(events, 'elicitation.answer')
    expect(answer?.error).toMatchObject({
      code: 'MCP_ELICITATION',
      message: expect.stringContaining('at seats'),
    })
    const reply = toolMessages(model.requests[1])[0]!
    expect(reply.isError).toBe(true)
    expect(reply.content).toContain('does not fit the form')
  })

  it('pauses the run without elicit; a resume with the answer runs the call again, and it replays with the server gone', async () => {
    const record = join(dir, 'paused.jsonl')
    const mcp = await mcpTools(STDIO)
    try {
      const paused = await run(agentWith(scriptedModel([{ toolCalls: [book] }]), mcp.tools), 'Book it', {
        record,
      })
      expect([paused.status, paused.stopReason]).toEqual(['awaiting_approval', 'needsInput'])
      const call = readTranscript(record).events.find((e) => e.type === 'tool.call')!.path
      expect(paused.pending).toEqual([
        {
          path: call,
          callId: call.split('/').at(-1),
          tool: 'book',
          args: { city: 'Lisbon' },
          elicitation: expect.objectContaining({
            path: `${call}/elicit/0`,
            message: 'Who travels to Lisbon?',
          }),
        },
      ])

      const answering = scriptedModel([{ text: 'Booked for Ada.' }])
      const asked: string[] = []
      const resumed = await resume(record, agentWith(answering, mcp.tools), {
        elicit: (request) => {
          asked.push(request.path)
          return { action: 'accept', content: { name: 'Ada', seats: 3 } }
        },
      })
      expect([resumed.status, resumed.output]).toEqual(['done', 'Booked for Ada.'])
      expect(asked).toEqual([`${call}/elicit/0`])
      expect(toolMessages(answering.requests[0])[0]!.content).toBe(
        'booking Lisbon: accept {"name":"Ada","seats":3,"window":true}',
      )
    } finally {
      await mcp.close()
    }
    // The server is gone and nobody answers: the recording does.
    const again = await replay(record, agentWith(scriptedModel([]), mcp.tools))
    expect([again.status, again.output, again.divergences, again.live]).toEqual([
      'done',
      'Booked for Ada.',
      [],
      { model: 0, tool: 0 },
    ])
  })

  it('routes each question to its own call when two calls ask at once (streamable HTTP)', async () => {
    const http = await startAskingHttp()
    try {
      const mcp = await connect({}, { url: http.url })
      const model = scriptedModel([
        { toolCalls: [book, { name: 'book', args: { city: 'Porto' } }] },
        { text: 'both booked' },
      ])
      const result = await run(agentWith(model, mcp.tools), 'Book both', {
        elicit: async (request) => {
          // The first question waits until the second came: both calls are in flight.
          await new Promise((resolve) => setTimeout(resolve, 50))
          return { action: 'accept', content: { name: request.message.includes('Porto') ? 'Pia' : 'Lu' } }
        },
      })
      expect(result.status).toBe('done')
      expect(toolMessages(model.requests[1]).map((m) => m.content)).toEqual([
        'booking Lisbon: accept {"name":"Lu","seats":2,"window":true}',
        'booking Porto: accept {"name":"Pia","seats":2,"window":true}',
      ])
    } finally {
      await http.close()
    }
  })
})

describe('sampling', () => {
  const PRICES: PriceTable = {
    'scripted:model': { input: 1, output: 2 },
    'scripted:sampler': { input: 10, output: 20 },
  }
  const summarize = { name: 'summarize', args: { text: 'Lisbon has trams, tiles and fado.' } }
  const sampler = () =>
    scriptedModel([{ text: 'Trams, tiles and fado.', usage: { inputTokens: 40, outputTokens: 8 } }], {
      id: 'scripted:sampler',
    })

  it('is off unless a model is given, and the capabilities say so', async () => {
    const plain = await connect()
    const declared = JSON.parse(
      String(await plain.tools.find((t) => t.name === 'capabilities')!.run({}, toolContext())),
    )
    expect(declared).toEqual({ elicitation: { form: { applyDefaults: true } } })
    const all = await connect({ sampling: { model: sampler() }, roots: [dir], elicitation: false })
    const declaredAll = JSON.parse(
      String(await all.tools.find((t) => t.name === 'capabilities')!.run({}, toolContext())),
    )
    expect(declaredAll).toEqual({ sampling: {}, roots: { listChanged: true } })
  })

  it('is answered by the given model on the calling agent’s budget, and recorded under the tool call', async () => {
    const model = sampler()
    const mcp = await connect({ sampling: { model, maxTokens: 64 } })
    const agentModel = scriptedModel([
      { toolCalls: [summarize], usage: { inputTokens: 100, outputTokens: 10 } },
      { text: 'done', usage: { inputTokens: 120, outputTokens: 2 } },
    ])
    const { events, result } = await collect(
      stream(agentWith(agentModel, mcp.tools), 'Summarise', { prices: PRICES }),
    )
    expect(result.status).toBe('done')
    expect(toolMessages(agentModel.requests[1])[0]!.content).toBe(
      'summary by scripted:sampler (endTurn): Trams, tiles and fado.',
    )
    expect(model.requests).toMatchObject([
      {
        messages: [
          { role: 'system', content: 'Answer in five words.' },
          { role: 'user', content: 'Summarise: Lisbon has trams, tiles and fado.' },
        ],
        tools: [],
        maxTokens: 64,
      },
    ])
    // The sampling call counts as a model call of the agent, priced as the sampler's.
    expect(result.usage).toMatchObject({ inputTokens: 260, outputTokens: 20, steps: 3 })
    const cost = (100 * 1 + 10 * 2 + 120 * 1 + 2 * 2 + 40 * 10 + 8 * 20) / 1e6
    expect(result.usage.costUsd).toBeCloseTo(cost, 12)
    const call = firstCall(events)
    expect(ofType(events, 'sampling.request')).toMatchObject([
      { path: `${call}/sample/0`, server: 'asking', model: 'scripted:sampler', maxTokens: 64 },
    ])
    expect(ofType(events, 'model.response').map((e) => e.path)).toEqual([
      'root/1/model',
      `${call}/sample/0/model`,
      'root/2/model',
    ])
  })

  it('is charged to the sub-agent whose call caused it, and to its parent', async () => {
    const mcp = await connect({ sampling: { model: sampler() } })
    const researcher = defineAgent({
      name: 'researcher',
      description: 'Summarises.',
      instructions: 'Use the tools.',
      model: scriptedModel([{ toolCalls: [summarize] }, { text: 'summed up' }], {
        id: 'scripted:researcher',
      }),
      tools: mcp.tools,
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Delegate.',
      model: scriptedModel([
        { toolCalls: [{ name: 'delegate_researcher', args: { task: 'Sum up' } }] },
        { text: 'ok' },
      ]),
      agents: [researcher],
    })
    const { events, result } = await collect(stream(lead, 'Go'))
    expect(result.status).toBe('done')
    const sub = 'root/1/agent:researcher#0'
    const [sampled] = ofType(events, 'sampling.request')
    expect(sampled!.path).toMatch(new RegExp(`^${sub}/1/tool/[^/]+/sample/0$`))
    const subEnd = ofType(events, 'agent.end').find((e) => e.path === sub)!
    // Its two steps and the sampling call; the lead's two steps on top.
    expect(subEnd.usage).toMatchObject({ steps: 3, inputTokens: expect.any(Number) })
    expect(subEnd.usage.inputTokens).toBeGreaterThanOrEqual(40)
    expect(result.usage.steps).toBe(5)
  })

  it('is refused when the budget has no room: the server gets an error and the run stops at the limit', async () => {
    const model = sampler()
    const mcp = await connect({ sampling: { model } })
    const agentModel = scriptedModel([{ toolCalls: [summarize] }, { text: 'never' }])
    const { events, result } = await collect(
      stream(agentWith(agentModel, mcp.tools), 'Summarise', { budget: { maxSteps: 1 } }),
    )
    expect([result.status, result.stopReason]).toEqual(['budget_exceeded', 'maxSteps'])
    expect(model.requests).toHaveLength(0)
    const call = firstCall(events)
    expect(ofType(events, 'budget.exceeded')[0]).toMatchObject({
      path: `${call}/sample/0/model`,
      limit: 'maxSteps',
    })
    const [result1] = ofType(events, 'tool.result')
    expect(result1).toMatchObject({ isError: true, content: expect.stringContaining('maxSteps reached') })
  })
})

describe('a replay of a run that elicited and sampled', () => {
  it('needs no server and no answer: the recording answers both, charges the sampling again and diverges nowhere', async () => {
    const record = join(dir, 'trip.jsonl')
    const again = join(dir, 'trip-replayed.jsonl')
    const PRICES: PriceTable = { 'scripted:sampler': { input: 10, output: 20 } }
    const sampling = scriptedModel(
      [{ text: 'Tram 28, then fado.', usage: { inputTokens: 30, outputTokens: 6 } }],
      {
        id: 'scripted:sampler',
      },
    )
    const mcp = await mcpTools(STDIO, { sampling: { model: sampling } })
    const agent = agentWith(
      scriptedModel([{ toolCalls: [{ name: 'plan_trip', args: { city: 'Lisbon' } }] }, { text: 'Planned.' }]),
      mcp.tools,
    )
    const original = await run(agent, 'Plan a day', {
      record,
      prices: PRICES,
      elicit: () => ({ action: 'accept', content: { name: 'Ada' } }),
    })
    await mcp.close()
    expect(original.status).toBe('done')

    const replayed = await replay(record, agent, { record: again })
    expect([replayed.status, replayed.output, replayed.divergences, replayed.live]).toEqual([
      'done',
      'Planned.',
      [],
      { model: 0, tool: 0 },
    ])
    const { wallMs: _a, ...usage } = original.usage
    const { wallMs: _b, ...replayedUsage } = replayed.usage
    expect(replayedUsage).toEqual(usage)
    expect(usage.costUsd).toBeGreaterThan(0)
    const asked = (path: string) =>
      readTranscript(path)
        .events.filter((e) => /\/(elicit|sample)\//.test(e.path))
        // Times are the replay's own.
        .map(({ seq: _s, t: _t, ...e }) => ('durationMs' in e ? { ...e, durationMs: 0 } : e))
    expect(asked(again)).toEqual(asked(record))
    expect(asked(record).map((e) => e.type)).toEqual([
      'sampling.request',
      'model.request',
      'model.response',
      'elicitation.request',
      'elicitation.answer',
    ])
  })
})

describe('options', () => {
  it.each([
    [{ sampling: { model: 'nope' } }, 'sampling.model'],
    [{ sampling: { model: 'openai:gpt-4.1-mini', maxTokens: 0 } }, 'sampling.maxTokens'],
    [{ roots: ['https://example.com/x'] }, 'roots'],
    [{ elicitation: 'yes' }, 'elicitation'],
  ])('refuses %j before starting anything, naming the field', async (options, field) => {
    const error = await mcpTools(STDIO, options as McpToolsOptions).then(
      () => undefined,
      (e: unknown) => e as { code?: string; details?: { field?: string } },
    )
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', details: { field } })
  })
})

describe('roots', () => {
  it('lists the directories given, as file:// URIs, and tells the server when they change', async () => {
    const mcp = await connect({ roots: [dir, 'file:///srv/shared'] })
    const roots = mcp.tools.find((t) => t.name === 'roots')!
    expect(JSON.parse(String(await roots.run({}, toolContext())))).toEqual({
      roots: [pathToFileURL(dir).href, 'file:///srv/shared'],
      changed: 0,
    })
    await mcp.setRoots([dir])
    expect(JSON.parse(String(await roots.run({}, toolContext())))).toEqual({
      roots: [pathToFileURL(dir).href],
      changed: 1,
    })
  })
})

describe('a tool list that changes', () => {
  it('reaches the agent from its next step, and the run replays with the server gone', async () => {
    const record = join(dir, 'changed.jsonl')
    const mcp = await mcpTools(STDIO)
    const model = scriptedModel([
      { toolCalls: [{ name: 'add_tool', args: {} }] },
      { toolCalls: [{ name: 'extra', args: {} }] },
      { text: 'done' },
    ])
    const agent = agentWith(model, [mcp])
    const { events, result } = await collect(stream(agent, 'Grow', { record }))
    await mcp.close()
    expect(result.status).toBe('done')
    const offered = model.requests.map((request) => request.tools.map((tool) => tool.name).includes('extra'))
    expect(offered).toEqual([false, true, true])
    expect(toolMessages(model.requests[2]).at(-1)!.content).toBe('extra ran')
    expect(ofType(events, 'tools.change').map((e) => e.path)).toEqual(['root/1/tools', 'root/2/tools'])
    expect(mcp.tools.map((tool) => tool.name)).toContain('extra')

    // The set has `extra` now; the replay offers each step what the recording says it offered.
    const replayed = await replay(record, agent)
    expect([replayed.status, replayed.divergences]).toEqual(['done', []])
  })
})
