/**
 * End to end, per provider wire format: a lead agent delegates to two sub-agents in one
 * response (two parallel calls), each sub-agent calls its own tool once and answers (the
 * analyst with JSON for its output schema), and the lead answers with both results. The model
 * server is msw speaking each provider's real wire format; the models come from the public API
 * (model strings through the environment, or the `openaiResponses` factory).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  type BatonEvent,
  DEFAULT_PRICES,
  defineAgent,
  defineTool,
  findPrice,
  type Model,
  type RunResult,
  readTranscript,
  run,
  stream,
} from '../../src/index.js'
import { openaiResponses } from '../../src/providers/index.js'
import { collect, ofType, recordedOf, streamedText } from '../helpers.js'
import {
  BASE_URL as ANTHROPIC_URL,
  errorResponse as anthropicError,
  messagesHandler,
} from './wire/anthropic.js'
import {
  type AgentName,
  ANALYST_BRIEF,
  ANALYST_INSTRUCTIONS,
  anthropicAnswer,
  anthropicView,
  BRIEFS,
  chatAnswer,
  chatView,
  finalAnswer,
  INSTRUCTIONS,
  LEAD_INSTRUCTIONS,
  LOOKUP_FACT,
  type Planned,
  RESEARCH_BRIEF,
  RESEARCHER_INSTRUCTIONS,
  researchAnswer,
  responsesAnswer,
  responsesView,
  Scenario,
  type SubAgent,
  TASK,
  type Tokens,
  type WireView,
} from './wire/e2e.js'
import { chatHandler, OLLAMA_URL, OPENAI_URL, errorResponse as openaiError } from './wire/openai-chat.js'
import {
  apiError,
  type Captured,
  BASE_URL as RESPONSES_URL,
  responsesHandler,
} from './wire/openai-responses.js'

const OPENAI_KEY = 'sk-proj-E2EopenaiKEY-4c1f9a8b7e6d5c4b3a2f'
const COMPATIBLE_KEY = 'vllm-e2e-token-5b4a39281706f5e4d3c2'
const ANTHROPIC_KEY = 'sk-ant-api03-E2EanthropicKEY-7d6c5b4a3f2e'
const RESPONSES_KEY = 'sk-proj-E2EresponsesKEY-0a9b8c7d6e5f4a3b'

type Handler = 'openai-chat' | 'compatible-chat' | 'anthropic' | 'responses'

let scenario = new Scenario('unset_')
/** Requests no provider handler took. */
const unhandled: string[] = []
/** Which handler took each request. */
const hits: Handler[] = []

async function answer<R>(
  handler: Handler,
  view: WireView,
  raw: string,
  headers: Headers,
  encode: (planned: Planned) => R,
  refuse: (problem: string) => Response,
): Promise<R | Response> {
  hits.push(handler)
  const planned = await scenario.respond(view, raw, headers)
  return 'problem' in planned ? refuse(planned.problem) : encode(planned)
}

const responsesLog: Captured[] = []
const server = setupServer(
  chatHandler(OPENAI_URL, (body, request) =>
    answer('openai-chat', chatView(body), JSON.stringify(body), request.headers, chatAnswer, (problem) =>
      openaiError(400, problem),
    ),
  ),
  chatHandler(OLLAMA_URL, (body, request) =>
    answer('compatible-chat', chatView(body), JSON.stringify(body), request.headers, chatAnswer, (problem) =>
      openaiError(400, problem),
    ),
  ),
  messagesHandler(ANTHROPIC_KEY, ({ body, raw, headers }) =>
    answer('anthropic', anthropicView(body), raw, headers, anthropicAnswer, (problem) =>
      anthropicError(400, 'invalid_request_error', problem),
    ),
  ),
  responsesHandler((body, n) => {
    const { raw, headers } = responsesLog[n]!
    return answer('responses', responsesView(body), raw, headers, responsesAnswer, (problem) =>
      apiError(400, problem),
    )
  }, responsesLog),
  // Anything else (a model string that went to the wrong place, say) is refused and noted.
  http.all('*', ({ request }) => {
    unhandled.push(`${request.method} ${request.url}`)
    return HttpResponse.json({ error: { message: 'no such route' } }, { status: 404 })
  }),
)

const ENV_NAMES = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY']
const envBefore = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]))

let dir: string
beforeAll(() => {
  server.listen({ onUnhandledRequest: 'error' })
  dir = mkdtempSync(join(tmpdir(), 'baton-e2e-'))
})
afterAll(() => {
  server.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Case {
  name: string
  /** The agents' model: a model string resolved through the environment, or a factory's model. */
  model: () => Model | string
  /** The id the run reports and prices by. */
  modelId: string
  env: Record<string, string>
  handler: Handler
  /** The style of tool call ids this provider uses. */
  idPrefix: string
  /** Secrets the run knows; none may reach the transcript. */
  secrets: string[]
  expectAuth(headers: Headers): void
}

const CASES: Case[] = [
  {
    name: 'OpenAI Chat Completions (openai:gpt-4o)',
    model: () => 'openai:gpt-4o',
    modelId: 'openai:gpt-4o',
    env: {
      OPENAI_BASE_URL: OPENAI_URL,
      OPENAI_API_KEY: OPENAI_KEY,
      ANTHROPIC_BASE_URL: '',
      ANTHROPIC_API_KEY: '',
    },
    handler: 'openai-chat',
    idPrefix: 'call_',
    secrets: [OPENAI_KEY],
    expectAuth: (headers) => expect(headers.get('authorization')).toBe(`Bearer ${OPENAI_KEY}`),
  },
  {
    name: 'Anthropic Messages (anthropic:claude-haiku-4-5)',
    model: () => 'anthropic:claude-haiku-4-5',
    modelId: 'anthropic:claude-haiku-4-5',
    env: {
      ANTHROPIC_BASE_URL: ANTHROPIC_URL,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      OPENAI_BASE_URL: '',
      OPENAI_API_KEY: '',
    },
    handler: 'anthropic',
    idPrefix: 'toolu_01',
    secrets: [ANTHROPIC_KEY],
    // The SDK sends the key as a bearer token; the API also takes it as `x-api-key`.
    expectAuth: (headers) =>
      expect(headers.get('x-api-key') ?? headers.get('authorization')?.replace(/^Bearer\s+/i, '')).toBe(
        ANTHROPIC_KEY,
      ),
  },
  {
    name: 'OpenAI-compatible server (compatible:llama3.1)',
    model: () => 'compatible:llama3.1',
    modelId: 'compatible:llama3.1',
    env: {
      OPENAI_BASE_URL: OLLAMA_URL,
      OPENAI_API_KEY: COMPATIBLE_KEY,
      ANTHROPIC_BASE_URL: '',
      ANTHROPIC_API_KEY: '',
    },
    handler: 'compatible-chat',
    idPrefix: 'call_',
    secrets: [COMPATIBLE_KEY],
    expectAuth: (headers) => expect(headers.get('authorization')).toBe(`Bearer ${COMPATIBLE_KEY}`),
  },
  {
    name: "OpenAI Responses (openaiResponses('gpt-4o'))",
    model: () => openaiResponses('gpt-4o', { baseURL: RESPONSES_URL, apiKey: RESPONSES_KEY }),
    modelId: 'openai:gpt-4o',
    env: { OPENAI_BASE_URL: '', OPENAI_API_KEY: '', ANTHROPIC_BASE_URL: '', ANTHROPIC_API_KEY: '' },
    handler: 'responses',
    idPrefix: 'call_',
    secrets: [RESPONSES_KEY],
    expectAuth: (headers) => expect(headers.get('authorization')).toBe(`Bearer ${RESPONSES_KEY}`),
  },
]

/** What the tools were called with, and from which agent. */
interface ToolRun {
  tool: string
  input: unknown
  path: string
}

function team(c: Case, toolRuns: ToolRun[]) {
  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks a fact up in the field handbook',
    input: z.object({ topic: z.string() }),
    run: (input, ctx) => {
      toolRuns.push({ tool: 'lookup', input, path: ctx.path })
      return LOOKUP_FACT
    },
  })
  const compute = defineTool({
    name: 'compute',
    description: 'Converts degrees Celsius to Fahrenheit',
    input: z.object({ celsius: z.number() }),
    run: (input, ctx) => {
      toolRuns.push({ tool: 'compute', input, path: ctx.path })
      return { fahrenheit: (input.celsius * 9) / 5 + 32 }
    },
  })
  const researcher = defineAgent({
    name: 'researcher',
    description: 'Finds facts in the field handbook',
    instructions: RESEARCHER_INSTRUCTIONS,
    model: c.model(),
    tools: [lookup],
  })
  const analyst = defineAgent({
    name: 'analyst',
    description: 'Does arithmetic and answers with JSON',
    instructions: ANALYST_INSTRUCTIONS,
    model: c.model(),
    tools: [compute],
    output: z.object({ celsius: z.number(), fahrenheit: z.number() }),
  })
  return defineAgent({
    name: 'lead',
    instructions: LEAD_INSTRUCTIONS,
    model: c.model(),
    agents: [researcher, analyst],
  })
}

interface Outcome {
  result: RunResult
  scenario: Scenario
  hits: Handler[]
  toolRuns: ToolRun[]
  /** The events `stream()` yielded (the stream variant only). */
  events?: BatonEvent[]
}

let runs = 0
async function play(c: Case, mode: 'run' | 'stream'): Promise<Outcome> {
  scenario = new Scenario(c.idPrefix)
  hits.length = 0
  responsesLog.length = 0
  const toolRuns: ToolRun[] = []
  const lead = team(c, toolRuns)
  const record = join(dir, `run-${++runs}.jsonl`)
  if (mode === 'run') {
    const result = await run(lead, TASK, { record })
    return { result, scenario, hits: hits.slice(), toolRuns }
  }
  const { events, result } = await collect(stream(lead, TASK, { record }))
  return { result, scenario, hits: hits.slice(), toolRuns, events }
}

const SUBS: SubAgent[] = ['researcher', 'analyst']
const TOOL_OF: Record<SubAgent, string> = { researcher: 'lookup', analyst: 'compute' }
const SUB_PATH: Record<SubAgent, string> = {
  researcher: 'root/1/agent:researcher#0',
  analyst: 'root/1/agent:analyst#0',
}
const ANALYST_OUTPUT = { celsius: 100, fahrenheit: 212 }
const FINAL = finalAnswer(researchAnswer(LOOKUP_FACT), 212)

function exchange(o: Outcome, agent: AgentName, turn: number) {
  const found = o.scenario.request(agent, turn)
  if (!found)
    throw new Error(`no request from ${agent} at turn ${turn}; timeline: ${o.scenario.timeline.join(', ')}`)
  return found
}

// ---- the checks, shared by the run() and stream() variants

function expectDone(o: Outcome): void {
  expect(o.scenario.problems()).toEqual([])
  expect(unhandled).toEqual([])
  expect(o.result.error).toBeUndefined()
  expect(o.result.status).toBe('done')
  expect(o.result.output).toBe(FINAL)
  // Three agents, two calls each, every one answered.
  expect(o.scenario.exchanges.map((e) => `${e.agent}:${e.turn}`).sort()).toEqual([
    'analyst:0',
    'analyst:1',
    'lead:0',
    'lead:1',
    'researcher:0',
    'researcher:1',
  ])
  // Each sub-agent called its own tool once, from its own path.
  expect(o.toolRuns.sort((a, b) => a.tool.localeCompare(b.tool))).toEqual([
    { tool: 'compute', input: { celsius: 100 }, path: SUB_PATH.analyst },
    { tool: 'lookup', input: { topic: 'water' }, path: SUB_PATH.researcher },
  ])
}

function expectRouted(c: Case, o: Outcome): void {
  expect(o.hits).toEqual(Array(6).fill(c.handler))
  for (const e of o.scenario.exchanges) {
    c.expectAuth(e.headers)
    // run() calls generate: plain JSON requests and answers. stream() streams every call of
    // the tree, the sub-agents' too (server-sent events).
    expect(e.view.stream).toBe(o.events !== undefined)
  }
}

function expectConcurrent(o: Outcome): void {
  const { timeline } = o.scenario
  expect(o.scenario.gateMet).toBe(true)
  const at = (entry: string) => {
    const i = timeline.indexOf(entry)
    expect(i, `${entry} in ${timeline.join(', ')}`).toBeGreaterThanOrEqual(0)
    return i
  }
  const lastArrival = Math.max(at('request:researcher:0'), at('request:analyst:0'))
  const firstAnswer = Math.min(at('answer:researcher:0'), at('answer:analyst:0'))
  expect(lastArrival).toBeLessThan(firstAnswer)
  // Both delegations came from one lead response, and the lead went on only after both finished.
  expect(at('answer:lead:0')).toBeLessThan(Math.min(at('request:researcher:0'), at('request:analyst:0')))
  expect(at('request:lead:1')).toBeGreaterThan(Math.max(at('answer:researcher:1'), at('answer:analyst:1')))
}

function expectScoped(o: Outcome): void {
  const lead = exchange(o, 'lead', 0).view
  expect(lead.system).toBe(LEAD_INSTRUCTIONS)
  expect(lead.userTexts).toEqual([TASK])
  expect(lead.toolNames.slice().sort()).toEqual(['delegate_analyst', 'delegate_researcher'])

  for (const sub of SUBS) {
    const other = sub === 'researcher' ? 'analyst' : 'researcher'
    for (const turn of [0, 1]) {
      const { view, raw } = exchange(o, sub, turn)
      expect(view.system.startsWith(INSTRUCTIONS[sub]), `${sub} system prompt: ${view.system}`).toBe(true)
      expect(view.toolNames).toEqual([TOOL_OF[sub]])
      // Nothing of the lead's conversation, nor of the other sub-agent's.
      for (const foreign of [TASK, LEAD_INSTRUCTIONS, INSTRUCTIONS[other], BRIEFS[other], 'delegate_'])
        expect(raw.includes(foreign), `${sub} request ${turn} contains ${JSON.stringify(foreign)}`).toBe(
          false,
        )
    }
    const first = exchange(o, sub, 0).view
    expect(first.userTexts).toEqual([BRIEFS[sub]])
    expect(first.items).toBe(1)
    expect(first.toolResults).toEqual([])
    expect(first.wantsJson).toBe(sub === 'analyst')
  }
}

function expectLinked(o: Outcome): void {
  const id = (tag: Parameters<Scenario['id']>[0]) => o.scenario.id(tag)
  const researcher = exchange(o, 'researcher', 1).view
  expect(researcher.calls).toEqual([{ id: id('lookup'), name: 'lookup' }])
  expect(researcher.toolResults).toEqual([{ id: id('lookup'), content: LOOKUP_FACT }])

  const analyst = exchange(o, 'analyst', 1).view
  expect(analyst.calls).toEqual([{ id: id('compute'), name: 'compute' }])
  expect(analyst.toolResults).toEqual([{ id: id('compute'), content: JSON.stringify({ fahrenheit: 212 }) }])

  const lead = exchange(o, 'lead', 1).view
  expect(lead.calls).toEqual([
    { id: id('delegateResearcher'), name: 'delegate_researcher' },
    { id: id('delegateAnalyst'), name: 'delegate_analyst' },
  ])
  expect(lead.toolResults).toEqual([
    { id: id('delegateResearcher'), content: researchAnswer(LOOKUP_FACT) },
    { id: id('delegateAnalyst'), content: JSON.stringify(ANALYST_OUTPUT) },
  ])
}

function expectMemory(o: Outcome): void {
  const entries = o.result.memory.map(({ key, value, by }) => ({ key, value, by }))
  expect(entries.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
    { key: 'agents/analyst/0', value: ANALYST_OUTPUT, by: SUB_PATH.analyst },
    { key: 'agents/researcher/0', value: researchAnswer(LOOKUP_FACT), by: SUB_PATH.researcher },
  ])
}

function expectUsage(c: Case, o: Outcome): void {
  const served = o.scenario.exchanges.map((e) => e.answer?.usage).filter((u): u is Tokens => u !== undefined)
  expect(served).toHaveLength(6)
  const sum = (pick: (t: Tokens) => number) => served.reduce((total, t) => total + pick(t), 0)
  const { usage } = o.result
  expect(usage.inputTokens).toBe(sum((t) => t.input))
  expect(usage.outputTokens).toBe(sum((t) => t.output))
  expect(usage.cachedInputTokens).toBe(sum((t) => t.cached))
  expect(usage.steps).toBe(6)
  // Two delegations and one tool call in each sub-agent.
  expect(usage.toolCalls).toBe(4)
  const price = findPrice(c.modelId, DEFAULT_PRICES)
  if (c.modelId.startsWith('compatible:')) {
    expect(price).toBeUndefined()
    expect(usage.costUsd).toBe(0)
    return
  }
  expect(price).toBeDefined()
  const expected =
    sum(
      (t) =>
        (t.input - t.cached) * price!.input +
        t.cached * (price!.cachedInput ?? price!.input) +
        t.output * price!.output,
    ) / 1e6
  expect(expected).toBeGreaterThan(0)
  expect(usage.costUsd).toBeCloseTo(expected, 12)
}

function expectTranscript(c: Case, o: Outcome): BatonEvent[] {
  const path = o.result.transcript
  expect(path).toBeDefined()
  const text = readFileSync(path!, 'utf8')
  for (const secret of c.secrets)
    expect(text.includes(secret), 'the API key is in the transcript').toBe(false)

  const transcript = readTranscript(path!)
  expect(transcript.truncated).toBe(false)
  expect(transcript.header.task).toBe(TASK)
  expect(transcript.header.agent.model).toBe(c.modelId)
  expect(transcript.header.agent.agents.map((a) => a.name)).toEqual(['researcher', 'analyst'])
  const { events } = transcript

  const modelKeys = [
    'root/1/model',
    'root/2/model',
    `${SUB_PATH.researcher}/1/model`,
    `${SUB_PATH.researcher}/2/model`,
    `${SUB_PATH.analyst}/1/model`,
    `${SUB_PATH.analyst}/2/model`,
  ].sort()
  const requests = ofType(events, 'model.request')
  expect(requests.map((e) => e.path).sort()).toEqual(modelKeys)
  expect(
    ofType(events, 'model.response')
      .map((e) => e.path)
      .sort(),
  ).toEqual(modelKeys)
  for (const request of requests) {
    expect(request.model).toBe(c.modelId)
    expect(request.hash).toMatch(/^[0-9a-f]{32}$/)
  }
  expect(new Set(requests.map((e) => e.hash)).size).toBe(6)

  // The sub-agents' first requests, as recorded: their own instructions and brief only.
  for (const sub of SUBS) {
    const first = requests.find((e) => e.path === `${SUB_PATH[sub]}/1/model`)!
    expect(first.messages).toEqual([
      { role: 'system', content: INSTRUCTIONS[sub] },
      { role: 'user', content: BRIEFS[sub] },
    ])
  }

  const id = (tag: Parameters<Scenario['id']>[0]) => o.scenario.id(tag)
  expect(
    ofType(events, 'tool.call')
      .map((e) => e.path)
      .sort(),
  ).toEqual(
    [
      `root/1/tool/${id('delegateResearcher')}`,
      `root/1/tool/${id('delegateAnalyst')}`,
      `${SUB_PATH.researcher}/1/tool/${id('lookup')}`,
      `${SUB_PATH.analyst}/1/tool/${id('compute')}`,
    ].sort(),
  )
  const writes = ofType(events, 'memory.write').map(({ key, by }) => ({ key, by }))
  expect(writes.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
    { key: 'agents/analyst/0', by: SUB_PATH.analyst },
    { key: 'agents/researcher/0', by: SUB_PATH.researcher },
  ])
  const starts = ofType(events, 'agent.start').map(({ path, agent, depth, task }) => ({
    path,
    agent,
    depth,
    task,
  }))
  expect(starts).toEqual(
    expect.arrayContaining([
      { path: SUB_PATH.researcher, agent: 'researcher', depth: 1, task: RESEARCH_BRIEF },
      { path: SUB_PATH.analyst, agent: 'analyst', depth: 1, task: ANALYST_BRIEF },
    ]),
  )
  const end = events.at(-1)
  expect(end?.type).toBe('run.end')
  expect(end?.type === 'run.end' && end.status).toBe('done')
  return events
}

describe.each(CASES)('$name: a supervisor with two sub-agents', (c) => {
  let o: Outcome
  beforeAll(async () => {
    for (const [name, value] of Object.entries(c.env)) vi.stubEnv(name, value)
    o = await play(c, 'run')
  })
  afterAll(() => {
    vi.unstubAllEnvs()
  })

  it("finishes done with the lead's answer built from both sub-agents' results", () => {
    expectDone(o)
  })

  it('sends every call to this provider with its key, as plain JSON requests', () => {
    expectRouted(c, o)
  })

  it('runs both delegations of one response concurrently', () => {
    expectConcurrent(o)
  })

  it("gives each sub-agent only its own instructions, brief and tool on the wire, none of the lead's task", () => {
    expectScoped(o)
  })

  it('links every tool result to its call by id in the next request', () => {
    expectLinked(o)
  })

  it('writes the sub-agents’ outputs to memory with their paths as provenance', () => {
    expectMemory(o)
  })

  it("sums every call's wire usage, and prices it with the shipped table", () => {
    expectUsage(c, o)
  })

  it('records a transcript with the sub-agents’ step keys, a request hash per call, and no API key', () => {
    expectTranscript(c, o)
  })

  it('runs the same way under stream(), whose events are the ones recorded', async () => {
    const streamed = await play(c, 'stream')
    expectDone(streamed)
    expectRouted(c, streamed)
    expectConcurrent(streamed)
    expectScoped(streamed)
    expectLinked(streamed)
    expectMemory(streamed)
    expectUsage(c, streamed)
    const recorded = expectTranscript(c, streamed)
    const brief = (e: BatonEvent) => ({ seq: e.seq, type: e.type, path: e.path })
    expect(recordedOf(streamed.events!).map(brief)).toEqual(recorded.map(brief))
    // Every call's answer came as it was written, for each agent of the tree, from the wire's
    // own stream: its text deltas joined are its response's text.
    const texts = streamedText(streamed.events!)
    const responses = ofType(streamed.events!, 'model.response')
    expect(responses).toHaveLength(6)
    for (const response of responses) expect(texts.get(response.path) ?? '').toBe(response.message.content)
    const deltaPaths = new Set(
      ofType(streamed.events!, 'model.delta').map((e) => e.path.split('/').slice(0, -2).join('/')),
    )
    expect([...deltaPaths].sort()).toEqual(['root', SUB_PATH.analyst, SUB_PATH.researcher].sort())
  })
})

describe('the environment', () => {
  it('is as it was before the providers ran', () => {
    expect(Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]))).toEqual(envBefore)
  })
})
