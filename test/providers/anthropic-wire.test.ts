/**
 * Anthropic Messages shapes from the real API (server tools and citations, whitespace-only text
 * blocks, thinking across providers, pause_turn, empty error results, usage of a streamed
 * answer) replayed through the real `@anthropic-ai/sdk`, plain and streamed.
 */
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Message, Model, ModelRequest } from '../../src/index.js'
import { anthropic } from '../../src/providers/anthropic/index.js'
import {
  BASE_URL,
  type Block,
  type Captured,
  message,
  type Reply,
  repliesHandler,
  sseEvents,
  sseResponse,
  text,
  thinking,
  toolUse,
} from './wire/anthropic.js'
import { json, type RawEvent, sse, streamAll, textOf } from './wire/raw.js'

const KEY = 'sk-ant-wireProbeKEY-0123456789abcdef'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

/** Answers the next requests with `replies`, in order; returns what the server received. */
function serve(...replies: (Reply | ((captured: Captured) => Reply))[]): Captured[] {
  const captured: Captured[] = []
  server.use(repliesHandler(KEY, replies, captured))
  return captured
}

const make = (options: Parameters<typeof anthropic>[1] = {}): Model =>
  anthropic('claude-sonnet-4-5', { apiKey: KEY, baseURL: BASE_URL, retry: { baseDelayMs: 1 }, ...options })

const lookupSpec = { name: 'lookup', description: 'Looks up a word', parameters: { type: 'object' } }
const ask: ModelRequest = {
  messages: [{ role: 'user', content: 'What is new in Node 24?' }],
  tools: [lookupSpec],
}

const citation = {
  type: 'web_search_result_location',
  cited_text: 'Node.js 24 ships V8 13.6 and npm 11.',
  url: 'https://nodejs.org/en/blog/release/v24.0.0',
  title: 'Node.js 24.0.0',
  encrypted_index: 'Eo8BCioIAhgBIiQ3YTA1',
}
const serverToolUse: Block = {
  type: 'server_tool_use',
  id: 'srvtoolu_01WYG3ziw53XMcoyKL4XcZmE',
  name: 'web_search',
  input: { query: 'node 24 release' },
}
const searchResult: Block = {
  type: 'web_search_tool_result',
  tool_use_id: 'srvtoolu_01WYG3ziw53XMcoyKL4XcZmE',
  content: [
    {
      type: 'web_search_result',
      title: 'Node.js 24.0.0',
      url: 'https://nodejs.org/en/blog/release/v24.0.0',
      encrypted_content: 'EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2M',
      page_age: 'May 6, 2025',
    },
  ],
}
const searched = message(
  [
    text('\n\n'),
    serverToolUse,
    searchResult,
    { type: 'text', text: 'Node 24 ', citations: null },
    { type: 'text', text: 'ships V8 13.6.', citations: [citation] },
  ],
  {
    stop: 'end_turn',
    usage: {
      input_tokens: 2109,
      output_tokens: 88,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    },
  },
)

/** The events of `searched` as the API streams them: the search result whole, citations as deltas. */
function searchedEvents(): RawEvent[] {
  const start = {
    ...searched,
    content: [],
    stop_reason: null,
    usage: { ...searched.usage, output_tokens: 3 },
  }
  const events: RawEvent[] = [{ event: 'message_start', data: { type: 'message_start', message: start } }]
  const block = (index: number, content_block: Block, deltas: object[]) => {
    events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block } })
    for (const delta of deltas)
      events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } })
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } })
  }
  block(0, { type: 'text', text: '' }, [{ type: 'text_delta', text: '\n\n' }])
  block(1, { ...serverToolUse, input: {} }, [
    { type: 'input_json_delta', partial_json: '' },
    { type: 'input_json_delta', partial_json: '{"query": "node 24' },
    { type: 'input_json_delta', partial_json: ' release"}' },
  ])
  block(2, searchResult, [])
  block(3, { type: 'text', text: '' }, [{ type: 'text_delta', text: 'Node 24 ' }])
  events.push({ event: 'ping', data: { type: 'ping' } })
  block(4, { type: 'text', text: '', citations: [] }, [
    { type: 'citations_delta', citation },
    { type: 'text_delta', text: 'ships V8 13.6.' },
  ])
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        // The API repeats the input counts here (running totals), with the server tool count.
        usage: {
          input_tokens: 2109,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 88,
          server_tool_use: { web_search_requests: 1 },
        },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  )
  return events
}

describe('anthropic: server tools and citations', () => {
  it('read the text around a web search, plain and streamed alike, with the usage counted once', async () => {
    serve(searched, () => sse(searchedEvents()))
    const plain = await make().generate(ask)
    expect(plain.message.content).toBe('\n\nNode 24 ships V8 13.6.')
    expect(plain.message.toolCalls).toBeUndefined()
    expect(plain.finishReason).toBe('stop')
    expect(plain.usage).toEqual({ inputTokens: 2109, outputTokens: 88 })
    const { events, response } = await streamAll(make(), ask)
    expect(textOf(events)).toBe(plain.message.content)
    expect(response.usage).toEqual(plain.usage)
    const blocks = response.message.provider?.data as Block[]
    expect(blocks[1]).toEqual(serverToolUse)
    expect(blocks[2]).toEqual(searchResult)
    expect(blocks[4]).toEqual({ type: 'text', text: 'ships V8 13.6.', citations: [citation] })
  })

  it('go back on the next request as received, without the whitespace-only text block the API refuses', async () => {
    const seen = serve(searched, message([text('You are welcome.')]))
    const first = await make().generate(ask)
    await make().generate({
      ...ask,
      messages: [...ask.messages, first.message, { role: 'user', content: 'thanks' }],
    })
    const sent = seen[1]!.body.messages[1]!.content as Block[]
    expect(sent).toEqual(searched.content.slice(1))
  })

  it('a whitespace-only answer next to a tool call goes back as the tool call alone', async () => {
    const seen = serve(message([text(' \n'), toolUse('toolu_1', 'lookup', {})]), message([text('done')]))
    const first = await make().generate(ask)
    expect(first.message.toolCalls).toEqual([{ id: 'toolu_1', name: 'lookup', args: {} }])
    await make().generate({
      ...ask,
      messages: [
        ...ask.messages,
        first.message,
        { role: 'tool', toolCallId: 'toolu_1', toolName: 'lookup', content: 'nothing' },
      ],
    })
    expect(seen[1]!.body.messages[1]!.content).toEqual([toolUse('toolu_1', 'lookup', {})])
  })
})

describe('anthropic: tool results', () => {
  it('an empty result gets a placeholder text: the API refuses an empty error result', async () => {
    const seen = serve(message([text('ok')]))
    const call = { id: 'toolu_e', name: 'lookup', args: {} }
    await make().generate({
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', content: '', toolCalls: [call, { ...call, id: 'toolu_f' }] },
        { role: 'tool', toolCallId: 'toolu_e', toolName: 'lookup', content: '', isError: true },
        { role: 'tool', toolCallId: 'toolu_f', toolName: 'lookup', content: '  ' },
      ],
    })
    const results = seen[0]!.body.messages[2]!.content as Block[]
    expect(results).toHaveLength(2)
    for (const result of results) {
      expect(typeof result.content).toBe('string')
      expect(String(result.content).trim()).not.toBe('')
    }
    expect(results[0]).toMatchObject({ tool_use_id: 'toolu_e', is_error: true })
  })
})

describe('anthropic: extended thinking across providers', () => {
  const thinkingModel = () => make({ thinking: { budgetTokens: 2048 } })
  const loop = (assistant: Message): ModelRequest => ({
    ...ask,
    messages: [
      ...ask.messages,
      assistant,
      { role: 'tool', toolCallId: 'call_1', toolName: 'lookup', content: 'found' },
    ],
  })

  it('is left off a request whose tool loop began without a thinking block (another provider began it)', async () => {
    const seen = serve(message([text('ok')]))
    await thinkingModel().generate(
      loop({ role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'lookup', args: {} }] }),
    )
    expect(seen[0]!.body.thinking).toBeUndefined()
  })

  it('thinking asked for through params is left off the same way', async () => {
    const seen = serve(message([text('ok')]))
    await make({ params: { thinking: { type: 'adaptive' } } }).generate(
      loop({ role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'lookup', args: {} }] }),
    )
    expect(seen[0]!.body.thinking).toBeUndefined()
  })

  it('stays on when the tool loop began with a thinking block, and on a new user turn', async () => {
    const seen = serve(message([text('ok')]), message([text('ok')]))
    await thinkingModel().generate(
      loop({
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'lookup', args: {} }],
        provider: {
          name: 'anthropic',
          data: [thinking('look it up', 'sig=='), toolUse('call_1', 'lookup', {})],
        },
      }),
    )
    expect(seen[0]!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 })
    await thinkingModel().generate({
      ...ask,
      messages: [
        ...loop({ role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'lookup', args: {} }] })
          .messages,
        { role: 'assistant', content: 'It is found.' },
        { role: 'user', content: 'And now?' },
      ],
    })
    expect(seen[1]!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 })
  })
})

describe('anthropic: pause_turn', () => {
  const paused = message([serverToolUse], {
    stop: 'pause_turn',
    usage: { input_tokens: 100, output_tokens: 10 },
  })
  const resumed = message([searchResult, text('Node 24 ships V8 13.6.')], {
    stop: 'end_turn',
    usage: { input_tokens: 300, output_tokens: 20 },
  })

  it('is continued by sending the paused turn back, and the answer is the whole turn (plain)', async () => {
    const seen = serve(paused, resumed)
    const response = await make().generate(ask)
    expect(seen).toHaveLength(2)
    const messages = seen[1]!.body.messages
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant'])
    expect(messages[1]!.content).toEqual([serverToolUse])
    expect(response.finishReason).toBe('stop')
    expect(response.message.content).toBe('Node 24 ships V8 13.6.')
    expect(response.message.provider?.data).toEqual([
      serverToolUse,
      searchResult,
      text('Node 24 ships V8 13.6.'),
    ])
    expect(response.usage).toEqual({ inputTokens: 400, outputTokens: 30 })
  })

  it('is continued the same way when streamed', async () => {
    const seen = serve(
      () => sseResponse(sseEvents(paused)),
      () => sseResponse(sseEvents(resumed)),
    )
    const { events, response } = await streamAll(make(), ask)
    expect(seen).toHaveLength(2)
    expect(seen[1]!.body.messages[1]!.content).toEqual([serverToolUse])
    expect(textOf(events)).toBe('Node 24 ships V8 13.6.')
    expect(events.filter((e) => e.type === 'finish')).toHaveLength(1)
    expect(response.message.provider?.data).toEqual([
      serverToolUse,
      searchResult,
      text('Node 24 ships V8 13.6.'),
    ])
    expect(response.usage).toEqual({ inputTokens: 400, outputTokens: 30 })
  })
})

describe('anthropic: a paused turn within its max_tokens', () => {
  const pausedAfter = (output: number) =>
    message([serverToolUse], { stop: 'pause_turn', usage: { input_tokens: 100, output_tokens: output } })
  const resumed = message([text('Done.')], {
    stop: 'end_turn',
    usage: { input_tokens: 300, output_tokens: 20 },
  })

  it('lets each continuation write only what the calls before it left of the answer’s max_tokens', async () => {
    const seen = serve(pausedAfter(300), pausedAfter(500), resumed)
    const response = await make().generate({ ...ask, maxTokens: 1_000 })
    expect(seen.map((call) => call.body.max_tokens)).toEqual([1_000, 700, 200])
    expect(response.finishReason).toBe('stop')
    expect(response.usage.outputTokens).toBe(820)
  })

  it('ends the answer as cut at its limit when a pause leaves nothing of it, plain or streamed', async () => {
    const plain = serve(pausedAfter(600), pausedAfter(400), resumed)
    const cut = await make().generate({ ...ask, maxTokens: 1_000 })
    expect(plain).toHaveLength(2)
    expect(cut.finishReason).toBe('length')
    expect(cut.usage.outputTokens).toBe(1_000)

    const streamed = serve(
      () => sseResponse(sseEvents(pausedAfter(600))),
      () => sseResponse(sseEvents(pausedAfter(400))),
      () => sseResponse(sseEvents(resumed)),
    )
    const { events, response } = await streamAll(make(), { ...ask, maxTokens: 1_000 })
    expect(streamed).toHaveLength(2)
    expect(streamed[1]!.body.max_tokens).toBe(400)
    expect(events.filter((e) => e.type === 'finish')).toHaveLength(1)
    expect(response.finishReason).toBe('length')
  })
})

describe('anthropic: a refusal streams its whole text', () => {
  it('the text deltas, joined, are the text of the response', async () => {
    const refused = message([text('I can help with part of that.')], {
      stop: 'refusal',
      stopDetails: { type: 'refusal', category: 'cyber', explanation: 'This could cause harm.' },
    })
    serve(refused)
    const { events, response } = await streamAll(make(), ask)
    expect(response.finishReason).toBe('refusal')
    expect(textOf(events)).toBe(response.message.content)
  })
})

describe('anthropic: errors', () => {
  it('a 400 names what the API says is wrong and is not retried', async () => {
    const seen = serve(() =>
      json(
        {
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: 'messages.1.content.0.tool_result: content cannot be empty if `is_error` is true',
          },
          request_id: 'req_011CXq',
        },
        400,
      ),
    )
    await expect(make().generate(ask)).rejects.toThrow(/content cannot be empty/)
    expect(seen).toHaveLength(1)
  })
})
