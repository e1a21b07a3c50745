/**
 * Chat Completions shapes seen from OpenAI, Azure OpenAI and OpenAI-compatible servers (Ollama,
 * vLLM, Mistral), replayed through the real `openai` SDK, plain and streamed.
 */
import { http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ModelRequest, RetryInfo } from '../../src/index.js'
import { compatible, openai } from '../../src/providers/openai-chat/index.js'
import { rejection } from '../helpers.js'
import { json, type RawEvent, sse, streamAll, textOf } from './wire/raw.js'

const URL = 'http://chat-wire.test/v1'
const KEY = 'sk-proj-chatWIREprobeKEY-0123456789'
type Handler = (body: Record<string, unknown>) => Response
let answer: Handler = () => json({})
const bodies: Record<string, unknown>[] = []
const server = setupServer(
  http.post(`${URL}/chat/completions`, async ({ request }) => {
    const body = (await request.json()) as Record<string, unknown>
    bodies.push(body)
    return answer(body)
  }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  bodies.length = 0
})
afterAll(() => server.close())

const retry = { baseDelayMs: 1, maxDelayMs: 20 }
const gpt = () => openai('gpt-4o', { apiKey: KEY, baseURL: URL, retry })
const local = () => compatible('qwen3', { baseURL: URL, retry })

const request: ModelRequest = {
  messages: [{ role: 'user', content: 'write both files' }],
  tools: [{ name: 'write', description: 'Writes a file', parameters: { type: 'object' } }],
}

const streamed = (model = gpt(), onRetry?: (info: RetryInfo) => void) => streamAll(model, request, onRetry)

/** A chunk as OpenAI writes it. */
function chunk(delta: Record<string, unknown> | null, finish: string | null = null, extra = {}): RawEvent {
  return {
    data: {
      id: 'chatcmpl-AbC',
      object: 'chat.completion.chunk',
      created: 1756000000,
      model: 'gpt-4o-2024-08-06',
      system_fingerprint: 'fp_1',
      choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...extra,
    },
  }
}

function completion(message: Record<string, unknown>, finish: string, usage?: Record<string, unknown>) {
  return {
    id: 'chatcmpl-AbC',
    object: 'chat.completion',
    created: 1756000000,
    model: 'gpt-4o-2024-08-06',
    choices: [
      { index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finish },
    ],
    usage: usage ?? { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
  }
}

describe('Azure OpenAI streams', () => {
  it('skip the prompt-filter chunk with no choices and read the usage chunk at the end', async () => {
    answer = () =>
      sse(
        [
          {
            data: {
              id: '',
              object: '',
              created: 0,
              model: '',
              choices: [],
              prompt_filter_results: [
                { prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } },
              ],
            },
          },
          chunk({ role: 'assistant', content: '' }),
          chunk({ content: 'Hel' }, null, { content_filter_results: {} }),
          chunk({ content: 'lo' }),
          chunk({}, 'stop'),
          chunk(null, null, { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }),
        ],
        { done: true },
      )
    const { events, response } = await streamed()
    expect(textOf(events)).toBe('Hello')
    expect(response).toMatchObject({
      message: { content: 'Hello' },
      finishReason: 'stop',
      usage: { inputTokens: 9, outputTokens: 2 },
      modelId: 'gpt-4o-2024-08-06',
    })
  })
})

describe('keep-alive comments between chunks (OpenRouter)', () => {
  it('are skipped', async () => {
    answer = () =>
      sse(
        [
          { ...chunk({ role: 'assistant', content: 'Hi' }), comment: 'OPENROUTER PROCESSING' },
          { ...chunk({}, 'stop'), comment: 'OPENROUTER PROCESSING' },
        ],
        { done: true },
      )
    const { events, response } = await streamed(local())
    expect(textOf(events)).toBe('Hi')
    expect(response.finishReason).toBe('stop')
  })
})

describe('servers that reuse one tool call index for several calls (Ollama)', () => {
  const calls = [
    { id: 'call_h1', name: 'write', args: { path: 'hello.py' } },
    { id: 'call_w2', name: 'write', args: { path: 'world.py' } },
  ]
  const toolCall = (c: (typeof calls)[number]) => ({
    index: 0,
    id: c.id,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.args) },
  })
  const expected = calls.map((c) => ({ id: c.id, name: c.name, args: c.args }))

  it('keeps calls apart when each comes whole in its own chunk, all with index 0', async () => {
    answer = () =>
      sse(
        [
          chunk({ role: 'assistant', content: '' }),
          chunk({ tool_calls: [toolCall(calls[0]!)] }),
          chunk({ tool_calls: [toolCall(calls[1]!)] }),
          chunk({}, 'stop'),
        ],
        { done: true },
      )
    const { events, response } = await streamed(local())
    expect(response.message.toolCalls).toEqual(expected)
    expect(response.finishReason).toBe('tool-calls')
    const heads = events.filter((e) => e.type === 'tool-call-delta' && e.id)
    expect(heads.map((e) => e.type === 'tool-call-delta' && e.index)).toEqual([0, 1])
  })

  it('keeps calls apart when they share one chunk with the same index', async () => {
    answer = () => sse([chunk({ tool_calls: calls.map(toolCall) }), chunk({}, 'tool_calls')], { done: true })
    expect((await streamed(local())).response.message.toolCalls).toEqual(expected)
  })

  it('still joins the pieces of one call that repeat its id and index', async () => {
    answer = () =>
      sse(
        [
          chunk({
            tool_calls: [
              { index: 0, id: 'call_1', type: 'function', function: { name: 'write', arguments: '{"pa' } },
            ],
          }),
          chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { arguments: 'th":"a"}' } }] }),
          chunk({
            tool_calls: [
              { index: 1, id: 'call_2', type: 'function', function: { name: 'write', arguments: '{}' } },
            ],
          }),
          chunk({}, 'tool_calls'),
        ],
        { done: true },
      )
    expect((await streamed(local())).response.message.toolCalls).toEqual([
      { id: 'call_1', name: 'write', args: { path: 'a' } },
      { id: 'call_2', name: 'write', args: {} },
    ])
  })
})

describe("a call's first piece under another index than the rest (SGLang)", () => {
  it('joins the pieces into one call', async () => {
    answer = () =>
      sse(
        [
          // The tool's place in the tool list (2), then the call's place (0).
          chunk({
            tool_calls: [
              { index: 2, id: 'call_s1', type: 'function', function: { name: 'write', arguments: '' } },
            ],
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"notes.md"}' } }] }),
          chunk({}, 'tool_calls'),
        ],
        { done: true },
      )
    const { response } = await streamed(local())
    expect(response.message.toolCalls).toEqual([{ id: 'call_s1', name: 'write', args: { path: 'notes.md' } }])
    expect(response.finishReason).toBe('tool-calls')
  })
})

describe('a refusal after some text', () => {
  it('keeps the text before the refusal: the text deltas, joined, are the text of the response', async () => {
    answer = () =>
      sse(
        [
          chunk({ role: 'assistant', content: 'I can explain the idea. ' }),
          chunk({ refusal: 'I cannot give ' }),
          chunk({ refusal: 'the exact steps.' }),
          chunk({}, 'stop'),
        ],
        { done: true },
      )
    const { events, response } = await streamed(gpt())
    const text = events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('')
    expect(response.message.content).toBe('I can explain the idea. I cannot give the exact steps.')
    expect(text).toBe(response.message.content)
    expect(response.finishReason).toBe('refusal')
  })
})

describe('finish_reason tool_calls with no tool call (vLLM)', () => {
  it('is an ordinary stop, plain and streamed', async () => {
    answer = (body) =>
      body.stream
        ? sse([chunk({ role: 'assistant', content: 'No tool needed.' }), chunk({}, 'tool_calls')], {
            done: true,
          })
        : json(completion({ content: 'No tool needed.', tool_calls: [] }, 'tool_calls'))
    const plain = await local().generate(request)
    expect(plain.finishReason).toBe('stop')
    expect(plain.message).toEqual({ role: 'assistant', content: 'No tool needed.' })
    const { response } = await streamed(local())
    expect([response.finishReason, response.message]).toEqual([plain.finishReason, plain.message])
  })
})

describe('content as a list of parts (Mistral)', () => {
  const parts = [
    { type: 'thinking', thinking: [{ type: 'text', text: 'They want a greeting.' }] },
    { type: 'text', text: 'Hello ' },
    { type: 'text', text: 'there.' },
  ]
  it('reads the text parts as the answer and the thinking parts as reasoning, plain and streamed', async () => {
    answer = (body) =>
      body.stream
        ? sse(
            [
              chunk({ role: 'assistant', content: '' }),
              chunk({ content: [parts[0]] }),
              chunk({ content: [parts[1]] }),
              chunk({ content: 'there.' }),
              chunk({}, 'stop'),
            ],
            { done: true },
          )
        : json(completion({ content: parts }, 'stop'))
    const plain = await local().generate(request)
    expect(plain.message.content).toBe('Hello there.')
    expect(plain.message.reasoning?.map((r) => r.text)).toEqual(['They want a greeting.'])
    const { events, response } = await streamed(local())
    expect(textOf(events)).toBe('Hello there.')
    expect(response.message.content).toBe('Hello there.')
    expect(response.message.reasoning?.map((r) => r.text)).toEqual(['They want a greeting.'])
  })

  it('a content that is neither text nor parts is a clear error', async () => {
    answer = () => json(completion({ content: 42 }, 'stop'))
    const error = await rejection(local().generate(request))
    expect(error.message).toContain('the message content is number 42, not text or a list of content parts')
  })
})

describe('an error sent inside a 200 stream', () => {
  it('is retried when it is a server error, and the retry says so', async () => {
    let n = 0
    answer = () =>
      ++n === 1
        ? sse([
            chunk({ role: 'assistant', content: 'Par' }),
            {
              data: {
                error: {
                  message: 'The server had an error while processing your request. Sorry about that!',
                  type: 'server_error',
                  param: null,
                  code: null,
                },
              },
            },
          ])
        : sse([chunk({ content: 'Whole' }), chunk({}, 'stop')], { done: true })
    const retries: RetryInfo[] = []
    const { events, response } = await streamed(gpt(), (info) => retries.push(info))
    expect(retries).toHaveLength(1)
    expect(retries[0]!.message).toMatch(/server had an error/)
    expect(events.some((e) => e.type === 'restart')).toBe(true)
    expect(response.message.content).toBe('Whole')
  })
})

describe('a server that refuses stream_options', () => {
  it('gets the stream without it, at once and from then on', async () => {
    answer = (body) =>
      body.stream_options
        ? json(
            {
              error: {
                message: "Unknown parameter: 'stream_options'.",
                type: 'invalid_request_error',
                param: 'stream_options',
                code: 'unknown_parameter',
              },
            },
            400,
          )
        : sse([chunk({ content: 'streamed' }), chunk({}, 'stop')], { done: true })
    const model = local()
    const retries: RetryInfo[] = []
    expect((await streamed(model, (info) => retries.push(info))).response.message.content).toBe('streamed')
    expect((await streamed(model)).response.message.content).toBe('streamed')
    expect(retries).toEqual([])
    expect(bodies.map((b) => 'stream_options' in b)).toEqual([true, false, false])
  })

  it('a 400 about anything else is not sent again', async () => {
    answer = () =>
      json(
        {
          error: {
            message: "Unknown parameter: 'foo'.",
            type: 'invalid_request_error',
            param: 'foo',
            code: null,
          },
        },
        400,
      )
    await rejection(streamed(local()))
    expect(bodies).toHaveLength(1)
  })
})

describe('HTTP errors with OpenAI bodies', () => {
  /** OpenAI's answer to a key out of credit. */
  const outOfQuota = (headers?: Record<string, string>) =>
    json(
      {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          param: null,
          code: 'insufficient_quota',
        },
      },
      429,
      headers,
    )

  it('429 insufficient_quota is not retried: waiting does not add credit', async () => {
    answer = () => outOfQuota()
    const retries: RetryInfo[] = []
    const error = await rejection(gpt().generate(request, { onRetry: (info) => retries.push(info) }))
    expect(retries).toEqual([])
    expect(bodies).toHaveLength(1)
    expect(error.message).toMatch(/exceeded your current quota/)
    expect(error.details).toMatchObject({ status: 429, retryable: false })
  })

  it('429 insufficient_quota does not hold the other calls of the key as a rate limit would', async () => {
    answer = () => outOfQuota({ 'retry-after': '20' })
    await rejection(gpt().generate(request))
    // A refusal for want of credit says nothing of the pace: the next call is not paused for 20 s
    // (with a 5-second deadline, a pause would have refused it at once as RATE_LIMITED).
    answer = () => json(completion({ content: 'ok' }, 'stop'))
    const queued: unknown[] = []
    const response = await gpt().generate(request, {
      deadline: Date.now() + 5_000,
      onQueued: (info) => queued.push(info),
    })
    expect(response.message.content).toBe('ok')
    expect(queued).toEqual([])
  })

  it('429 rate_limit_exceeded is still retried, after retry-after-ms', async () => {
    let n = 0
    answer = () =>
      ++n === 1
        ? json(
            {
              error: {
                message:
                  'Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 30000, Requested 500.',
                type: 'tokens',
                param: null,
                code: 'rate_limit_exceeded',
              },
            },
            429,
            { 'retry-after-ms': '7', 'retry-after': '1' },
          )
        : json(completion({ content: 'ok' }, 'stop'))
    const retries: RetryInfo[] = []
    const response = await gpt().generate(request, { onRetry: (info) => retries.push(info) })
    expect(response.message.content).toBe('ok')
    expect(retries.map((r) => [r.status, r.delayMs])).toEqual([[429, 7]])
  })
})
