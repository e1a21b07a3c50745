import { delay } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  type BatonError,
  defineAgent,
  defineTool,
  type ModelRequest,
  type ModelStreamEvent,
  type RetryInfo,
  run,
} from '../../src/index.js'
import { openaiResponses } from '../../src/providers/openai-responses/index.js'
import type { ProviderOptions } from '../../src/providers/options.js'
import { modelContract } from '../contracts/model.contract.js'
import {
  apiError,
  BASE_URL,
  type Captured,
  item,
  type Json,
  responseObject,
  responsesHandler,
  sseResponse,
  streamEvents,
} from './wire/openai-responses.js'

const KEY = 'baton-test-key-Zq8vW3xY7pL2'
const fast: ProviderOptions = { baseURL: BASE_URL, apiKey: KEY, retry: { baseDelayMs: 1, maxDelayMs: 5 } }
const model = (name = 'gpt-test', options: ProviderOptions = {}) =>
  openaiResponses(name, { ...fast, ...options })

const lookup = {
  name: 'lookup',
  description: 'Looks up a word',
  parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
}
const ask: ModelRequest = {
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Look up a and b.' },
  ],
  tools: [lookup],
}
const twoCalls = [
  item.functionCall('call_A1', 'lookup', '{"q":"a"}'),
  item.functionCall('call_B2', 'lookup', '{"q":"b"}'),
]

// The contract scripts are chosen by model name, so that these handlers serve them in every test.
const server = setupServer(
  responsesHandler(async (body) => {
    if (body.model === 'contract-tool-calls') return { output: twoCalls }
    if (body.model === 'contract-slow') await delay(10_000)
    return { output: [item.message('hello there')] }
  }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
  vi.unstubAllEnvs()
})
afterAll(() => server.close())

/** Serves `replies` in order for the rest of the test, recording the requests. */
function serve(
  replies: Parameters<typeof responsesHandler>[0],
  stream?: Parameters<typeof responsesHandler>[2],
) {
  const log: Captured[] = []
  server.use(responsesHandler(replies, log, stream))
  return log
}

async function collect(events: AsyncIterable<ModelStreamEvent>): Promise<ModelStreamEvent[]> {
  const out: ModelStreamEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

modelContract({
  name: 'openaiResponses',
  streaming: true,
  make: (script) => model(`contract-${script}`),
})

describe('openaiResponses: the request', () => {
  it('is named openai:<model> and sends the conversation as instructions and input items', async () => {
    const log = serve(() => ({ output: [item.message('done')] }))
    const m = model('gpt-test', { headers: { 'x-team': 'baton' }, params: { temperature: 0.2 } })
    expect(m.id).toBe('openai:gpt-test')
    await m.generate({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Look up a and b.' },
        {
          role: 'assistant',
          content: 'Looking.',
          toolCalls: [
            { id: 'call_1', name: 'lookup', args: { q: 'a' } },
            { id: 'call_2', name: 'lookup', args: null, argsText: '{"q": b' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', toolName: 'lookup', content: 'A is the first letter' },
        { role: 'tool', toolCallId: 'call_2', toolName: 'lookup', content: 'invalid JSON', isError: true },
        { role: 'system', content: 'Be brief.' },
      ],
      tools: [lookup],
      maxTokens: 300,
    })
    expect(log).toHaveLength(1)
    expect(log[0]!.body).toEqual({
      model: 'gpt-test',
      instructions: 'You are terse.',
      input: [
        { role: 'user', content: 'Look up a and b.' },
        { role: 'assistant', content: 'Looking.' },
        { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' },
        { type: 'function_call', call_id: 'call_2', name: 'lookup', arguments: '{"q": b' },
        { type: 'function_call_output', call_id: 'call_1', output: 'A is the first letter' },
        { type: 'function_call_output', call_id: 'call_2', output: 'invalid JSON' },
        { role: 'system', content: 'Be brief.' },
      ],
      tools: [{ type: 'function', ...lookup, strict: false }],
      max_output_tokens: 300,
      store: false,
      include: ['reasoning.encrypted_content'],
      temperature: 0.2,
    })
    const headers = log[0]!.headers
    expect(headers.get('authorization')).toBe(`Bearer ${KEY}`)
    expect(headers.get('x-team')).toBe('baton')
  })

  it('asks for options.maxTokens, else 4096, and sends no tools when there are none', async () => {
    const log = serve(() => ({ output: [item.message('ok')] }))
    const request: ModelRequest = { messages: [{ role: 'user', content: 'hi' }], tools: [] }
    await model().generate(request)
    await model('gpt-test', { maxTokens: 777 }).generate(request)
    expect(log.map((c) => c.body.max_output_tokens)).toEqual([4096, 777])
    expect('tools' in log[0]!.body).toBe(false)
    expect('instructions' in log[0]!.body).toBe(false)
  })

  it('asks for structured output when the agent has an output schema, and parses the answer', async () => {
    const log = serve(() => ({ output: [item.message('{"city":"Lisbon","days":2}')] }))
    const agent = defineAgent({
      name: 'planner',
      instructions: 'Plan trips.',
      model: model(),
      output: z.object({ city: z.string(), days: z.number() }),
    })
    const result = await run(agent, 'Two days in Lisbon')
    expect(result.status).toBe('done')
    expect(result.output).toEqual({ city: 'Lisbon', days: 2 })
    const format = log[0]!.body.text.format
    expect(format).toMatchObject({ type: 'json_schema', name: 'planner_output', strict: false })
    expect(format.schema).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'number' } },
      required: ['city', 'days'],
    })
  })

  it('stops asking for encrypted reasoning when the model refuses it (gpt-4o and the like)', async () => {
    const log = serve((body) =>
      body.include
        ? new Response(
            JSON.stringify({
              error: {
                message: 'Encrypted content is not supported with this model.',
                type: 'invalid_request_error',
                param: 'include',
                code: null,
              },
            }),
            { status: 400, headers: { 'content-type': 'application/json' } },
          )
        : { output: [item.message('fine')] },
    )
    const m = model('gpt-4o')
    const retries: RetryInfo[] = []
    expect((await m.generate(ask, { onRetry: (r) => retries.push(r) })).message.content).toBe('fine')
    const last = (await collect(m.stream!(ask))).at(-1)
    expect(last?.type === 'finish' && last.response.message.content).toBe('fine')
    expect(log.map((c) => 'include' in c.body)).toEqual([true, false, false])
    expect(log.map((c) => c.body.store)).toEqual([false, false, false])
    expect(retries).toEqual([])
  })

  it('reads OPENAI_API_KEY and OPENAI_BASE_URL when no options are given', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'env-key-for-baton-tests')
    vi.stubEnv('OPENAI_BASE_URL', BASE_URL)
    const log = serve(() => ({ output: [item.message('from env')] }))
    const response = await openaiResponses('gpt-env').generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [],
    })
    expect(response.message.content).toBe('from env')
    expect(log[0]!.headers.get('authorization')).toBe('Bearer env-key-for-baton-tests')
  })
})

describe('openaiResponses: reasoning items', () => {
  const reasoning = item.reasoning(
    'rs_0c1d2e3f4a5b6c7d',
    ['**Planning the lookup**\n\nI should look up "a" first.'],
    'gAAAAABo_encrypted+/==opaque.blob\u00e9-\u2603',
  )
  const call = item.functionCall('call_Xy12', 'lookup', '{"q":"a"}', 'fc_9f8e7d')

  it('round-trip byte for byte through a tool loop run with run()', async () => {
    const log = serve((_body, n) =>
      n === 0
        ? { output: [reasoning, call], usage: { input: 40, output: 30, reasoning: 24 } }
        : { output: [item.message('a means alpha')] },
    )
    const tool = defineTool({
      name: 'lookup',
      description: 'Looks up a word',
      input: z.object({ q: z.string() }),
      run: ({ q }) => `${q} means alpha`,
    })
    const agent = defineAgent({
      name: 'reader',
      instructions: 'Use tools.',
      model: model('o-test'),
      tools: [tool],
    })
    const result = await run(agent, 'What does a mean?')
    expect(result.status).toBe('done')
    expect(result.output).toBe('a means alpha')
    expect(log).toHaveLength(2)
    const input = log[1]!.body.input as Json[]
    expect(input.map((i) => i.type ?? i.role)).toEqual([
      'user',
      'reasoning',
      'function_call',
      'function_call_output',
    ])
    // Exactly the bytes the server sent in the first response, ids and encrypted_content untouched.
    expect(input[1]).toEqual(reasoning)
    expect(log[1]!.raw).toContain(JSON.stringify(reasoning))
    expect(log[1]!.raw).toContain(JSON.stringify(call))
    expect(input[3]).toEqual({ type: 'function_call_output', call_id: 'call_Xy12', output: 'a means alpha' })
  })

  it('keep the output items and the summary on the message, from generate and from stream alike', async () => {
    serve(() => ({ output: [reasoning, call] }))
    const generated = await model().generate(ask)
    const events = await collect(model().stream!(ask))
    const finish = events.at(-1)
    expect(finish?.type).toBe('finish')
    for (const response of [generated, finish?.type === 'finish' ? finish.response : undefined]) {
      expect(response?.message.provider).toEqual({ name: 'openai-responses', data: [reasoning, call] })
      expect(response?.message.reasoning).toEqual([
        {
          text: '**Planning the lookup**\n\nI should look up "a" first.',
          provider: 'openai-responses',
          data: reasoning,
        },
      ])
    }
    const thinking = events.map((e) => (e.type === 'reasoning-delta' ? e.text : '')).join('')
    expect(thinking).toBe('**Planning the lookup**\n\nI should look up "a" first.')
  })

  it('are passed back from another message form when the raw items no longer match the calls', async () => {
    const log = serve(() => ({ output: [item.message('ok')] }))
    await model().generate({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_renamed', name: 'lookup', args: { q: 'a' } }],
          reasoning: [{ text: 'thinking', provider: 'openai-responses', data: reasoning }],
          provider: { name: 'openai-responses', data: [reasoning, call] },
        },
        { role: 'tool', toolCallId: 'call_renamed', toolName: 'lookup', content: 'alpha' },
      ],
      tools: [lookup],
    })
    expect(log[0]!.body.input).toEqual([
      { role: 'user', content: 'go' },
      reasoning,
      { type: 'function_call', call_id: 'call_renamed', name: 'lookup', arguments: '{"q":"a"}' },
      { type: 'function_call_output', call_id: 'call_renamed', output: 'alpha' },
    ])
  })
})

describe('openaiResponses: the response', () => {
  it('reports usage with cached and reasoning tokens, and the model id', async () => {
    serve(() => ({
      model: 'gpt-test-2025-08-07',
      output: [item.message('hi')],
      usage: { input: 1200, output: 340, cached: 1024, reasoning: 256 },
    }))
    const usage = { inputTokens: 1200, outputTokens: 340, cachedInputTokens: 1024, reasoningTokens: 256 }
    const generated = await model().generate(ask)
    expect(generated.usage).toEqual(usage)
    expect(generated.modelId).toBe('gpt-test-2025-08-07')
    const finish = (await collect(model().stream!(ask))).at(-1)
    expect(finish?.type === 'finish' && finish.response.usage).toEqual(usage)
  })

  it('finishes with length when the response is incomplete for max_output_tokens (plain and streamed)', async () => {
    const log = serve(() => ({
      status: 'incomplete',
      incompleteReason: 'max_output_tokens',
      output: [{ ...item.message('The answer is cut'), status: 'incomplete' }],
    }))
    const generated = await model().generate(ask)
    expect(generated.finishReason).toBe('length')
    expect(generated.message.content).toBe('The answer is cut')
    const events = await collect(model().stream!(ask))
    const finish = events.at(-1)
    expect(finish?.type === 'finish' && finish.response.finishReason).toBe('length')
    expect(events.some((e) => e.type === 'restart')).toBe(false)
    expect(log).toHaveLength(2)
  })

  it('finishes with refusal and gives the refusal as the content', async () => {
    serve(() => ({ output: [item.refusal("I can't help with that.")] }))
    const response = await model().generate(ask)
    expect(response.finishReason).toBe('refusal')
    expect(response.message.content).toBe("I can't help with that.")
  })

  it('keeps arguments that are not JSON as argsText', async () => {
    serve(() => ({ output: [item.functionCall('call_bad', 'lookup', '{"q": a')] }))
    const response = await model().generate(ask)
    expect(response.message.toolCalls).toEqual([
      { id: 'call_bad', name: 'lookup', args: null, argsText: '{"q": a' },
    ])
    expect(response.finishReason).toBe('tool-calls')
  })

  it('turns a failed response into an error with the provider message', async () => {
    serve(() => ({
      status: 'failed',
      output: [],
      error: { code: 'invalid_prompt', message: 'The prompt was flagged.' },
    }))
    await expect(model().generate(ask)).rejects.toThrow(
      /^openai:gpt-test: The prompt was flagged\. \(invalid_prompt\)$/,
    )
    await expect(collect(model().stream!(ask))).rejects.toThrow(/The prompt was flagged/)
  })

  it('retries an empty response, visibly', async () => {
    const log = serve((_body, n) => ({ output: n === 0 ? [] : [item.message('second time')] }))
    const retries: RetryInfo[] = []
    const response = await model().generate(ask, { onRetry: (r) => retries.push(r) })
    expect(response.message.content).toBe('second time')
    expect(retries.map((r) => r.code)).toEqual(['EMPTY_RESPONSE'])
    expect(log).toHaveLength(2)
  })
})

describe('openaiResponses: streaming', () => {
  it('streams parallel function calls that interleave, keyed by output index', async () => {
    serve(() => ({ output: [item.reasoning('rs_1', ['Two lookups.'], 'enc'), ...twoCalls] }), {
      interleave: true,
    })
    const events = await collect(model().stream!(ask))
    const deltas = events.filter((e) => e.type === 'tool-call-delta')
    // The two calls really arrive interleaved...
    expect(deltas.map((d) => d.index)).toEqual([0, 1, 0, 1, 0, 1, 0, 1])
    expect(deltas.filter((d) => d.id).map((d) => [d.index, d.id, d.name])).toEqual([
      [0, 'call_A1', 'lookup'],
      [1, 'call_B2', 'lookup'],
    ])
    // ...and each one's pieces join into its own arguments.
    const args = [0, 1].map((i) =>
      deltas
        .filter((d) => d.index === i)
        .map((d) => d.argsDelta)
        .join(''),
    )
    expect(args).toEqual(['{"q":"a"}', '{"q":"b"}'])
    const finish = events.at(-1)
    expect(finish?.type === 'finish' && finish.response.message.toolCalls).toEqual([
      { id: 'call_A1', name: 'lookup', args: { q: 'a' } },
      { id: 'call_B2', name: 'lookup', args: { q: 'b' } },
    ])
  })

  it('sends stream: true with the same body', async () => {
    const log = serve(() => ({ output: [item.message('hi')] }))
    await model().generate(ask)
    await collect(model().stream!(ask))
    expect(log[1]!.body).toEqual({ ...log[0]!.body, stream: true })
  })

  it('retries a stream cut before response.completed, telling the reader to restart', async () => {
    const response = responseObject({ output: [item.message('hello world, in full')] })
    const log = serve((_body, n) => sseResponse(streamEvents(response, n === 0 ? { cutAfter: 6 } : {})))
    const retries: RetryInfo[] = []
    const events = await collect(model().stream!(ask, { onRetry: (r) => retries.push(r) }))
    expect(retries.map((r) => r.code)).toEqual(['STREAM_CUT'])
    const restart = events.findIndex((e) => e.type === 'restart')
    expect(restart).toBeGreaterThan(0)
    const text = events
      .slice(restart + 1)
      .map((e) => (e.type === 'text-delta' ? e.text : ''))
      .join('')
    expect(text).toBe('hello world, in full')
    expect(log).toHaveLength(2)
  })

  it('turns an error event into an error with its message', async () => {
    const events = [
      { type: 'response.created', sequence_number: 0, response: responseObject({ output: [] }) },
      {
        type: 'error',
        sequence_number: 1,
        code: 'invalid_request',
        message: 'Something is off.',
        param: null,
      },
    ]
    serve(() => sseResponse(events))
    await expect(collect(model('gpt-test', { retry: false }).stream!(ask))).rejects.toThrow(
      /Something is off/,
    )
    // Some servers nest it: { type: 'error', error: { ... } } (the SDK throws that one itself).
    const nested = { type: 'error', sequence_number: 1, error: { type: 'server_error', message: 'Nested.' } }
    serve(() => sseResponse([events[0]!, nested]))
    await expect(collect(model('gpt-test', { retry: false }).stream!(ask))).rejects.toThrow(/Nested\./)
  })

  it('retries a server_error event, then streams the answer', async () => {
    const failing = [
      { type: 'response.created', sequence_number: 0, response: responseObject({ output: [] }) },
      { type: 'error', sequence_number: 1, code: 'server_error', message: 'Try again.', param: null },
    ]
    const good = streamEvents(responseObject({ output: [item.message('fine')] }))
    serve((_body, n) => sseResponse(n === 0 ? failing : good))
    const retries: RetryInfo[] = []
    const events = await collect(model().stream!(ask, { onRetry: (r) => retries.push(r) }))
    expect(retries.map((r) => r.code)).toEqual(['OPENAI_SERVER_ERROR'])
    const finish = events.at(-1)
    expect(finish?.type === 'finish' && finish.response.message.content).toBe('fine')
  })
})

describe('openaiResponses: errors', () => {
  it('never lets the API key into an error message', async () => {
    const log = serve(() =>
      apiError(401, `Incorrect API key provided: ${KEY}. Find yours elsewhere.`, 'invalid_api_key'),
    )
    const error = (await model()
      .generate(ask)
      .catch((e: unknown) => e)) as BatonError
    expect(error.code).toBe('MODEL_ERROR')
    expect(error.details).toMatchObject({ status: 401, retryable: false })
    expect(error.message).toContain('Incorrect API key provided')
    expect(error.message).not.toContain(KEY)
    const streamed = (await collect(model().stream!(ask)).catch((e: unknown) => e)) as Error
    expect(streamed.message).not.toContain(KEY)
    const result = await run(defineAgent({ name: 'a', instructions: 'x', model: model() }), 'go')
    expect(result.status).toBe('error')
    expect(JSON.stringify(result)).not.toContain(KEY)
    expect(log).toHaveLength(3)
  })

  it('retries a 429, honouring retry-after-ms', async () => {
    const log = serve((_body, n) =>
      n === 0
        ? new Response(JSON.stringify({ error: { message: 'Slow down', type: 'rate_limit', code: null } }), {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after-ms': '3' },
          })
        : { output: [item.message('ok')] },
    )
    const retries: RetryInfo[] = []
    await model().generate(ask, { onRetry: (r) => retries.push(r) })
    expect(retries).toEqual([{ attempt: 1, delayMs: 3, code: 'HTTP_429', status: 429, message: 'Slow down' }])
    expect(log).toHaveLength(2)
  })
})
