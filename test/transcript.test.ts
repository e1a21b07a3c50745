/**
 * Transcripts as a recorded run writes them: the header, one line per event in stream order,
 * only new messages per request (O(n) growth), the request hash chain, and redaction.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type Agent,
  type BatonEvent,
  defineAgent,
  defineTool,
  type Message,
  type ModelRequestEvent,
  readTranscript,
  run,
  stream,
  TRANSCRIPT_VERSION,
  transcriptResult,
  VERSION,
} from '../src/index.js'
import { hashText } from '../src/loop/hash.js'
import { foldEvents } from '../src/run/index.js'
import { type ScriptEntry, scriptedModel } from '../src/testing/index.js'
import { lineRecord, parseTranscript } from '../src/transcript/index.js'
import { recordedOf } from './helpers.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-transcript-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** The JSON objects of a transcript file, line by line (header first), less their chain fields. */
function lines(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8')
  expect(text.endsWith('\n')).toBe(true)
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      // Every line ends with its place in the chain (docs/transcript.md, "The chain").
      expect(line).toMatch(new RegExp(`,"chain":"${i + 1}\\.[0-9a-f]{64}"}$`))
      return lineRecord(line)
    })
}

const steps = (events: readonly { type?: unknown; path?: unknown }[]) =>
  events.map((e) => `${e.type} ${e.path}`)

const toolConfig = {
  name: 'echo',
  description: 'Echoes a number back',
  input: z.object({ n: z.number() }),
  run: ({ n }: { n: number }) => `echo ${n}`,
}

const echo = defineTool(toolConfig)

/** A lead that calls a tool, delegates to a helper (which calls a tool), then answers. */
function team() {
  const helper = defineAgent({
    name: 'helper',
    description: 'Does sub-tasks',
    instructions: 'You help.',
    model: scriptedModel([{ toolCalls: [{ name: 'echo', args: { n: 100 } }] }, { text: 'helped' }], {
      id: 'scripted:helper',
    }),
    tools: [echo],
  })
  const lead = defineAgent({
    name: 'lead',
    description: 'Leads the work',
    instructions: 'You lead.',
    model: scriptedModel(
      [
        { toolCalls: [{ name: 'echo', args: { n: 1 } }] },
        { toolCalls: [{ name: 'delegate_helper', args: { task: 'the sub-task' } }] },
        { text: 'all done' },
      ],
      { id: 'scripted:lead' },
    ),
    tools: [echo],
    agents: [helper],
    budget: { maxSteps: 20 },
  })
  return lead
}

// The (type, path) of every event of the team's run, in order.
const TEAM_STEPS = [
  'run.start root',
  'agent.start root',
  'model.request root/1/model',
  'model.response root/1/model',
  'tool.call root/1/tool/call_1_0',
  'tool.result root/1/tool/call_1_0',
  'model.request root/2/model',
  'model.response root/2/model',
  'tool.call root/2/tool/call_2_0',
  'agent.start root/2/agent:helper#0',
  'model.request root/2/agent:helper#0/1/model',
  'model.response root/2/agent:helper#0/1/model',
  'tool.call root/2/agent:helper#0/1/tool/call_1_0',
  'tool.result root/2/agent:helper#0/1/tool/call_1_0',
  'model.request root/2/agent:helper#0/2/model',
  'model.response root/2/agent:helper#0/2/model',
  'agent.end root/2/agent:helper#0',
  'memory.write root/2/tool/call_2_0',
  'tool.result root/2/tool/call_2_0',
  'model.request root/3/model',
  'model.response root/3/model',
  'agent.end root',
  'run.end root',
]

const echoParameters = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] }

describe('a recorded run', () => {
  it('writes a header line, then one line per event with contiguous seq, t and a step key', async () => {
    const record = join(dir, 'nested', 'run.jsonl')
    const before = Date.now()
    const result = await run(team(), 'Coordinate the work', { record, budget: { maxToolCalls: 50 } })
    expect(result.status).toBe('done')
    expect(result.transcript).toBe(record)

    const [header, ...events] = lines(record)
    expect(header).toEqual({
      type: 'header',
      version: 1,
      baton: VERSION,
      runId: result.runId,
      startedAt: expect.any(String),
      task: 'Coordinate the work',
      agent: {
        name: 'lead',
        description: 'Leads the work',
        model: 'scripted:lead',
        tools: [{ name: 'echo', description: 'Echoes a number back', parameters: echoParameters }],
        specHash: expect.stringMatching(/^[0-9a-f]{16}$/),
        agents: [
          {
            name: 'helper',
            description: 'Does sub-tasks',
            model: 'scripted:helper',
            tools: [{ name: 'echo', description: 'Echoes a number back', parameters: echoParameters }],
            specHash: expect.stringMatching(/^[0-9a-f]{16}$/),
            agents: [],
          },
        ],
      },
      // The run's limits: the defaults, under the agent's, under the run's own.
      budget: { maxSteps: 20, maxDepth: 5, maxToolCalls: 50 },
    })
    expect(TRANSCRIPT_VERSION).toBe(1)
    const startedAt = Date.parse(header!.startedAt as string)
    expect(new Date(startedAt).toISOString()).toBe(header!.startedAt)
    expect(startedAt).toBeGreaterThanOrEqual(before - 1000)
    expect(startedAt).toBeLessThanOrEqual(Date.now())

    expect(steps(events)).toEqual(TEAM_STEPS)
    events.forEach((event, i) => {
      expect(event.seq).toBe(i)
      expect(Number.isInteger(event.t)).toBe(true)
      expect(event.t as number).toBeGreaterThanOrEqual(0)
      expect(event.t as number).toBeLessThanOrEqual(events.at(-1)!.t as number)
    })
    expect(events.at(-1)!.t as number).toBeGreaterThanOrEqual(result.usage.wallMs)
    expect(events[0]).toMatchObject({ type: 'run.start', runId: result.runId, agent: 'lead' })
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'done', output: 'all done' })

    // Each model request names its model and agent spec; the spec hashes are the header's.
    const requests = events.filter((e) => e.type === 'model.request')
    for (const request of requests) {
      const sub = (request.path as string).includes('agent:helper')
      expect(request.model).toBe(sub ? 'scripted:helper' : 'scripted:lead')
      const tree = header!.agent as { specHash: string; agents: { specHash: string }[] }
      expect(request.specHash).toBe(sub ? tree.agents[0]!.specHash : tree.specHash)
      expect(request.hash).toMatch(/^[0-9a-f]{32}$/)
    }
  })

  it('holds exactly the events stream() yields, in order', async () => {
    const record = join(dir, 'run.jsonl')
    const events = stream(team(), 'Coordinate the work', { record })
    const seen: unknown[] = []
    for await (const event of events) seen.push(JSON.parse(JSON.stringify(event)))
    const result = await events.result
    expect(result.status).toBe('done')
    const transcript = readTranscript(record)
    expect(transcript.truncated).toBe(false)
    // Everything but the deltas: the responses hold all they said.
    const recorded = recordedOf(seen as BatonEvent[])
    expect(recorded.length).toBeLessThan(seen.length)
    expect(transcript.events).toEqual(recorded)
    expect(lines(record).slice(1)).toEqual(recorded)
  })

  it('records the same steps for run() and stream()', async () => {
    const viaRun = join(dir, 'run.jsonl')
    const viaStream = join(dir, 'stream.jsonl')
    await run(team(), 'Coordinate the work', { record: viaRun })
    const events = stream(team(), 'Coordinate the work', { record: viaStream })
    const seen: BatonEvent[] = []
    for await (const event of events) seen.push(event)
    expect(steps(readTranscript(viaRun).events)).toEqual(TEAM_STEPS)
    expect(steps(readTranscript(viaStream).events)).toEqual(TEAM_STEPS)
    expect(steps(recordedOf(seen))).toEqual(TEAM_STEPS)
  })

  it('fails the run with a TRANSCRIPT error naming the path when the file cannot be written', async () => {
    const record = join(dir, 'a-directory')
    mkdirSync(record)
    const result = await run(team(), 'Coordinate the work', { record })
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('TRANSCRIPT')
    expect(result.error?.message).toContain(record)
  })
})

/** An agent that calls `echo` with a fresh argument `turns - 1` times, then answers. */
function counter(turns: number, instructions = 'Count.') {
  const script: ScriptEntry[] = []
  for (let i = 1; i < turns; i++) script.push({ toolCalls: [{ name: 'echo', args: { n: i } }] })
  script.push({ text: 'counted' })
  const model = scriptedModel(script)
  const agent = defineAgent({
    name: 'counter',
    instructions,
    model,
    tools: [echo],
    budget: { maxSteps: 200 },
  })
  return { agent, model }
}

const requestsOf = (path: string) =>
  readTranscript(path).events.filter((e): e is ModelRequestEvent => e.type === 'model.request')

describe('model.request events', () => {
  it('carry only the messages added since the same agent’s previous request', async () => {
    const record = join(dir, 'run.jsonl')
    const { agent, model } = counter(4)
    const result = await run(agent, 'Count to three', { record })
    expect(result.status).toBe('done')
    const requests = requestsOf(record)
    expect(requests.map((r) => r.path)).toEqual([
      'root/1/model',
      'root/2/model',
      'root/3/model',
      'root/4/model',
    ])
    expect(requests[0]!.messages).toEqual([
      { role: 'system', content: 'Count.' },
      { role: 'user', content: 'Count to three' },
    ])
    for (const request of requests.slice(1)) {
      expect(request.messages.map((m) => m.role)).toEqual(['assistant', 'tool'])
    }
    // Replaying the fresh messages in order rebuilds every request the model received.
    const history: Message[] = []
    requests.forEach((request, i) => {
      history.push(...request.messages)
      expect(history).toEqual(JSON.parse(JSON.stringify(model.requests[i]!.messages)))
    })
  })

  it('keep each sub-agent’s history separate', async () => {
    const record = join(dir, 'run.jsonl')
    await run(team(), 'Coordinate the work', { record })
    const requests = requestsOf(record)
    const byAgent = new Map<string, ModelRequestEvent[]>()
    for (const request of requests) {
      const agentPath = request.path.replace(/\/\d+\/model$/, '')
      byAgent.set(agentPath, [...(byAgent.get(agentPath) ?? []), request])
    }
    expect([...byAgent.keys()]).toEqual(['root', 'root/2/agent:helper#0'])
    const [first, second] = byAgent.get('root/2/agent:helper#0')!
    expect(first!.messages).toEqual([
      { role: 'system', content: 'You help.' },
      { role: 'user', content: 'the sub-task' },
    ])
    expect(second!.messages.map((m) => m.role)).toEqual(['assistant', 'tool'])
    const systems = requests.flatMap((r) => r.messages).filter((m) => m.role === 'system')
    expect(systems.map((m) => m.content)).toEqual(['You lead.', 'You help.'])
  })

  it('make the transcript grow linearly with the number of turns, not quadratically', async () => {
    const instructions = `You count. ${'Be careful and precise. '.repeat(20)}`
    const sizes: Record<number, { recorded: number; full: number; longest: number }> = {}
    for (const turns of [25, 50]) {
      const record = join(dir, `turns-${turns}.jsonl`)
      const { agent, model } = counter(turns, instructions)
      const result = await run(agent, 'Count for a while', { record })
      expect(result.status).toBe('done')
      expect(result.usage.steps).toBe(turns)
      const text = readFileSync(record, 'utf8')
      const requestLines = text.split('\n').filter((line) => line.includes('"type":"model.request"'))
      expect(requestLines).toHaveLength(turns)
      // The long instructions are recorded once, not once per turn.
      expect(text.split(instructions).length - 1).toBe(1)
      sizes[turns] = {
        recorded: requestLines.reduce((sum, line) => sum + line.length, 0),
        // What recording the whole history every turn would cost.
        full: model.requests.reduce((sum, request) => sum + JSON.stringify(request.messages).length, 0),
        longest: Math.max(...requestLines.slice(1).map((line) => line.length)),
      }
    }
    const recordedRatio = sizes[50]!.recorded / sizes[25]!.recorded
    expect(recordedRatio).toBeGreaterThan(1.7)
    expect(recordedRatio).toBeLessThan(2.3)
    // The whole-history alternative would roughly quadruple: the test would catch it.
    expect(sizes[50]!.full / sizes[25]!.full).toBeGreaterThan(3.3)
    // A late request line is no longer than an early one (beyond a few more digits).
    expect(sizes[50]!.longest).toBeLessThan(sizes[25]!.longest + 20)
  })
})

describe('the request hash', () => {
  const hashes = async (name: string, make: () => Agent<string>) => {
    const record = join(dir, `${name}.jsonl`)
    const result = await run(make(), 'Coordinate the work', { record })
    expect(result.status).toBe('done')
    return requestsOf(record).map((r) => r.hash)
  }

  it('is the same for two runs with the same inputs, and chained over each agent’s requests', async () => {
    const a = await hashes('a', team)
    const b = await hashes('b', team)
    expect(a).toHaveLength(5)
    expect(new Set(a).size).toBe(5)
    expect(b).toEqual(a)
  })

  it('chains sha256(previous hash, spec hash, new messages) per agent', async () => {
    const record = join(dir, 'run.jsonl')
    await run(team(), 'Coordinate the work', { record })
    const previous = new Map<string, string>()
    for (const request of requestsOf(record)) {
      const agentPath = request.path.replace(/\/\d+\/model$/, '')
      const expected = hashText(
        `${previous.get(agentPath) ?? ''}\n${request.specHash}\n${JSON.stringify(request.messages)}`,
      )
      expect(request.hash).toBe(expected)
      previous.set(agentPath, request.hash)
    }
  })

  it('changes when the instructions, a tool’s description or a tool’s schema change', async () => {
    const base = await hashes('base', () => counter(3).agent)
    const variant = async (name: string, instructions: string, tool: typeof echo) => {
      const script: ScriptEntry[] = [
        { toolCalls: [{ name: 'echo', args: { n: 1 } }] },
        { toolCalls: [{ name: 'echo', args: { n: 2 } }] },
        { text: 'counted' },
      ]
      const agent = defineAgent({
        name: 'counter',
        instructions,
        model: scriptedModel(script),
        tools: [tool],
      })
      return hashes(name, () => agent)
    }
    const same = await variant('same', 'Count.', echo)
    expect(same).toEqual(base)

    const described = defineTool({ ...toolConfig, description: 'Echoes a number back, loudly' })
    const widened = defineTool({
      ...toolConfig,
      input: z.object({ n: z.number(), note: z.string().optional() }),
    })
    const changed = {
      instructions: await variant('instructions', 'Count carefully.', echo),
      description: await variant('description', 'Count.', described),
      schema: await variant('schema', 'Count.', widened),
    }
    for (const [what, list] of Object.entries(changed)) {
      expect(list, what).toHaveLength(base.length)
      list.forEach((hash, i) => {
        expect(hash, `${what}: request ${i + 1}`).not.toBe(base[i])
      })
    }
  })

  it('changes for the lead when a sub-agent’s description changes', async () => {
    const base = await hashes('base', team)
    const renamed = await hashes('renamed', () => {
      const lead = team()
      const helper = defineAgent({
        name: 'helper',
        description: 'Does other sub-tasks',
        instructions: 'You help.',
        model: scriptedModel([{ toolCalls: [{ name: 'echo', args: { n: 100 } }] }, { text: 'helped' }]),
        tools: [echo],
      })
      return defineAgent({
        name: 'lead',
        description: 'Leads the work',
        instructions: 'You lead.',
        model: lead.model,
        tools: [echo],
        agents: [helper],
      })
    })
    // Requests 1, 2 and 5 are the lead's; 3 and 4 the helper's (unchanged).
    expect(renamed[0]).not.toBe(base[0])
    expect(renamed[1]).not.toBe(base[1])
    expect(renamed[4]).not.toBe(base[4])
    expect(renamed.slice(2, 4)).toEqual(base.slice(2, 4))
  })
})

describe('secrets', () => {
  const OPENAI_KEY = 'env-openai-key-4f9a8b7c6d5e'
  const ANTHROPIC_KEY = 'env-anthropic-key-0a1b2c3d4e5f'
  const saved = { openai: process.env.OPENAI_API_KEY, anthropic: process.env.ANTHROPIC_API_KEY }
  beforeEach(() => {
    process.env.OPENAI_API_KEY = OPENAI_KEY
    process.env.ANTHROPIC_API_KEY = ANTHROPIC_KEY
  })
  afterEach(() => {
    if (saved.openai === undefined) delete process.env.OPENAI_API_KEY
    else process.env.OPENAI_API_KEY = saved.openai
    if (saved.anthropic === undefined) delete process.env.ANTHROPIC_API_KEY
    else process.env.ANTHROPIC_API_KEY = saved.anthropic
  })

  /** Runs an agent whose one tool returns `value` (and whose second call throws `thrown`). */
  async function recordSecrets(task: string, value: string, thrown: string, args: object = {}) {
    const received: unknown[] = []
    const leak = defineTool({
      name: 'config',
      description: 'Reads the configuration',
      input: { type: 'object', properties: { key: { type: 'string' } } },
      run: (input) => {
        received.push(input)
        if (received.length > 1) throw new Error(thrown)
        return value
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ name: 'config', args }] },
      { toolCalls: [{ name: 'config', args: {} }] },
      { text: `the key was ${OPENAI_KEY}` },
    ])
    const agent = defineAgent({ name: 'reader', instructions: 'Read the config.', model, tools: [leak] })
    const record = join(dir, 'secrets.jsonl')
    const result = await run(agent, task, { record })
    return { result, received, model, text: readFileSync(record, 'utf8'), record }
  }

  it('are redacted from tasks, model messages, tool arguments, tool results and errors', async () => {
    const secrets = {
      openaiShape: 'sk-proj-Ab3dEf6hIjKlMnOpQrStUvWx',
      anthropicShape: 'sk-ant-api03-Zy9xWv8uTs7rQp6oNm5lKj',
      plainShape: 'sk-0123456789abcdefABCDEF',
      bearer: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      thrownBearer: 'tok_live_9Q8w7E6r5T4y',
    }
    const { result, received, model, text, record } = await recordSecrets(
      `Use key ${secrets.openaiShape} and ${OPENAI_KEY}`,
      `api_key=${secrets.anthropicShape}\nAuthorization: Bearer ${secrets.bearer}\nanthropic=${ANTHROPIC_KEY}`,
      `request failed with header "Authorization: Bearer ${secrets.thrownBearer}"`,
      { key: secrets.plainShape },
    )
    expect(result.status).toBe('done')
    for (const [name, secret] of Object.entries({ ...secrets, OPENAI_KEY, ANTHROPIC_KEY })) {
      expect(text.includes(secret), `${name} leaked into the transcript`).toBe(false)
    }
    expect(text).toContain('sk-[redacted]')
    expect(text).toContain('Bearer [redacted]')
    expect(text).toContain('[redacted]')
    // The file is still a valid transcript, with the run's structure intact.
    const transcript = readTranscript(record)
    expect(transcript.header.task).toBe(`Use key sk-[redacted] and [redacted]`)
    expect(transcript.events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
    // Only the transcript is redacted: the run itself saw the real values.
    expect(received[0]).toEqual({ key: secrets.plainShape })
    expect(JSON.stringify(model.requests.at(-1)!.messages)).toContain(secrets.anthropicShape)
    expect(result.output).toBe(`the key was ${OPENAI_KEY}`)
  })

  it.each(['Bearer', 'bearer', 'BEARER'])(
    'are redacted from "%s <token>" whatever the case',
    async (scheme) => {
      const token = 'Zm9vYmFyYmF6cXV4cXV1eA'
      const { text } = await recordSecrets('Read it', `Authorization: ${scheme} ${token}`, 'failed')
      expect(text.includes(token), `the ${scheme} token leaked`).toBe(false)
    },
  )

  it('are redacted from Authorization headers of other schemes', async () => {
    const basic = Buffer.from('admin:correct-horse-battery').toString('base64')
    const { text } = await recordSecrets(
      'Read it',
      `{"headers":{"Authorization":"Basic ${basic}"}}`,
      'failed',
    )
    expect(text.includes(basic), 'the Basic credentials leaked').toBe(false)
  })
})

describe('recording', () => {
  it('a record path through a file ends the run at once, naming the file in the way', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'a file, not a folder')
    const path = join(dir, 'notes.txt', 'runs', 'x.jsonl')
    const model = scriptedModel([{ text: 'never asked' }])
    const result = await run(defineAgent({ name: 'a', instructions: 'x', model }), 'go', { record: path })
    expect(result.status).toBe('error')
    expect(result.error).toMatchObject({
      code: 'TRANSCRIPT',
      message: `cannot write the transcript to ${path}: ${join(dir, 'notes.txt')} is a file, not a directory`,
    })
    expect(model.requests).toHaveLength(0)
  })

  it('refuses a second run of the process that would write the same file, and frees the path when the first ends', async () => {
    const path = join(dir, 'shared.jsonl')
    const agent = (name: string, text: string) =>
      defineAgent({ name, instructions: 'x', model: scriptedModel([{ text }], { latencyMs: 5 }) })
    const [first, second] = await Promise.all([
      run(agent('first', 'one'), 'go', { record: path }),
      // The same file under another spelling of its path.
      run(agent('second', 'two'), 'go', { record: join(dir, '.', 'shared.jsonl') }),
    ])
    expect(first).toMatchObject({ status: 'done', transcript: path })
    expect(second.status).toBe('error')
    expect(second.error?.code).toBe('TRANSCRIPT')
    expect(second.error?.message).toContain('another run of this process is writing it')
    expect(second.transcript).toBeUndefined()
    // The first run's transcript is whole: nothing of the second is in it.
    expect(readTranscript(path).header.agent.name).toBe('first')
    expect(transcriptResult(readTranscript(path))?.output).toBe('one')
    // Once it has ended, the path is free again.
    expect((await run(agent('third', 'three'), 'go', { record: path })).status).toBe('done')
    expect(readTranscript(path).header.agent.name).toBe('third')
  })

  it('does not change how a run ends', async () => {
    // A memory value JSON cannot represent, written by a tool.
    const make = () => {
      const remember = defineTool({
        name: 'remember',
        description: 'Remembers a big number',
        input: { type: 'object', properties: {} },
        run: (_input, ctx) => {
          ctx.memory.write('big', 10n ** 30n)
          return 'remembered'
        },
      })
      const model = scriptedModel([{ toolCalls: [{ name: 'remember', args: {} }] }, { text: 'ok' }])
      return defineAgent({ name: 'rememberer', instructions: 'Remember.', model, tools: [remember] })
    }
    const unrecorded = await run(make(), 'Remember a big number')
    const record = join(dir, 'big.jsonl')
    const recorded = await run(make(), 'Remember a big number', { record })
    expect(recorded.status).toBe(unrecorded.status)
    expect(recorded.stopReason).toBe(unrecorded.stopReason)
    const transcript = readTranscript(record)
    expect(steps(transcript.events.slice(-2))).toEqual(['agent.end root', 'run.end root'])
  })
})

describe('docs/transcript.md', () => {
  it('has an example that reads as a transcript and folds to the result its run.end says', () => {
    const page = readFileSync(new URL('../docs/transcript.md', import.meta.url), 'utf8')
    const block = /## Example[\s\S]*?```jsonl\n([\s\S]*?)```/.exec(page)?.[1]
    expect(block, 'the page has a jsonl example').toBeDefined()
    // The page breaks its first lines for reading: an indented line goes on the one before.
    const transcript = parseTranscript(block!.replace(/\n +(?=\S)/g, ''), 'docs/transcript.md')
    const { header, events } = transcript
    const end = events.at(-1)
    expect(end?.type).toBe('run.end')
    const result = foldEvents(header.agent, Date.parse(header.startedAt), events, header.runId)
    expect(result).toMatchObject({ status: 'done', output: (end as { output: unknown }).output })
    expect(result?.trajectory.map((step) => `${step.kind} ${step.name}`)).toEqual([
      'tool lookup',
      'agent delegate_researcher',
    ])
  })
})
