/**
 * Usage as each wire format reports it → tokens and cost. Providers disagree on whether
 * reasoning is inside the output count (OpenAI: yes; xAI: no, only the total has it) and whether
 * cache reads are inside the input count (OpenAI, DeepSeek: yes; Anthropic and some servers: no).
 * Every shape must cost what was used: each test prices a run and checks its costUsd, and that a
 * streamed call reads the same usage.
 */
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  defineAgent,
  type Model,
  type ModelRequest,
  type ModelStreamEvent,
  type PriceTable,
  run,
  type Usage,
} from '../../src/index.js'
import { anthropic } from '../../src/providers/anthropic/index.js'
import { openaiResponses } from '../../src/providers/index.js'
import { compatible, openai } from '../../src/providers/openai-chat/index.js'
import { BASE_URL as ANTHROPIC_URL, message, messagesHandler, text } from './wire/anthropic.js'
import {
  chunkObjects,
  completionObject,
  type Json,
  OLLAMA_URL,
  OPENAI_URL,
  sseResponse,
} from './wire/openai-chat.js'
import {
  item,
  responseObject,
  sseResponse as responsesSse,
  streamEvents as responsesStream,
} from './wire/openai-responses.js'

const KEY = 'sk-test-usage-0123456789'
const PRICE = { input: 2, cachedInput: 0.5, output: 8 }
const ask: ModelRequest = { messages: [{ role: 'user', content: 'hi' }], tools: [] }

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

/** Chat Completions answering 'hello' with exactly this `usage` object, plain or streamed. */
function chatUsage(baseURL: string, usage: Json) {
  server.use(
    http.post(`${baseURL}/chat/completions`, async ({ request }) => {
      const body = (await request.json()) as Json
      const answer = { content: 'hello', model: body.model }
      if (!body.stream) return HttpResponse.json({ ...completionObject(answer), usage })
      const chunks = chunkObjects(answer, { includeUsage: true })
      chunks[chunks.length - 1]!.usage = usage
      return sseResponse(chunks)
    }),
  )
}

/** The Responses API answering 'hello' with exactly this `usage` object. */
function responsesUsage(usage: Json) {
  server.use(
    http.post(`${OPENAI_URL}/responses`, async ({ request }) => {
      const body = (await request.json()) as Json
      const response = { ...responseObject({ output: [item.message('hello')], model: body.model }), usage }
      return body.stream ? responsesSse(responsesStream(response)) : HttpResponse.json(response)
    }),
  )
}

async function streamedUsage(model: Model): Promise<Usage> {
  let last: ModelStreamEvent | undefined
  for await (const event of model.stream!(ask)) last = event
  if (last?.type !== 'finish') throw new Error('the stream did not finish')
  return last.response.usage
}

/** Plain and streamed usage, and the cost of a one-step run priced with `PRICE`. */
async function measure(model: Model) {
  const plain = (await model.generate(ask)).usage
  const streamed = await streamedUsage(model)
  const prices: PriceTable = { [model.id]: PRICE }
  const result = await run(defineAgent({ name: 'a', instructions: 'x', model }), 'hi', { prices })
  expect(result.status).toBe('done')
  return { plain, streamed, costUsd: result.usage.costUsd }
}

const dollars = (input: number, cached: number, output: number) =>
  ((input - cached) * PRICE.input + cached * PRICE.cachedInput + output * PRICE.output) / 1e6

describe('usage: reasoning tokens inside or outside the output count', () => {
  it('OpenAI chat: reasoning is a part of completion_tokens (total = prompt + completion)', async () => {
    chatUsage(OPENAI_URL, {
      prompt_tokens: 1200,
      completion_tokens: 500,
      total_tokens: 1700,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 320, audio_tokens: 0 },
    })
    const m = await measure(openai('o4-mini', { apiKey: KEY, baseURL: OPENAI_URL }))
    const usage = { inputTokens: 1200, cachedInputTokens: 1024, outputTokens: 500, reasoningTokens: 320 }
    expect(m.plain).toEqual(usage)
    expect(m.streamed).toEqual(usage)
    expect(m.costUsd).toBeCloseTo(dollars(1200, 1024, 500), 12)
  })

  it('xAI: reasoning beside completion_tokens, more of it than completion (grok-3-mini)', async () => {
    chatUsage(OLLAMA_URL, {
      prompt_tokens: 32,
      completion_tokens: 9,
      total_tokens: 135,
      prompt_tokens_details: { text_tokens: 32, audio_tokens: 0, image_tokens: 0, cached_tokens: 6 },
      completion_tokens_details: {
        reasoning_tokens: 94,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
      num_sources_used: 0,
    })
    const m = await measure(compatible('grok-3-mini', { apiKey: KEY, baseURL: OLLAMA_URL }))
    const usage = { inputTokens: 32, cachedInputTokens: 6, outputTokens: 103, reasoningTokens: 94 }
    expect(m.plain).toEqual(usage)
    expect(m.streamed).toEqual(usage)
    expect(m.costUsd).toBeCloseTo(dollars(32, 6, 103), 12)
  })

  it('xAI: reasoning beside completion_tokens, less of it than completion (the total tells)', async () => {
    chatUsage(OLLAMA_URL, {
      prompt_tokens: 410,
      completion_tokens: 600,
      total_tokens: 1250,
      prompt_tokens_details: { text_tokens: 410, cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 240 },
    })
    const m = await measure(compatible('grok-4', { apiKey: KEY, baseURL: OLLAMA_URL }))
    expect(m.plain).toEqual({ inputTokens: 410, outputTokens: 840, reasoningTokens: 240 })
    expect(m.streamed).toEqual(m.plain)
    expect(m.costUsd).toBeCloseTo(dollars(410, 0, 840), 12)
  })

  it('Gemini (OpenAI-compatible endpoint): thoughts counted in total_tokens only', async () => {
    chatUsage(OLLAMA_URL, { prompt_tokens: 8, completion_tokens: 15, total_tokens: 650 })
    const m = await measure(compatible('gemini-2.5-flash', { apiKey: KEY, baseURL: OLLAMA_URL }))
    expect(m.plain).toEqual({ inputTokens: 8, outputTokens: 642, reasoningTokens: 627 })
    expect(m.streamed).toEqual(m.plain)
    expect(m.costUsd).toBeCloseTo(dollars(8, 0, 642), 12)
  })

  it('Responses API: inside (OpenAI) and beside (a total that counts it apart)', async () => {
    responsesUsage({
      input_tokens: 800,
      input_tokens_details: { cached_tokens: 512 },
      output_tokens: 300,
      output_tokens_details: { reasoning_tokens: 192 },
      total_tokens: 1100,
    })
    const inside = await measure(openaiResponses('gpt-5-mini', { apiKey: KEY, baseURL: OPENAI_URL }))
    expect(inside.plain).toEqual({
      inputTokens: 800,
      cachedInputTokens: 512,
      outputTokens: 300,
      reasoningTokens: 192,
    })
    expect(inside.streamed).toEqual(inside.plain)
    expect(inside.costUsd).toBeCloseTo(dollars(800, 512, 300), 12)

    responsesUsage({
      input_tokens: 800,
      input_tokens_details: { cached_tokens: 512 },
      output_tokens: 300,
      output_tokens_details: { reasoning_tokens: 192 },
      total_tokens: 1292,
    })
    const beside = await measure(openaiResponses('grok-4', { apiKey: KEY, baseURL: OPENAI_URL }))
    expect(beside.plain).toEqual({
      inputTokens: 800,
      cachedInputTokens: 512,
      outputTokens: 492,
      reasoningTokens: 192,
    })
    expect(beside.streamed).toEqual(beside.plain)
    expect(beside.costUsd).toBeCloseTo(dollars(800, 512, 492), 12)
  })
})

describe('usage: cached tokens inside or outside the input count', () => {
  it('DeepSeek: cache hits inside prompt_tokens, also as prompt_cache_hit_tokens', async () => {
    chatUsage(OLLAMA_URL, {
      prompt_tokens: 2000,
      completion_tokens: 150,
      total_tokens: 2150,
      prompt_cache_hit_tokens: 1920,
      prompt_cache_miss_tokens: 80,
    })
    const m = await measure(compatible('deepseek-chat', { apiKey: KEY, baseURL: OLLAMA_URL }))
    expect(m.plain).toEqual({ inputTokens: 2000, cachedInputTokens: 1920, outputTokens: 150 })
    expect(m.streamed).toEqual(m.plain)
    expect(m.costUsd).toBeCloseTo(dollars(2000, 1920, 150), 12)
  })

  it('a server that counts cached tokens beside prompt_tokens (the total, or a larger count, tells)', async () => {
    chatUsage(OLLAMA_URL, {
      prompt_tokens: 100,
      completion_tokens: 50,
      total_tokens: 550,
      prompt_tokens_details: { cached_tokens: 400 },
    })
    const byTotal = await measure(compatible('kimi-k2', { apiKey: KEY, baseURL: OLLAMA_URL }))
    expect(byTotal.plain).toEqual({ inputTokens: 500, cachedInputTokens: 400, outputTokens: 50 })
    expect(byTotal.streamed).toEqual(byTotal.plain)
    expect(byTotal.costUsd).toBeCloseTo(dollars(500, 400, 50), 12)

    chatUsage(OLLAMA_URL, {
      prompt_tokens: 100,
      completion_tokens: 50,
      prompt_tokens_details: { cached_tokens: 400 },
    })
    const bySize = await measure(compatible('kimi-k2', { apiKey: KEY, baseURL: OLLAMA_URL }))
    expect(bySize.plain).toEqual({ inputTokens: 500, cachedInputTokens: 400, outputTokens: 50 })
    expect(bySize.costUsd).toBeCloseTo(dollars(500, 400, 50), 12)
  })

  it('Anthropic: cache reads and writes beside input_tokens, thinking inside output_tokens', async () => {
    const answer = message([text('hello')], {
      usage: {
        input_tokens: 40,
        cache_read_input_tokens: 3000,
        cache_creation_input_tokens: 0,
        output_tokens: 700,
      },
    })
    server.use(messagesHandler(KEY, () => answer))
    const m = await measure(anthropic('claude-haiku-4-5', { apiKey: KEY, baseURL: ANTHROPIC_URL }))
    expect(m.plain).toEqual({ inputTokens: 3040, cachedInputTokens: 3000, outputTokens: 700 })
    expect(m.streamed).toEqual(m.plain)
    expect(m.costUsd).toBeCloseTo(dollars(3040, 3000, 700), 12)
  })

  it('a total equal to prompt + completion changes nothing', async () => {
    chatUsage(OLLAMA_URL, { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 })
    const m = await measure(compatible('llama3.1', { baseURL: OLLAMA_URL }))
    expect(m.plain).toEqual({ inputTokens: 10, outputTokens: 4 })
    expect(m.costUsd).toBeCloseTo(dollars(10, 0, 4), 12)
  })
})
