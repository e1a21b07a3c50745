import { delay } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { BatonError, defineAgent, defineTool, type ModelStreamEvent, run } from '../../src/index.js'
import { compatible } from '../../src/providers/openai-chat/index.js'
import { modelContract } from '../contracts/model.contract.js'
import {
  type Answer,
  chatHandler,
  contractAnswer,
  type Json,
  OLLAMA_URL,
  type Received,
} from './wire/openai-chat.js'

const received: Received[] = []
let reply: (body: Json) => Answer | Response | Promise<Answer | Response> = () => ({ content: 'unset' })

const server = setupServer(
  chatHandler(
    OLLAMA_URL,
    async (body) => {
      const script = /^contract-(.+)$/.exec(body.model)?.[1]
      if (script === 'slow') await delay(10_000)
      // Like many local servers: no usage at all.
      return script ? contractAnswer(script, { usage: null }) : reply(body)
    },
    received,
  ),
)

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  received.length = 0
  vi.unstubAllEnvs()
})
afterAll(() => server.close())

const model = () => compatible('llama3.1:8b', { baseURL: OLLAMA_URL, retry: { baseDelayMs: 1 } })

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks up a word',
  input: z.object({ q: z.string() }),
  run: ({ q }) => `definition of ${q}`,
})

async function collect(iterable: AsyncIterable<ModelStreamEvent>) {
  const events = []
  for await (const event of iterable) events.push(event)
  return events
}

modelContract({
  name: 'compatible (OpenAI-compatible server without usage)',
  streaming: true,
  make: (script) => compatible(`contract-${script}`, { baseURL: OLLAMA_URL }),
})

describe('compatible() configuration', () => {
  it('needs a base URL when it is called, and says both ways to give one', async () => {
    vi.stubEnv('OPENAI_BASE_URL', '')
    // Defining (or replaying) needs no server: the URL is checked when a call is about to be made.
    const m = compatible('llama3')
    expect(m.id).toBe('compatible:llama3')
    const error = await m.generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(BatonError)
    expect(error).toMatchObject({ code: 'INVALID_DEFINITION' })
    expect((error as Error).message).toContain('compatible:llama3')
    expect((error as Error).message).toContain('baseURL')
    expect((error as Error).message).toContain('OPENAI_BASE_URL')
    expect(received).toHaveLength(0)
  })

  it('takes the URL from OPENAI_BASE_URL and needs no key', async () => {
    vi.stubEnv('OPENAI_BASE_URL', OLLAMA_URL)
    vi.stubEnv('OPENAI_API_KEY', '')
    const m = compatible('qwen2.5')
    expect(m.id).toBe('compatible:qwen2.5')
    reply = () => ({ content: 'hi', usage: null })
    expect(
      (await m.generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] })).message.content,
    ).toBe('hi')
    expect(received[0]!.body.model).toBe('qwen2.5')
    expect(received[0]!.headers.get('authorization')).toMatch(/^Bearer \S+$/)
  })

  it('sends a configured key', async () => {
    reply = () => ({ content: 'hi' })
    await compatible('m', { baseURL: OLLAMA_URL, apiKey: 'vllm-secret-key-123' }).generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
    })
    expect(received[0]!.headers.get('authorization')).toBe('Bearer vllm-secret-key-123')
  })
})

describe('compatible() requests', () => {
  it('sends max_tokens and nothing only OpenAI knows (no parallel_tool_calls, no max_completion_tokens)', async () => {
    reply = () => ({ content: '{"n":1}', usage: null })
    const request = {
      messages: [
        { role: 'system' as const, content: 'Be terse.' },
        { role: 'user' as const, content: 'go' },
      ],
      tools: [lookup.spec],
      output: { name: 'a_output', schema: { type: 'object' } },
    }
    await model().generate(request)
    await collect(model().stream!(request))
    const [plain, streamed] = received
    expect(plain!.body).toEqual({
      model: 'llama3.1:8b',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'go' },
      ],
      tools: [{ type: 'function', function: lookup.spec }],
      max_tokens: 4096,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'a_output', schema: { type: 'object' }, strict: false },
      },
    })
    expect(streamed!.body).toEqual({
      ...plain!.body,
      stream: true,
      stream_options: { include_usage: true },
    })
  })
})

describe('compatible() responses', () => {
  const request = { messages: [{ role: 'user' as const, content: 'go' }], tools: [lookup.spec] }

  it('reads no usage as zero, object arguments as args, and `stop` with tool calls as tool-calls', async () => {
    reply = () => ({
      content: '',
      toolCalls: [
        { id: 'call_0', name: 'lookup', arguments: { q: 'a' } },
        { id: 'call_1', name: 'lookup', arguments: '{"q":"b"}' },
      ],
      finishReason: 'stop',
      usage: null,
      model: 'llama3.1:8b',
    })
    const generated = await model().generate(request)
    expect(generated).toEqual({
      message: {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_0', name: 'lookup', args: { q: 'a' } },
          { id: 'call_1', name: 'lookup', args: { q: 'b' } },
        ],
      },
      usage: { inputTokens: 0, outputTokens: 0 },
      finishReason: 'tool-calls',
      modelId: 'llama3.1:8b',
    })
    const events = await collect(model().stream!(request))
    expect(events.at(-1)).toEqual({ type: 'finish', response: generated })
  })

  it('streams from a server that repeats the id on every chunk and sends no usage', async () => {
    reply = () => ({
      toolCalls: [
        { id: 'call_x', name: 'lookup', arguments: '{"q":"first word"}' },
        { id: 'call_y', name: 'lookup', arguments: '{"q":"second"}' },
      ],
      repeatIds: true,
      usage: null,
    })
    const events = await collect(model().stream!(request))
    const finish = events.at(-1)
    expect(finish?.type === 'finish' && finish.response.message.toolCalls).toEqual([
      { id: 'call_x', name: 'lookup', args: { q: 'first word' } },
      { id: 'call_y', name: 'lookup', args: { q: 'second' } },
    ])
    expect(finish?.type === 'finish' && finish.response.usage).toEqual({ inputTokens: 0, outputTokens: 0 })
  })

  it('keeps reasoning text that servers send as reasoning_content', async () => {
    reply = () => ({ reasoning: 'The user wants a greeting.', content: 'Hello!', usage: null })
    const generated = await model().generate(request)
    expect(generated.message).toEqual({
      role: 'assistant',
      content: 'Hello!',
      reasoning: [
        {
          text: 'The user wants a greeting.',
          provider: 'openai-chat',
          data: { reasoning_content: 'The user wants a greeting.' },
        },
      ],
    })
    const events = await collect(model().stream!(request))
    expect(events.map((e) => (e.type === 'reasoning-delta' ? e.text : '')).join('')).toBe(
      'The user wants a greeting.',
    )
    expect(events.at(-1)).toEqual({ type: 'finish', response: generated })
  })
})

describe('compatible() in a run', () => {
  const turn = (body: Json) => (body.messages as Json[]).filter((m) => m.role === 'assistant').length

  it('gives calls with missing or repeated ids unique ids, and links each result to its call', async () => {
    reply = (body) =>
      turn(body) === 0
        ? {
            toolCalls: [
              { id: null, name: 'lookup', arguments: '{"q":"a"}' },
              { id: 'call_dup', name: 'lookup', arguments: '{"q":"b"}' },
              { id: 'call_dup', name: 'lookup', arguments: { q: 'c' } },
            ],
            usage: null,
          }
        : { content: 'a, b and c looked up', usage: null }
    const agent = defineAgent({
      name: 'words',
      instructions: 'Look words up.',
      model: model(),
      tools: [lookup],
    })
    const result = await run(agent, 'Look up a, b and c')
    expect(result.status).toBe('done')
    expect(result.output).toBe('a, b and c looked up')
    expect(result.usage.toolCalls).toBe(3)
    const messages = received[1]!.body.messages as Json[]
    const assistant = messages.find((m) => m.role === 'assistant')!
    const ids = (assistant.tool_calls as Json[]).map((c) => c.id)
    expect(new Set(ids).size).toBe(3)
    expect((assistant.tool_calls as Json[]).map((c) => c.function.arguments)).toEqual([
      '{"q":"a"}',
      '{"q":"b"}',
      '{"q":"c"}',
    ])
    const results = messages.filter((m) => m.role === 'tool')
    expect(results.map((m) => [m.tool_call_id, m.content])).toEqual([
      [ids[0], 'definition of a'],
      [ids[1], 'definition of b'],
      [ids[2], 'definition of c'],
    ])
  })

  it('turns arguments that are not JSON into a tool error the model sees in the next request', async () => {
    const ran = vi.fn(({ q }: { q: string }) => `definition of ${q}`)
    const strict = defineTool({
      name: 'lookup',
      description: 'Looks up a word',
      input: z.object({ q: z.string() }),
      run: ran,
    })
    reply = (body) =>
      turn(body) === 0
        ? { toolCalls: [{ id: 'call_bad', name: 'lookup', arguments: '{"q": "a",' }], usage: null }
        : { content: '{"found": false}', usage: null }
    const agent = defineAgent({
      name: 'words',
      instructions: 'Look words up.',
      model: model(),
      tools: [strict],
      output: z.object({ found: z.boolean() }),
    })
    const result = await run(agent, 'Look up a')
    expect(result.status).toBe('done')
    expect(result.output).toEqual({ found: false })
    expect(ran).not.toHaveBeenCalled()
    const messages = received[1]!.body.messages as Json[]
    // The server would refuse text that is not JSON here, so the call goes back with `{}`.
    expect(messages.find((m) => m.role === 'assistant')).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_bad', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
    })
    const error = messages.find((m) => m.role === 'tool')!
    expect(error.tool_call_id).toBe('call_bad')
    expect(error.content).toMatch(/not valid JSON/)
    expect(error.content).toContain('{\\"q\\": \\"a\\",')
    for (const { body } of received) {
      expect(body.max_tokens).toBeGreaterThan(0)
      expect(body.response_format?.json_schema?.name).toBe('words_output')
      expect(body).not.toHaveProperty('parallel_tool_calls')
    }
  })
})
