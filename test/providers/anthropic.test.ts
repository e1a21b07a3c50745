import { delay, HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  defineAgent,
  defineTool,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type ModelStreamEvent,
  type RetryInfo,
  run,
  stream,
} from '../../src/index.js'
import { anthropic } from '../../src/providers/anthropic/index.js'
import { modelContract } from '../contracts/model.contract.js'
import { collect, ofType } from '../helpers.js'
import {
  BASE_URL,
  type Captured,
  errorResponse,
  type MessageJson,
  message,
  messagesHandler,
  type Reply,
  redactedThinking,
  repliesHandler,
  type SseEvent,
  sseError,
  sseEvents,
  sseResponse,
  text,
  thinking,
  toolUse,
} from './wire/anthropic.js'

const KEY = 'baton-fake-key-Q7Z3X9W2V4'

/** The default server answers the contract scripts, picked by a header the model sends. */
const scripts = messagesHandler(KEY, async ({ headers }) => {
  switch (headers.get('x-baton-script')) {
    case 'tool-calls':
      return message([toolUse('toolu_01A', 'lookup', { q: 'a' }), toolUse('toolu_01B', 'lookup', { q: 'b' })])
    case 'slow':
      await delay(10_000)
      return message([text('late')])
    default:
      return message([text('hello there')])
  }
})
const server = setupServer(scripts)

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
  vi.unstubAllEnvs()
})
afterAll(() => server.close())

/** Answers the next requests with `replies`, in order; returns what the server received. */
function serve(...replies: (Reply | ((captured: Captured) => Reply | Promise<Reply>))[]): Captured[] {
  const captured: Captured[] = []
  server.use(repliesHandler(KEY, replies, captured))
  return captured
}

const make = (model = 'claude-haiku-4-5', options: Parameters<typeof anthropic>[1] = {}): Model =>
  anthropic(model, { apiKey: KEY, baseURL: BASE_URL, ...options })

const lookupSpec = {
  name: 'lookup',
  description: 'Looks up a word',
  parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
}

const ask: ModelRequest = {
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Look up a and b.' },
  ],
  tools: [lookupSpec],
}

async function streamAll(model: Model, request: ModelRequest, options = {}) {
  const events: ModelStreamEvent[] = []
  for await (const event of model.stream!(request, options)) events.push(event)
  const last = events.at(-1)
  if (last?.type !== 'finish') throw new Error(`the stream ended with ${last?.type}`)
  return { events, response: last.response }
}

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks up a word',
  input: z.object({ q: z.string() }),
  run: ({ q }) => `definition of ${q}`,
})

modelContract({
  name: 'anthropic (msw)',
  streaming: true,
  make: (script) => make('claude-haiku-4-5', { headers: { 'x-baton-script': script } }),
})

describe('anthropic: the request body', () => {
  it('puts system messages in `system`, alternates turns, links tool_use and tool_result by id, and merges tool results', async () => {
    const seen = serve(message([text('ok')]), message([text('ok')]))
    const request: ModelRequest = {
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'system', content: 'Be exact.' },
        { role: 'user', content: 'Look up a and b.' },
        {
          role: 'assistant',
          content: 'Looking.',
          toolCalls: [
            { id: 'toolu_1', name: 'lookup', args: { q: 'a' } },
            { id: 'toolu_2', name: 'lookup', args: { q: 'b' } },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_1', toolName: 'lookup', content: 'a: the first letter' },
        { role: 'tool', toolCallId: 'toolu_2', toolName: 'lookup', content: 'no such word', isError: true },
        { role: 'user', content: 'Keep it short.' },
        { role: 'assistant', content: 'a is a letter.' },
        { role: 'user', content: 'Thanks.' },
      ],
      tools: [lookupSpec],
    }
    await make().generate(request)
    expect(seen[0]!.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 4096,
      system: 'You are terse.\n\nBe exact.',
      messages: [
        { role: 'user', content: 'Look up a and b.' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Looking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'a' } },
            { type: 'tool_use', id: 'toolu_2', name: 'lookup', input: { q: 'b' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'a: the first letter' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'no such word', is_error: true },
            { type: 'text', text: 'Keep it short.' },
          ],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'a is a letter.' }] },
        { role: 'user', content: 'Thanks.' },
      ],
      tools: [{ name: 'lookup', description: 'Looks up a word', input_schema: lookupSpec.parameters }],
    })
    // The streamed call sends the same body, with stream: true.
    await streamAll(make(), request)
    expect(seen[1]!.body).toEqual({ ...seen[0]!.body, stream: true })
  })

  it('sends max_tokens from the request, else the option, else 4096; merges params; asks for JSON for an output schema', async () => {
    const seen = serve(message([text('{}')]), message([text('{}')]), message([text('{}')]))
    await make('claude-haiku-4-5', { params: { temperature: 0.2, top_k: 5 } }).generate({
      ...ask,
      maxTokens: 321,
    })
    await make('claude-haiku-4-5', { maxTokens: 1000 }).generate({ messages: ask.messages, tools: [] })
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }
    await make().generate({ ...ask, output: { name: 'trip_output', schema } })

    expect(seen[0]!.body).toMatchObject({ max_tokens: 321, temperature: 0.2, top_k: 5 })
    expect(seen[1]!.body.max_tokens).toBe(1000)
    expect(seen[1]!.body).not.toHaveProperty('tools')
    expect(seen[2]!.body.max_tokens).toBe(4096)
    const system = seen[2]!.body.system as string
    expect(system.startsWith('You are terse.\n\n')).toBe(true)
    expect(system).toContain('JSON')
    expect(system).toContain(JSON.stringify(schema))
  })

  it('enables thinking with the configured budget, kept below a clipped max_tokens', async () => {
    const seen = serve(message([text('a')]), message([text('b')]), message([text('c')]))
    const model = make('claude-haiku-4-5', { thinking: { budgetTokens: 2048 } })
    await model.generate(ask)
    await model.generate({ ...ask, maxTokens: 1500 })
    await model.generate({ ...ask, maxTokens: 900 })
    expect(seen[0]!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 })
    expect(seen[1]!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 1499 })
    expect(seen[2]!.body).not.toHaveProperty('thinking')
  })

  it('honours ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL, and accepts the key as x-api-key or a bearer token', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', KEY)
    vi.stubEnv('ANTHROPIC_BASE_URL', BASE_URL)
    const seen = serve(message([text('from env')]))
    const response = await anthropic('claude-haiku-4-5').generate(ask)
    expect(response.message.content).toBe('from env')
    const headers = seen[0]!.headers
    expect(headers.get('x-api-key') ?? headers.get('authorization')).toContain(KEY)
  })
})

describe('anthropic: configuration', () => {
  it('fails clearly, naming the variable, when there is no API key', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', '')
    const model = anthropic('claude-haiku-4-5', { baseURL: BASE_URL })
    await expect(model.generate(ask)).rejects.toThrow(/no API key.*ANTHROPIC_API_KEY/)
    expect(() => anthropic(' ')).toThrow(/model name is empty/)
  })
})

describe('anthropic: thinking blocks', () => {
  const first = message([
    thinking('I should look up "a" first.\nThen b — é ✓.', 'EqQBCkYIBxgCKkD+sig/One=='),
    redactedThinking('EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw=='),
    // Fields Baton does not model (citations, caller) must travel back too: the blocks are re-sent as received.
    { ...text('Let me check.'), citations: null },
    { ...toolUse('toolu_a', 'lookup', { q: 'a' }), caller: { type: 'direct' } },
  ])
  const second = message([
    thinking('Now b.', 'EqQBCkYIBxgCKkD+sig/Two=='),
    toolUse('toolu_b', 'lookup', { q: 'b' }),
  ])
  const third = message([text('a and b are letters.')])

  it('are passed back byte for byte, in order, through a multi-step tool loop run with run()', async () => {
    const seen = serve(first, second, third)
    const agent = defineAgent({
      name: 'thinker',
      instructions: 'Use the lookup tool.',
      model: make('claude-haiku-4-5', { thinking: { budgetTokens: 2048 } }),
      tools: [lookup],
    })
    const result = await run(agent, 'What are a and b?')
    expect(result.status).toBe('done')
    expect(result.output).toBe('a and b are letters.')
    expect(seen).toHaveLength(3)
    const bytes = (m: MessageJson) => JSON.stringify(m.content)

    const [, second_, third_] = seen
    expect(second_!.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
    expect(JSON.stringify(second_!.body.messages[1]!.content)).toBe(bytes(first))
    expect(second_!.raw).toContain(bytes(first))
    expect(second_!.body.messages[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_a', content: 'definition of a' },
    ])

    expect(third_!.body.messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ])
    expect(third_!.raw).toContain(bytes(first))
    expect(third_!.raw).toContain(bytes(second))
    expect(third_!.body.messages[4]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_b', content: 'definition of b' },
    ])
    for (const request of seen)
      expect(request.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 })
  })

  it('become reasoning parts with their signatures, and streamed ones assemble to what generate returns', async () => {
    serve(first, first)
    const model = make('claude-haiku-4-5', { thinking: { budgetTokens: 2048 } })
    const generated = await model.generate(ask)
    expect(generated.message.reasoning).toEqual([
      {
        text: 'I should look up "a" first.\nThen b — é ✓.',
        provider: 'anthropic',
        data: { signature: 'EqQBCkYIBxgCKkD+sig/One==' },
      },
      {
        text: '',
        provider: 'anthropic',
        data: { redacted: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw==' },
      },
    ])
    expect(generated.message.provider).toEqual({ name: 'anthropic', data: first.content })

    const { events, response } = await streamAll(model, ask)
    expect(response).toEqual(generated)
    const reasoning = events.map((e) => (e.type === 'reasoning-delta' ? e.text : '')).join('')
    expect(reasoning).toBe('I should look up "a" first.\nThen b — é ✓.')
  })

  it('rebuilt from reasoning parts when a message lost its provider blocks', async () => {
    const seen = serve(message([text('ok')]))
    await make().generate({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: '',
          reasoning: [
            { text: 'hmm', provider: 'anthropic', data: { signature: 'sig' } },
            { text: 'other', provider: 'openai', data: { id: 'rs_1' } },
            { text: '', provider: 'anthropic', data: { redacted: 'opaque' } },
          ],
          toolCalls: [{ id: 'toolu_x', name: 'lookup', args: { q: 'x' } }],
        },
        { role: 'tool', toolCallId: 'toolu_x', toolName: 'lookup', content: 'x' },
      ],
      tools: [lookupSpec],
    })
    expect(seen[0]!.body.messages[1]!.content).toEqual([
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'tool_use', id: 'toolu_x', name: 'lookup', input: { q: 'x' } },
    ])
  })
})

describe('anthropic: streaming', () => {
  it('keeps parallel tool_use blocks apart by index, even with their deltas interleaved', async () => {
    const answer = message([
      thinking('Two lookups.', 'sig-par'),
      text('Looking both up.'),
      toolUse('toolu_p1', 'lookup', { q: 'alpha', note: 'first "one"' }),
      toolUse('toolu_p2', 'lookup', { q: 'beta', n: [1, 2, 3] }),
    ])
    serve(sseResponse(sseEvents(answer, { interleave: true })), answer)
    const model = make()
    const { events, response } = await streamAll(model, ask)

    const deltas = events.filter((e) => e.type === 'tool-call-delta')
    expect(deltas.filter((d) => d.id).map((d) => [d.index, d.id, d.name])).toEqual([
      [0, 'toolu_p1', 'lookup'],
      [1, 'toolu_p2', 'lookup'],
    ])
    const args = (i: number) =>
      deltas
        .filter((d) => d.index === i)
        .map((d) => d.argsDelta)
        .join('')
    expect(JSON.parse(args(0))).toEqual({ q: 'alpha', note: 'first "one"' })
    expect(JSON.parse(args(1))).toEqual({ q: 'beta', n: [1, 2, 3] })
    expect(response.message.toolCalls).toEqual([
      { id: 'toolu_p1', name: 'lookup', args: { q: 'alpha', note: 'first "one"' } },
      { id: 'toolu_p2', name: 'lookup', args: { q: 'beta', n: [1, 2, 3] } },
    ])
    expect(response.message.content).toBe('Looking both up.')
    expect(response.finishReason).toBe('tool-calls')
    expect(response).toEqual(await model.generate(ask))
  })

  it('keeps unparseable streamed tool input as argsText (the loop turns it into a tool error)', async () => {
    const events: SseEvent[] = sseEvents(message([toolUse('toolu_bad', 'lookup', {})]))
    const broken = events.map((e) =>
      (e.data as { delta?: { partial_json?: string } }).delta?.partial_json === '{}'
        ? {
            ...e,
            data: { ...(e.data as object), delta: { type: 'input_json_delta', partial_json: '{"q": ' } },
          }
        : e,
    )
    serve(sseResponse(broken))
    const { response } = await streamAll(make(), ask)
    expect(response.message.toolCalls).toEqual([
      { id: 'toolu_bad', name: 'lookup', args: {}, argsText: '{"q": ' },
    ])
  })
})

describe('anthropic: usage, cost and stop reasons', () => {
  const cached = message([text('cached answer')], {
    usage: {
      input_tokens: 100,
      cache_read_input_tokens: 1000,
      cache_creation_input_tokens: 500,
      output_tokens: 50,
    },
  })
  const usage = { inputTokens: 1600, cachedInputTokens: 1000, cacheWriteTokens: 500, outputTokens: 50 }

  it('counts cache reads and writes into input tokens, and reports them apart (plain and streamed)', async () => {
    serve(cached, cached)
    expect((await make().generate(ask)).usage).toEqual(usage)
    expect((await streamAll(make(), ask)).response.usage).toEqual(usage)
  })

  it('prices a run with the cache rates of the price table', async () => {
    serve(cached)
    const agent = defineAgent({ name: 'a', instructions: 'x', model: make('claude-haiku-4-5') })
    const result = await run(agent, 'go')
    expect(result.status).toBe('done')
    expect(result.usage.inputTokens).toBe(1600)
    expect(result.usage.outputTokens).toBe(50)
    // haiku 4.5: $1/M input, $0.10/M cache reads, $1.25/M cache writes, $5/M output
    expect(result.usage.costUsd).toBeCloseTo((100 * 1 + 1000 * 0.1 + 500 * 1.25 + 50 * 5) / 1e6, 12)
  })

  it('maps stop reasons: max_tokens → length, stop_sequence → stop; a pause_turn is continued', async () => {
    serve(
      message([text('cut')], { stop: 'max_tokens' }),
      message([text('cut')], { stop: 'max_tokens' }),
      message([text('x')], { stop: 'stop_sequence' }),
      message([], { stop: 'pause_turn' }),
      message([text('y')], { stop: 'end_turn' }),
      ...Array.from({ length: 10 }, () => message([], { stop: 'pause_turn' })),
    )
    expect((await make().generate(ask)).finishReason).toBe('length')
    expect((await streamAll(make(), ask)).response.finishReason).toBe('length')
    expect((await make().generate(ask)).finishReason).toBe('stop')
    expect((await make().generate(ask)).finishReason).toBe('stop')
    // A turn still paused after ten calls ends as it is.
    expect((await make().generate(ask)).finishReason).toBe('other')
  })

  it('a refusal ends the run with status error', async () => {
    serve(message([text('I cannot help with that.')], { stop: 'refusal' }))
    const agent = defineAgent({ name: 'a', instructions: 'x', model: make() })
    const result = await run(agent, 'something bad')
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('refusal')
    expect(result.error?.message).toContain('I cannot help with that.')
  })

  it('reports the model id the API used', async () => {
    serve(message([text('hi')], { model: 'claude-haiku-4-5-20251001' }))
    const model = make()
    expect(model.id).toBe('anthropic:claude-haiku-4-5')
    expect((await model.generate(ask)).modelId).toBe('claude-haiku-4-5-20251001')
  })
})

describe('anthropic: failures', () => {
  const fast = { retry: { baseDelayMs: 1, maxDelayMs: 50, maxAttempts: 3 } }

  it('never puts the API key in an error message, an event or the result', async () => {
    server.use(
      http.post(`${BASE_URL}/v1/messages`, ({ request }) => {
        const sent = request.headers.get('x-api-key') ?? request.headers.get('authorization')
        return errorResponse(401, 'authentication_error', `invalid x-api-key: ${sent}`)
      }),
    )
    const error = (await make()
      .generate(ask)
      .catch((e: unknown) => e)) as Error
    expect(error.message).toContain('invalid x-api-key')
    expect(error.message).not.toContain(KEY)

    const agent = defineAgent({ name: 'a', instructions: 'x', model: make() })
    const { events, result } = await collect(stream(agent, 'go'))
    expect(result.status).toBe('error')
    expect(result.error?.message).toContain('invalid x-api-key')
    expect(JSON.stringify(result)).not.toContain(KEY)
    expect(JSON.stringify(events)).not.toContain(KEY)
  })

  it('retries 529 overloaded (honouring retry-after-ms) and reports the retry', async () => {
    serve(
      errorResponse(529, 'overloaded_error', 'Overloaded', { 'retry-after-ms': '5' }),
      message([text('fine')]),
    )
    const retries: RetryInfo[] = []
    const response = await make('claude-haiku-4-5', fast).generate(ask, { onRetry: (r) => retries.push(r) })
    expect(response.message.content).toBe('fine')
    expect(retries).toEqual([
      { attempt: 1, delayMs: 5, code: 'HTTP_529', status: 529, message: 'Overloaded' },
    ])
  })

  it('does not retry a 400, and gives the provider message', async () => {
    const seen = serve(errorResponse(400, 'invalid_request_error', 'messages.0.content: empty'))
    await expect(make('claude-haiku-4-5', fast).generate(ask)).rejects.toThrow(
      /^anthropic:claude-haiku-4-5: messages\.0\.content: empty$/,
    )
    expect(seen).toHaveLength(1)
  })

  it('retries a stream that ends without message_stop, telling the reader to restart', async () => {
    const answer = message([text('whole answer')])
    const cut = sseEvents(answer).slice(0, 5)
    serve(sseResponse(cut), answer)
    const retries: RetryInfo[] = []
    const { events, response } = await streamAll(make('claude-haiku-4-5', fast), ask, {
      onRetry: (r: RetryInfo) => retries.push(r),
    })
    expect(retries.map((r) => r.code)).toEqual(['STREAM_CUT'])
    const restart = events.findIndex((e) => e.type === 'restart')
    expect(restart).toBeGreaterThan(0)
    const after = events.slice(restart + 1).map((e) => (e.type === 'text-delta' ? e.text : ''))
    expect(after.join('')).toBe('whole answer')
    expect(response.message.content).toBe('whole answer')
  })

  it('retries an overloaded_error sent inside the stream', async () => {
    const answer = message([text('second try')])
    serve(sseResponse([...sseEvents(answer).slice(0, 4), sseError('overloaded_error', 'Overloaded')]), answer)
    const retries: RetryInfo[] = []
    const { response } = await streamAll(make('claude-haiku-4-5', fast), ask, {
      onRetry: (r: RetryInfo) => retries.push(r),
    })
    expect(response.message.content).toBe('second try')
    expect(retries).toHaveLength(1)
    expect(retries[0]!.message).toContain('overloaded_error')
  })

  it('a complete answer stands even when the connection fails after message_stop', async () => {
    const answer = message([text('complete')])
    serve(sseResponse([...sseEvents(answer), sseError('api_error', 'late failure')]))
    const retries: RetryInfo[] = []
    const { events, response } = await streamAll(make('claude-haiku-4-5', fast), ask, {
      onRetry: (r: RetryInfo) => retries.push(r),
    })
    expect(response.message.content).toBe('complete')
    expect(events.some((e) => e.type === 'restart')).toBe(false)
    expect(retries).toEqual([])
  })

  it('does not retry when the caller aborts a stream', async () => {
    server.use(
      http.post(`${BASE_URL}/v1/messages`, async () => {
        await delay(10_000)
        return HttpResponse.json(message([text('late')]))
      }),
    )
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('stop now')), 20)
    const started = Date.now()
    await expect(streamAll(make(), ask, { signal: controller.signal })).rejects.toThrow('stop now')
    // Well before the 10 s the answer takes.
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})

describe('anthropic: the model events in a run', () => {
  it('records the provider blocks on model.response, so a transcript keeps the signatures', async () => {
    const answer = message([thinking('think', 'sig-run'), text('done')])
    serve(answer)
    const agent = defineAgent({ name: 'a', instructions: 'x', model: make() })
    const { events } = await collect(stream(agent, 'go'))
    const [response] = ofType(events, 'model.response')
    expect((response!.message as ModelResponse['message']).provider).toEqual({
      name: 'anthropic',
      data: answer.content,
    })
  })
})
