/**
 * Reasoning on OpenAI-compatible servers (DeepSeek's thinking mode, vLLM, Ollama): the reasoning
 * an assistant message came with goes back on it, byte for byte and under the field it came in,
 * or the server refuses the next request of a tool loop.
 */
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  defineAgent,
  defineTool,
  type Message,
  type Model,
  type ModelRequest,
  type ModelStreamEvent,
  run,
} from '../../src/index.js'
import { compatible } from '../../src/providers/openai-chat/index.js'
import {
  DEEPSEEK_URL,
  type ReasoningField,
  type Seen,
  type ThinkingAnswer,
  thinkingHandler,
} from './wire/deepseek.js'
import type { Json } from './wire/openai-chat.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

// Spaces at both ends, blank lines, quotes, a backslash and characters outside ASCII: all must survive.
const THOUGHT =
  ' The user wants tomorrow\'s weather in Hangzhou (杭州).\n\nI should call get_weather with "Hangzhou" — date 2025-12-03\\local.  '
const CALL = {
  id: 'call_00_kQ3bX8vLr2mN5pT7wY9zA1cD',
  name: 'get_weather',
  arguments: '{"location":"Hangzhou"}',
}

const weather = defineTool({
  name: 'get_weather',
  description: 'The weather forecast for a place',
  input: z.object({ location: z.string() }),
  run: ({ location }) => `${location}: 7~13°C, light rain`,
})

const assistants = (body: Json) => (body.messages as Json[]).filter((m) => m.role === 'assistant')

/** First a tool call with `THOUGHT`, then an answer. */
function serve(field: ReasoningField = 'reasoning_content'): Seen[] {
  const seen: Seen[] = []
  const reply = (body: Json): ThinkingAnswer =>
    assistants(body).length === 0
      ? { reasoning: THOUGHT, call: CALL }
      : { reasoning: 'I have the forecast.', content: 'Tomorrow in Hangzhou: light rain, 7~13°C.' }
  server.use(thinkingHandler(DEEPSEEK_URL, reply, seen, field))
  return seen
}

const model = (name = 'deepseek-reasoner'): Model =>
  compatible(name, { baseURL: DEEPSEEK_URL, apiKey: 'sk-test-deepseek-0123456789', retry: false })

const ask: ModelRequest = {
  messages: [{ role: 'user', content: "How's the weather in Hangzhou tomorrow?" }],
  tools: [weather.spec],
}

async function streamed(m: Model, request: ModelRequest) {
  const events: ModelStreamEvent[] = []
  for await (const event of m.stream!(request)) events.push(event)
  const last = events.at(-1)
  if (last?.type !== 'finish') throw new Error(`the stream ended with ${last?.type}`)
  return { events, response: last.response }
}

/** The request after a tool call: the assistant message as it came, then the tool's result. */
function next(assistant: Message): ModelRequest {
  const call = assistant.role === 'assistant' ? assistant.toolCalls?.[0] : undefined
  if (!call) throw new Error('expected a tool call')
  return {
    ...ask,
    messages: [
      ...ask.messages,
      assistant,
      { role: 'tool', toolCallId: call.id, toolName: call.name, content: 'Hangzhou: 7~13°C, light rain' },
    ],
  }
}

describe('compatible: reasoning_content goes back on the assistant message (DeepSeek thinking mode)', () => {
  it('a tool loop run with run() passes the reasoning back byte for byte', async () => {
    const seen = serve()
    const agent = defineAgent({
      name: 'forecaster',
      instructions: 'Answer briefly.',
      model: model(),
      tools: [weather],
    })
    const result = await run(agent, "How's the weather in Hangzhou tomorrow?")
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('done')
    expect(result.output).toBe('Tomorrow in Hangzhou: light rain, 7~13°C.')
    expect(seen).toHaveLength(2)
    const [sent] = assistants(seen[1]!.body)
    expect(sent!.reasoning_content).toBe(THOUGHT)
    expect(sent!.tool_calls).toHaveLength(1)
    // Byte for byte in the request text too: the same JSON string the server sent.
    expect(seen[1]!.raw).toContain(`"reasoning_content":${JSON.stringify(THOUGHT)}`)
  })

  it('streamed: the reasoning deltas assemble to the same text, which goes back whole', async () => {
    const seen = serve()
    const first = await streamed(model(), ask)
    const deltas = first.events.filter((e) => e.type === 'reasoning-delta').map((e) => e.text)
    expect(deltas.length).toBeGreaterThan(10)
    expect(deltas.join('')).toBe(THOUGHT)
    expect(first.response.message.reasoning?.[0]?.text).toBe(THOUGHT)
    const second = await streamed(model(), next(first.response.message))
    expect(second.response.message.content).toBe('Tomorrow in Hangzhou: light rain, 7~13°C.')
    expect(assistants(seen[1]!.body)[0]!.reasoning_content).toBe(THOUGHT)
  })

  it('plain and streamed calls give the same message, usage included', async () => {
    serve()
    const plain = await model().generate(ask)
    const { response } = await streamed(model(), ask)
    expect(response).toEqual(plain)
    // DeepSeek counts reasoning and cache hits inside completion and prompt tokens (total 443).
    expect(plain.usage).toEqual({
      inputTokens: 345,
      cachedInputTokens: 320,
      outputTokens: 98,
      reasoningTokens: 71,
    })
  })

  it('the server does refuse an assistant message without it (what the fix prevents)', async () => {
    serve()
    const first = await model().generate(ask)
    const { reasoning: _dropped, ...bare } = first.message
    const error = await model()
      .generate(next(bare))
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      )
    expect(error?.message).toContain('Missing `reasoning_content` field')
  })

  it('reasoning from another provider is not sent to this server', async () => {
    const seen = serve()
    const first = await model().generate(ask)
    const foreign: Message = {
      ...first.message,
      reasoning: [
        { text: 'thought elsewhere', provider: 'anthropic', data: { signature: 'EqQBCkYIBxgCKkD' } },
      ],
    }
    await model()
      .generate(next(foreign))
      .catch(() => undefined)
    const [sent] = assistants(seen[1]!.body)
    expect(sent).not.toHaveProperty('reasoning_content')
    expect(sent).not.toHaveProperty('reasoning')
  })
})

describe('compatible: reasoning without provider data', () => {
  it('goes to a compatible server as reasoning_content (a message recorded before parts had data)', async () => {
    const seen = serve()
    const first = await model().generate(ask)
    const old: Message = { ...first.message, reasoning: [{ text: THOUGHT }] }
    const answer = await model().generate(next(old))
    expect(answer.message.content).toBe('Tomorrow in Hangzhou: light rain, 7~13°C.')
    expect(assistants(seen[1]!.body)[0]!.reasoning_content).toBe(THOUGHT)
  })
})

describe('compatible: servers that name the field `reasoning` (vLLM, Ollama)', () => {
  it('get it back under that name, plain and streamed', async () => {
    const seen = serve('reasoning')
    const plain = await model('qwen3-8b').generate(ask)
    expect(plain.message.reasoning?.[0]?.text).toBe(THOUGHT)
    await model('qwen3-8b').generate(next(plain.message))
    const first = await streamed(model('qwen3-8b'), ask)
    expect(first.response).toEqual(plain)
    await streamed(model('qwen3-8b'), next(first.response.message))
    for (const index of [1, 3]) {
      const [sent] = assistants(seen[index]!.body)
      expect(sent!.reasoning).toBe(THOUGHT)
      expect(sent).not.toHaveProperty('reasoning_content')
    }
  })
})
