import { delay, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import type { ModelResponse, ModelStreamEvent } from '../../src/index.js'
import { compatible, openai } from '../../src/providers/openai-chat/index.js'
import { modelContract } from '../contracts/model.contract.js'
import {
  type Answer,
  chatHandler,
  contractAnswer,
  errorResponse,
  type Json,
  OPENAI_URL,
  type Received,
} from './wire/openai-chat.js'

const sdk = vi.hoisted(() => ({ loads: 0 }))
vi.mock('openai', async (importOriginal) => {
  sdk.loads++
  return importOriginal()
})

const KEY = 'sk-proj-BATONtestKEY-9f8e7d6c5b4a3210zyxw'
const received: Received[] = []
let reply: (body: Json) => Answer | Response | Promise<Answer | Response> = () => ({ content: 'unset' })

const server = setupServer(
  chatHandler(OPENAI_URL, async (body) => {
    const script = /^contract-(.+)$/.exec(body.model)?.[1]
    if (script === 'slow') await delay(10_000)
    return script ? contractAnswer(script) : reply(body)
  }),
  chatHandler('http://recorder.test/v1', (body) => reply(body), received),
)

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  received.length = 0
  vi.unstubAllEnvs()
})
afterAll(() => server.close())

const fast = { baseDelayMs: 1, maxDelayMs: 50 }
const model = (options: Parameters<typeof openai>[1] = {}) =>
  openai('gpt-test', { apiKey: KEY, baseURL: 'http://recorder.test/v1', retry: fast, ...options })

const lookup = {
  name: 'lookup',
  description: 'Looks up a word',
  parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
}

async function collect(iterable: AsyncIterable<ModelStreamEvent>) {
  const events = []
  for await (const event of iterable) events.push(event)
  return events
}

/** The response a stream's last event carries. */
function finishOf(events: ModelStreamEvent[]): ModelResponse {
  const last = events.at(-1)
  if (last?.type !== 'finish') throw new Error(`the stream ended with ${last?.type}`)
  return last.response
}

describe('openai() loading', () => {
  it('loads the SDK on the first call, not when Baton or the adapter is imported', async () => {
    await import('../../src/index.js')
    const m = openai('gpt-test', { apiKey: KEY, baseURL: 'http://recorder.test/v1' })
    expect(m.id).toBe('openai:gpt-test')
    expect(sdk.loads).toBe(0)
    reply = () => ({ content: 'hi' })
    await m.generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] })
    expect(sdk.loads).toBe(1)
  })
})

modelContract({
  name: 'openai (Chat Completions)',
  streaming: true,
  make: (script) => openai(`contract-${script}`, { apiKey: KEY, baseURL: OPENAI_URL }),
})

describe('openai() requests', () => {
  it('sends the conversation, tool calls linked to their results, tools and structured output as the API defines them', async () => {
    reply = () => ({ content: '{"answer":1}' })
    await model({ params: { temperature: 0.2, seed: 7 } }).generate({
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Look up a and b.' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'call_1', name: 'lookup', args: { q: 'a' } },
            { id: 'call_2', name: 'lookup', args: undefined, argsText: '{"q": b' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', toolName: 'lookup', content: 'A!' },
        { role: 'tool', toolCallId: 'call_2', toolName: 'lookup', content: 'Error: not JSON', isError: true },
        { role: 'assistant', content: 'Noted.' },
        { role: 'user', content: 'Now answer.' },
      ],
      tools: [lookup],
      maxTokens: 321,
      output: {
        name: 'my agent.output',
        schema: { type: 'object', properties: { answer: { type: 'number' } } },
      },
    })
    expect(received).toHaveLength(1)
    expect(received[0]!.body).toEqual({
      model: 'gpt-test',
      temperature: 0.2,
      seed: 7,
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Look up a and b.' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } },
            // What the model wrote goes back as it was: OpenAI takes any text here.
            { id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"q": b' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'A!' },
        { role: 'tool', tool_call_id: 'call_2', content: 'Error: not JSON' },
        { role: 'assistant', content: 'Noted.' },
        { role: 'user', content: 'Now answer.' },
      ],
      tools: [{ type: 'function', function: lookup }],
      max_completion_tokens: 321,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'my_agent_output',
          schema: { type: 'object', properties: { answer: { type: 'number' } } },
          strict: false,
        },
      },
    })
  })

  it('sends the key and extra headers, asks for 4096 tokens by default or options.maxTokens, and omits empty tools', async () => {
    reply = () => ({ content: 'ok' })
    const messages = [{ role: 'user' as const, content: 'hi' }]
    await model({ headers: { 'x-team': 'baton' } }).generate({ messages, tools: [] })
    await model({ maxTokens: 99, params: { stream: true, top_p: 0.5 } }).generate({ messages, tools: [] })
    const [first, second] = received
    expect(first!.headers.get('authorization')).toBe(`Bearer ${KEY}`)
    expect(first!.headers.get('x-team')).toBe('baton')
    expect(first!.body).toEqual({ model: 'gpt-test', messages, max_completion_tokens: 4096 })
    expect(second!.body.max_completion_tokens).toBe(99)
    expect(second!.body).not.toHaveProperty('tools')
    expect(second!.body).not.toHaveProperty('max_tokens')
    expect(second!.body).not.toHaveProperty('stream')
    expect(second!.body.top_p).toBe(0.5)
  })

  it('streams with stream: true and include_usage', async () => {
    reply = () => ({ content: 'ok' })
    await collect(model().stream!({ messages: [{ role: 'user', content: 'hi' }], tools: [] }))
    expect(received[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
  })

  it('honours OPENAI_API_KEY and OPENAI_BASE_URL, and says how to give a missing key', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-from-env-0123456789')
    vi.stubEnv('OPENAI_BASE_URL', 'http://recorder.test/v1')
    reply = () => ({ content: 'ok' })
    await openai('gpt-env').generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] })
    expect(received[0]!.headers.get('authorization')).toBe('Bearer sk-from-env-0123456789')

    vi.stubEnv('OPENAI_API_KEY', '')
    const keyless = openai('gpt-env')
    const error = await keyless
      .generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'INVALID_DEFINITION' })
    expect(String((error as Error).message)).toMatch(/apiKey option.*OPENAI_API_KEY/)
    // A key set afterwards is used by the same model.
    vi.stubEnv('OPENAI_API_KEY', 'sk-set-later-0123456789')
    await keyless.generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] })
    expect(received.at(-1)!.headers.get('authorization')).toBe('Bearer sk-set-later-0123456789')
  })
})

describe('openai() responses', () => {
  const request = { messages: [{ role: 'user' as const, content: 'go' }], tools: [lookup] }

  it('assembles parallel tool calls whose pieces interleave across stream chunks', async () => {
    const answer: Answer = {
      content: 'Looking both up.',
      toolCalls: [
        { id: 'call_A', name: 'lookup', arguments: '{"q":"alpha","limit":3}' },
        { id: 'call_B', name: 'lookup', arguments: '{"q":"beta"}' },
        { id: 'call_C', name: 'define', arguments: '{}' },
      ],
    }
    reply = () => answer
    const events = await collect(model().stream!(request))
    const deltas = events.filter((e) => e.type === 'tool-call-delta')
    // id and name arrive first, then the argument pieces, which interleave between calls.
    expect(deltas.slice(0, 3)).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'call_A', name: 'lookup', argsDelta: '' },
      { type: 'tool-call-delta', index: 1, id: 'call_B', name: 'lookup', argsDelta: '' },
      { type: 'tool-call-delta', index: 2, id: 'call_C', name: 'define', argsDelta: '' },
    ])
    expect(deltas.slice(3, 6).map((d) => (d.type === 'tool-call-delta' ? d.index : -1))).toEqual([0, 1, 2])
    for (const index of [0, 1, 2]) {
      const text = deltas
        .map((d) => (d.type === 'tool-call-delta' && d.index === index ? d.argsDelta : ''))
        .join('')
      expect(text).toBe(answer.toolCalls![index]!.arguments)
    }
    const finish = events.at(-1)
    expect(finish?.type).toBe('finish')
    const generated = await model().generate(request)
    expect(finish?.type === 'finish' && finish.response).toEqual(generated)
    expect(generated.message).toEqual({
      role: 'assistant',
      content: 'Looking both up.',
      toolCalls: [
        { id: 'call_A', name: 'lookup', args: { q: 'alpha', limit: 3 } },
        { id: 'call_B', name: 'lookup', args: { q: 'beta' } },
        { id: 'call_C', name: 'define', args: {} },
      ],
    })
    expect(generated.finishReason).toBe('tool-calls')
    expect(generated.modelId).toBe('gpt-test-2025-01-01')
  })

  it('keeps arguments that are not JSON as argsText', async () => {
    reply = () => ({ toolCalls: [{ id: 'call_X', name: 'lookup', arguments: '{"q": "a"' }] })
    for (const response of [
      await model().generate(request),
      finishOf(await collect(model().stream!(request))),
    ]) {
      expect(response).toMatchObject({
        message: { toolCalls: [{ id: 'call_X', name: 'lookup', args: undefined, argsText: '{"q": "a"' }] },
      })
    }
  })

  it('reports usage with cached and reasoning tokens, plain and streamed', async () => {
    reply = () => ({
      content: 'done',
      usage: { prompt: 2000, completion: 300, cached: 1536, reasoning: 256 },
    })
    const usage = { inputTokens: 2000, outputTokens: 300, cachedInputTokens: 1536, reasoningTokens: 256 }
    expect((await model().generate(request)).usage).toEqual(usage)
    const finish = (await collect(model().stream!(request))).at(-1)
    expect(finish?.type === 'finish' && finish.response.usage).toEqual(usage)
  })

  it('maps finish reasons (length, content_filter) and turns a refusal into its text, plain and streamed', async () => {
    const cases: [Answer, string, string][] = [
      [{ content: 'The list goes on and', finishReason: 'length' }, 'length', 'The list goes on and'],
      [{ content: '', finishReason: 'content_filter' }, 'content-filter', ''],
      [{ content: null, refusal: "I can't help with that." }, 'refusal', "I can't help with that."],
      [{ content: 'fine' }, 'stop', 'fine'],
    ]
    for (const [answer, finishReason, content] of cases) {
      reply = () => answer
      const generated = await model().generate(request)
      expect([generated.finishReason, generated.message.content]).toEqual([finishReason, content])
      const events = await collect(model().stream!(request))
      const text = events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('')
      expect(text).toBe(content)
      expect(events.at(-1)).toEqual({ type: 'finish', response: generated })
    }
  })

  it('retries an empty choices list and a stream cut before its finish_reason', async () => {
    let calls = 0
    reply = (body) => {
      calls++
      if (calls === 1) {
        return body.stream
          ? { content: 'half an ans', cut: true }
          : new Response(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [] }), {
              headers: { 'content-type': 'application/json' },
            })
      }
      return { content: 'whole answer' }
    }
    const retries: string[] = []
    const onRetry = (info: { code: string }) => retries.push(info.code)
    expect((await model().generate(request, { onRetry })).message.content).toBe('whole answer')
    calls = 0
    const events = await collect(model().stream!(request, { onRetry }))
    expect(retries).toEqual(['EMPTY_RESPONSE', 'STREAM_CUT'])
    const types = events.map((e) => e.type)
    expect(types.indexOf('restart')).toBeGreaterThan(0)
    const after = events.slice(types.indexOf('restart') + 1)
    expect(after.map((e) => (e.type === 'text-delta' ? e.text : '')).join('')).toBe('whole answer')
    expect(events.at(-1)).toMatchObject({
      type: 'finish',
      response: { message: { content: 'whole answer' } },
    })
  })

  it('lets SDK errors reach the retry policy: 429 with retry-after-ms is retried, 400 is not', async () => {
    let calls = 0
    reply = () =>
      ++calls === 1 ? errorResponse(429, 'Rate limit reached', { 'retry-after-ms': '5' }) : { content: 'ok' }
    const retries: unknown[] = []
    await model().generate(request, { onRetry: (info) => retries.push(info) })
    expect(retries).toEqual([
      { attempt: 1, delayMs: 5, code: 'HTTP_429', status: 429, message: 'Rate limit reached' },
    ])
    reply = () => errorResponse(400, "Invalid parameter: 'messages'.")
    await expect(model().generate(request)).rejects.toMatchObject({
      code: 'MODEL_ERROR',
      message: "openai:gpt-test: Invalid parameter: 'messages'.",
      details: { status: 400, attempts: 1 },
    })
  })

  it('retries a connection error (the SDK wraps it as APIConnectionError "Connection error.")', async () => {
    let calls = 0
    reply = () => (++calls === 1 ? HttpResponse.error() : { content: 'ok after a reset' })
    const retries: string[] = []
    const response = await model().generate(request, { onRetry: (info) => retries.push(info.code) })
    expect(response.message.content).toBe('ok after a reset')
    expect(retries).toEqual(['NETWORK'])
  })

  it('never puts the API key in an error message', async () => {
    reply = () =>
      errorResponse(
        401,
        `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      )
    const error = (await model()
      .generate(request)
      .catch((e: unknown) => e)) as Error
    expect(error.message).toContain('Incorrect API key provided')
    expect(error.message).not.toContain(KEY)
    expect(JSON.stringify(error)).not.toContain(KEY)
    const streamed = (await collect(model().stream!(request)).catch((e: unknown) => e)) as Error
    expect(streamed.message).toContain('Incorrect API key provided')
    expect(streamed.message).not.toContain(KEY)
  })

  it('stops a stream promptly when its signal aborts', async () => {
    reply = async () => {
      await delay(10_000)
      return { content: 'too late' }
    }
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('stop now')), 20)
    const started = Date.now()
    await expect(collect(model().stream!(request, { signal: controller.signal }))).rejects.toThrow('stop now')
    // Well before the 10 s the answer takes.
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})

describe('openai() in a run', () => {
  it('runs an agent with a tool and an output schema end to end', async () => {
    const { defineAgent, defineTool, run } = await import('../../src/index.js')
    const add = defineTool({
      name: 'add',
      description: 'Adds two numbers',
      input: z.object({ a: z.number(), b: z.number() }),
      run: ({ a, b }) => a + b,
    })
    const agent = defineAgent({
      name: 'calc',
      instructions: 'Use the add tool, then answer as JSON.',
      model: model(),
      tools: [add],
      output: z.object({ sum: z.number() }),
    })
    reply = (body) =>
      body.messages.some((m: Json) => m.role === 'tool')
        ? { content: '{"sum": 5}', usage: { prompt: 50, completion: 6 } }
        : {
            toolCalls: [{ id: 'call_add', name: 'add', arguments: '{"a":2,"b":3}' }],
            usage: { prompt: 40, completion: 8 },
          }
    const result = await run(agent, 'What is 2 + 3?')
    expect(result.status).toBe('done')
    expect(result.output).toEqual({ sum: 5 })
    expect(result.usage).toMatchObject({ inputTokens: 90, outputTokens: 14, steps: 2, toolCalls: 1 })
    expect(received).toHaveLength(2)
    for (const { body } of received) {
      expect(body.tools).toEqual([
        {
          type: 'function',
          function: expect.objectContaining({ name: 'add', description: 'Adds two numbers' }),
        },
      ])
      expect(body.response_format).toMatchObject({
        type: 'json_schema',
        json_schema: {
          name: 'calc_output',
          strict: false,
          schema: expect.objectContaining({ type: 'object' }),
        },
      })
    }
    const second = received[1]!.body.messages as Json[]
    expect(second.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_add', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":3}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_add', content: '5' },
    ])
  })

  it('reports a failing call as a run error without the key', async () => {
    const { defineAgent, run } = await import('../../src/index.js')
    reply = () => errorResponse(401, `Incorrect API key provided: ${KEY}.`)
    const result = await run(defineAgent({ name: 'a', instructions: 'x', model: model() }), 'go')
    expect(result.status).toBe('error')
    expect(result.error?.message).toContain('Incorrect API key provided')
    expect(JSON.stringify(result)).not.toContain(KEY)
  })
})

describe('compatible() from the same module', () => {
  it('is a separate model id', () => {
    expect(compatible('llama3', { baseURL: 'http://recorder.test/v1' }).id).toBe('compatible:llama3')
  })
})
