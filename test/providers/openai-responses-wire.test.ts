/**
 * Responses API shapes from the real API (refusals streamed as refusal deltas, reasoning items
 * without encrypted content, error and failure events in a 200 stream, citations) replayed
 * through the real `openai` SDK, plain and streamed.
 */
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Model, ModelRequest, RetryInfo } from '../../src/index.js'
import { openaiResponses } from '../../src/providers/openai-responses/index.js'
import { rejection } from '../helpers.js'
import {
  BASE_URL,
  type Captured,
  item,
  type Json,
  type Reply,
  responseObject,
  responsesHandler,
  sseResponse,
  streamEvents,
} from './wire/openai-responses.js'
import { sse, streamAll, textOf } from './wire/raw.js'

const KEY = 'sk-proj-respWIREprobeKEY-0123456789'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

function serve(...replies: (Reply | ((body: Json) => Reply))[]): Captured[] {
  const log: Captured[] = []
  server.use(
    responsesHandler((body, n) => {
      const reply = replies[n]
      if (!reply) throw new Error(`unexpected request #${n + 1}`)
      return typeof reply === 'function' ? reply(body) : reply
    }, log),
  )
  return log
}

const make = (options: Parameters<typeof openaiResponses>[1] = {}): Model =>
  openaiResponses('gpt-5-mini', { apiKey: KEY, baseURL: BASE_URL, retry: { baseDelayMs: 1 }, ...options })

const ask: ModelRequest = {
  messages: [{ role: 'user', content: 'Look it up.' }],
  tools: [{ name: 'lookup', description: 'Looks up a word', parameters: { type: 'object' } }],
}

describe('openaiResponses: a refusal', () => {
  it('streams as text: the text deltas, joined, are the refusal the response ends with', async () => {
    serve({ output: [item.refusal("I'm sorry, I can't help with that.")] })
    const { events, response } = await streamAll(make(), ask)
    expect(response.finishReason).toBe('refusal')
    expect(response.message.content).toBe("I'm sorry, I can't help with that.")
    expect(textOf(events)).toBe(response.message.content)
  })
})

describe('openaiResponses: reasoning items that came without encrypted content', () => {
  // A reasoning item with only an id: the API looks it up and, with store: false, answers 404
  // "Item with id 'rs_…' not found. Items are not persisted when `store` is set to false".
  const bare = { id: 'rs_68af00bare', type: 'reasoning', summary: [] }
  const call = item.functionCall('call_1', 'lookup', '{"q":"a"}')
  const message = item.message('Looking.')
  /** The first answer, then the request that sends it back with its call's result. */
  const toolLoop = async () => {
    const first = await make().generate(ask)
    await make().generate({
      ...ask,
      messages: [
        ...ask.messages,
        first.message,
        { role: 'tool', toolCallId: 'call_1', toolName: 'lookup', content: 'found' },
      ],
    })
  }

  it('are not sent back, and neither are the ids of the items they came with', async () => {
    const log = serve({ output: [bare, message, call] }, { output: [item.message('done')] })
    await toolLoop()
    const input = log[1]!.body.input as Json[]
    expect(input.some((i) => i.type === 'reasoning')).toBe(false)
    expect(input.some((i) => typeof i.id === 'string')).toBe(false)
    expect(input).toContainEqual({
      type: 'function_call',
      call_id: 'call_1',
      name: 'lookup',
      arguments: '{"q":"a"}',
    })
    expect(input).toContainEqual({ type: 'function_call_output', call_id: 'call_1', output: 'found' })
    expect(JSON.stringify(input)).toContain('Looking.')
  })

  it('with encrypted content they go back whole, ids and all', async () => {
    const reasoning = item.reasoning('rs_68af00enc', ['Plan.'], 'gAAAAABo-encrypted')
    const log = serve({ output: [reasoning, message, call] }, { output: [item.message('done')] })
    await toolLoop()
    expect((log[1]!.body.input as Json[]).slice(1, 4)).toEqual([reasoning, message, call])
  })
})

describe('openaiResponses: failures inside a 200 stream', () => {
  it('an error event as the API nests it (error.type server_error) is retried', async () => {
    serve(
      () =>
        sse([
          {
            event: 'response.created',
            data: {
              type: 'response.created',
              sequence_number: 0,
              response: responseObject({ output: [] }),
            },
          },
          {
            event: 'error',
            data: {
              type: 'error',
              sequence_number: 1,
              error: {
                type: 'server_error',
                code: 'server_error',
                message: 'The server had an error processing your request.',
                param: null,
              },
            },
          },
        ]),
      () => sseResponse(streamEvents(responseObject({ output: [item.message('recovered')] }))),
    )
    const retries: RetryInfo[] = []
    const { response } = await streamAll(make(), ask, (info) => retries.push(info))
    expect(retries).toHaveLength(1)
    expect(retries[0]!.message).toMatch(/server had an error/)
    expect(response.message.content).toBe('recovered')
  })

  it('a flat error event naming context_length_exceeded is a CONTEXT_LENGTH error, not retried', async () => {
    const log = serve(() =>
      sse([
        {
          event: 'error',
          data: {
            type: 'error',
            sequence_number: 0,
            code: 'context_length_exceeded',
            message:
              'Your input exceeds the context window of this model. Please adjust your input and try again.',
            param: 'input',
          },
        },
      ]),
    )
    const error = await rejection(
      (async () => {
        for await (const _ of make().stream!(ask)) {
        }
      })(),
    )
    expect(log).toHaveLength(1)
    expect(error.message).toMatch(/exceeds the context window/)
    expect(error.details).toMatchObject({ code: 'CONTEXT_LENGTH', retryable: false })
  })

  it('response.failed with rate_limit_exceeded is retried; with invalid_prompt it is not', async () => {
    const failed = (code: string, message: string) =>
      sseResponse(streamEvents(responseObject({ output: [], status: 'failed', error: { code, message } })))
    serve(
      () => failed('rate_limit_exceeded', 'Rate limit reached.'),
      { output: [item.message('ok')] },
      () => failed('invalid_prompt', 'Invalid prompt: flagged.'),
    )
    const retries: RetryInfo[] = []
    expect((await streamAll(make(), ask, (info) => retries.push(info))).response.message.content).toBe('ok')
    expect(retries).toHaveLength(1)
    const error = await rejection(streamAll(make(), ask))
    expect(error.message).toMatch(/Invalid prompt: flagged/)
    expect(retries).toHaveLength(1)
  })
})

describe('openaiResponses: citations and server-side tool items', () => {
  it('read the text, keep the items, and send them back as they came', async () => {
    const search = {
      id: 'ws_68af01',
      type: 'web_search_call',
      status: 'completed',
      action: { type: 'search', query: 'node 24' },
    }
    const cited = {
      ...item.message('Node 24 ships V8 13.6.'),
      content: [
        {
          type: 'output_text',
          text: 'Node 24 ships V8 13.6.',
          logprobs: [],
          annotations: [
            {
              type: 'url_citation',
              start_index: 0,
              end_index: 22,
              url: 'https://nodejs.org/',
              title: 'Node.js',
            },
          ],
        },
      ],
    }
    const log = serve(
      { output: [search, cited] },
      { output: [search, cited] },
      { output: [item.message('ok')] },
    )
    const plain = await make().generate(ask)
    const { events, response } = await streamAll(make(), ask)
    expect(plain.message.content).toBe('Node 24 ships V8 13.6.')
    expect(textOf(events)).toBe(plain.message.content)
    expect(response.message).toEqual(plain.message)
    await make().generate({
      ...ask,
      messages: [...ask.messages, plain.message, { role: 'user', content: 'thanks' }],
    })
    expect((log[2]!.body.input as Json[]).slice(1, 3)).toEqual([search, cited])
  })
})
