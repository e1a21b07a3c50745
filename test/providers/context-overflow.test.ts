import { HttpResponse, http } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type BatonEvent,
  type ContextOptions,
  defineAgent,
  defineTool,
  readTranscript,
  replay,
  resetCircuits,
  stream,
} from '../../src/index.js'
import { collect, ofType, recordedOf } from '../helpers.js'
import {
  anthropicMessages,
  type Json,
  openaiChat,
  openaiError,
  openaiResponsesApi,
  WIRES,
  type Wire,
} from './wire/faults.js'
import { wireServer } from './wire/msw-run.js'
import * as responses from './wire/openai-responses.js'

const { server, transcript: record } = wireServer('baton-overflow-')
beforeEach(() => resetCircuits())

/** The characters of one page: three pages and their calls pass LIMIT, two do not. */
const PAGE_CHARS = 4_000
const LIMIT = 11_000
const PAGES = 3
const page = (n: number) =>
  `Page ${n}. ${'The tide tables list high and low water for the harbour. '.repeat(PAGE_CHARS / 50)}`.slice(
    0,
    PAGE_CHARS,
  )

const readPage = defineTool({
  name: 'read_page',
  description: 'Reads one page of the report.',
  input: z.object({ n: z.number() }),
  idempotent: true,
  run: ({ n }) => page(n),
})

/** Each provider's own refusal of a request too long for the model's window (HTTP 400). */
const TOO_LONG: Record<string, { message: string; refuse: () => Response }> = {
  [openaiChat.name]: {
    message: "This model's maximum context length is 128000 tokens",
    refuse: () =>
      openaiError(
        400,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130012 tokens. Please reduce the length of the messages.",
        { param: 'messages', code: 'context_length_exceeded' },
      ),
  },
  [anthropicMessages.name]: {
    message: 'prompt is too long: 208432 tokens > 200000 maximum',
    refuse: () =>
      HttpResponse.json(
        {
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: 'prompt is too long: 208432 tokens > 200000 maximum',
          },
          request_id: 'req_011CTooLong0a1b2c3d',
        },
        { status: 400, headers: { 'request-id': 'req_011CTooLong0a1b2c3d' } },
      ),
  },
  [openaiResponsesApi.name]: {
    message: 'Your input exceeds the context window of this model',
    refuse: () =>
      openaiError(
        400,
        'Your input exceeds the context window of this model. Please adjust your input and try again.',
        { param: 'input', code: 'context_length_exceeded' },
      ),
  },
}

type Kind = 'tool' | 'final' | 'summary' | 'refused'

/** One request the server saw: its size in characters, what it was answered with, its body. */
interface Hit {
  chars: number
  kind: Kind
  body: Json
}

const SUMMARY = 'The agent read pages 1 and 2 of the tide report; both list high and low water.'
const FINAL = `Read all ${PAGES} pages.`

/** The number of the last tool result a request carries (0 for none): `call_<n>`. */
function lastPage(wire: Wire, body: Json): number {
  const last = wire.toolResults(body).at(-1)
  return last ? Number(/^call_(\d+)$/.exec(last.id)?.[1]) : 0
}

/**
 * The provider: a request over LIMIT characters is refused as too long (and, when `sticky`,
 * every request after a refusal); a request with no tools is a summary request, answered with
 * SUMMARY; otherwise the model reads the next page until it has read PAGES of them, then answers.
 */
function provider(
  wire: Wire,
  hits: Hit[],
  options: { sticky?: boolean; refuse?: (body: Json) => Response } = {},
) {
  return http.post(wire.url, async ({ request }) => {
    const raw = await request.text()
    const body = JSON.parse(raw) as Json
    const hit = (kind: Kind) => hits.push({ chars: raw.length, kind, body })
    if (raw.length > LIMIT || (options.sticky && hits.some((h) => h.kind === 'refused'))) {
      hit('refused')
      return options.refuse ? options.refuse(body) : TOO_LONG[wire.name]!.refuse()
    }
    if (!body.tools?.length) {
      hit('summary')
      return wire.text(body, SUMMARY)
    }
    const read = lastPage(wire, body)
    if (read >= PAGES) {
      hit('final')
      return wire.text(body, FINAL)
    }
    hit('tool')
    const n = read + 1
    return wire.toolCall(body, { id: `call_${n}`, name: 'read_page', args: JSON.stringify({ n }) })
  })
}

function reader(wire: Wire, context: ContextOptions) {
  return defineAgent({
    name: 'reader',
    instructions: 'Read the report page by page with read_page, then say how many pages you read.',
    model: wire.make(),
    tools: [readPage],
    // A window so large that Baton's own estimate never passes the threshold: only the provider can refuse.
    context: { window: 1_000_000, keepTurns: 1, ...context },
  })
}

/** The index of the first event matching `test`, failing when there is none. */
function indexOf(events: readonly BatonEvent[], test: (event: BatonEvent) => boolean, what: string): number {
  const at = events.findIndex(test)
  expect(at, `no ${what} in the transcript`).toBeGreaterThanOrEqual(0)
  return at
}

describe.each(WIRES.map((wire) => [wire.name, wire] as const))(
  '%s: a request refused as too long',
  (_name, wire) => {
    describe.each([false, true])('streamed: %s', (streamed) => {
      it('stubs the old tool results into memory and retries once, at the next step; the transcript replays', async () => {
        const hits: Hit[] = []
        server.use(provider(wire, hits))
        const agent = reader(wire, { summarize: false })
        const path = record()
        const { events, result } = await collect(
          stream(agent, 'How many pages?', { record: path, deltas: streamed }),
        )

        expect(result.status).toBe('done')
        expect(result.output).toBe(FINAL)
        // Three pages read, the fourth request refused, the fifth (compacted) accepted.
        expect(hits.map((h) => h.kind)).toEqual(['tool', 'tool', 'tool', 'refused', 'final'])
        const [refused, retried] = [hits[3]!, hits[4]!]
        expect(refused.chars).toBeGreaterThan(LIMIT)
        expect(retried.chars).toBeLessThanOrEqual(LIMIT)
        expect(retried.chars).toBeLessThan(refused.chars)
        // The retried request: the older results are stubs naming their memory keys, the last one whole.
        const sent = wire.toolResults(retried.body)
        expect(sent.map((r) => r.id)).toEqual(['call_1', 'call_2', 'call_3'])
        for (const [i, key] of ['context/root/call_1', 'context/root/call_2'].entries()) {
          expect(String(sent[i]!.content)).toMatch(/^\[compacted: /)
          expect(String(sent[i]!.content)).toContain(`"${key}"`)
        }
        expect(JSON.stringify(sent[2]!.content)).toContain(page(3))

        // The transcript: the refusal, then the compaction that answers it, then the retry.
        const transcript = readTranscript(path)
        const recorded = transcript.events
        expect(recorded.map((e) => e.type)).toEqual(recordedOf(events).map((e) => e.type))
        const error = indexOf(recorded, (e) => e.type === 'model.error', 'model.error')
        const compact = indexOf(recorded, (e) => e.type === 'context.compact', 'context.compact')
        const retry = indexOf(
          recorded,
          (e) => e.type === 'model.request' && e.path === 'root/5/model',
          'retry',
        )
        const answer = indexOf(
          recorded,
          (e) => e.type === 'model.response' && e.path === 'root/5/model',
          'answer',
        )
        expect(error).toBeLessThan(compact)
        expect(compact).toBeLessThan(retry)
        expect(retry).toBeLessThan(answer)
        const failure = recorded[error]!
        expect(failure.type === 'model.error' && failure.path).toBe('root/4/model')
        if (failure.type === 'model.error') {
          expect(failure.error.code).toBe('MODEL_ERROR')
          expect(failure.error.details).toMatchObject({
            code: 'CONTEXT_LENGTH',
            status: 400,
            retryable: false,
          })
          expect(failure.error.message).toContain(TOO_LONG[wire.name]!.message)
        }
        const compaction = ofType(recorded, 'context.compact')
        expect(compaction).toHaveLength(1)
        expect(compaction[0]).toMatchObject({
          path: 'root/5/compact',
          reason: 'overflow',
          stubbed: ['context/root/call_1', 'context/root/call_2'],
          summarized: 0,
          window: 1_000_000,
        })
        expect(compaction[0]!.tokensAfter).toBeLessThan(compaction[0]!.tokensBefore)
        expect(ofType(recorded, 'model.error')).toHaveLength(1)
        const end = recorded.at(-1)!
        expect(end.type === 'run.end' && end.status).toBe('done')

        // The whole results are in memory under the keys the stubs name.
        const memory = new Map(result.memory.map((entry) => [entry.key, entry.value]))
        expect(memory.get('context/root/call_1')).toBe(page(1))
        expect(memory.get('context/root/call_2')).toBe(page(2))

        // Offline: no handler is left (an unhandled request would fail), and none arrives.
        server.resetHandlers()
        const replayed = await replay(transcript, agent)
        expect(hits).toHaveLength(5)
        expect(replayed.status).toBe('done')
        expect(replayed.output).toBe(FINAL)
        expect(replayed.divergences).toEqual([])
        expect(replayed.live).toEqual({ model: 0, tool: 0 })
        expect(replayed.memory.map((e) => [e.key, e.value])).toEqual(
          result.memory.map((e) => [e.key, e.value]),
        )
      })

      it('summarises the older turns by a model call when stubs are off, and retries with the summary', async () => {
        const hits: Hit[] = []
        server.use(provider(wire, hits))
        const agent = reader(wire, { stubResults: false })
        const path = record()
        const { result } = await collect(stream(agent, 'How many pages?', { record: path, deltas: streamed }))

        expect(result.status).toBe('done')
        expect(result.output).toBe(FINAL)
        expect(hits.map((h) => h.kind)).toEqual(['tool', 'tool', 'tool', 'refused', 'summary', 'final'])
        const [refused, summary, retried] = [hits[3]!, hits[4]!, hits[5]!]
        expect(retried.chars).toBeLessThan(refused.chars)
        // The summariser read the older turns (the first two pages), not the last one.
        const asked = JSON.stringify(summary.body)
        expect(asked).toContain('Page 1.')
        expect(asked).toContain('Page 2.')
        expect(asked).not.toContain('Page 3.')
        // The retry holds the summary in place of the older turns, and only the last result.
        expect(JSON.stringify(retried.body)).toContain(SUMMARY)
        expect(wire.toolResults(retried.body).map((r) => r.id)).toEqual(['call_3'])

        const transcript = readTranscript(path)
        const recorded = transcript.events
        const error = indexOf(recorded, (e) => e.type === 'model.error', 'model.error')
        const summarised = indexOf(
          recorded,
          (e) => e.type === 'model.response' && e.path === 'root/5/compact/model',
          'the summary call',
        )
        const compact = indexOf(recorded, (e) => e.type === 'context.compact', 'context.compact')
        const retry = indexOf(
          recorded,
          (e) => e.type === 'model.request' && e.path === 'root/5/model',
          'retry',
        )
        expect(error).toBeLessThan(summarised)
        expect(summarised).toBeLessThan(compact)
        expect(compact).toBeLessThan(retry)
        const failure = recorded[error]!
        expect(failure.type === 'model.error' && failure.error.details?.code).toBe('CONTEXT_LENGTH')
        const [compaction] = ofType(recorded, 'context.compact')
        // The two older turns: two assistant messages and their two results.
        expect(compaction).toMatchObject({
          path: 'root/5/compact',
          reason: 'overflow',
          stubbed: [],
          summarized: 4,
        })
        expect(compaction!.tokensAfter).toBeLessThan(compaction!.tokensBefore)
        expect(result.memory).toEqual([])

        server.resetHandlers()
        const replayed = await replay(transcript, agent)
        expect(hits).toHaveLength(6)
        expect(replayed.status).toBe('done')
        expect(replayed.output).toBe(FINAL)
        expect(replayed.divergences).toEqual([])
        expect(replayed.live).toEqual({ model: 0, tool: 0 })
      })
    })

    it('ends CONTEXT_LIMIT when the first request is already too long: there is nothing to compact', async () => {
      const hits: Hit[] = []
      server.use(provider(wire, hits))
      const path = record()
      const task = `Summarise this: ${page(0).repeat(3)}`
      const { result } = await collect(stream(reader(wire, {}), task, { record: path }))

      expect(result.status).toBe('error')
      expect(result.stopReason).toBe('CONTEXT_LIMIT')
      expect(result.error?.code).toBe('CONTEXT_LIMIT')
      expect(result.error?.message).toBe(
        'the provider refused the request of agent "reader" as too long, and its history has nothing left to compact',
      )
      expect(hits.map((h) => h.kind)).toEqual(['refused'])
      const recorded = readTranscript(path).events
      expect(ofType(recorded, 'model.error').map((e) => e.error.details?.code)).toEqual(['CONTEXT_LENGTH'])
      expect(ofType(recorded, 'context.compact')).toEqual([])
      const end = recorded.at(-1)!
      expect(end.type === 'run.end' && [end.status, end.error?.code]).toEqual(['error', 'CONTEXT_LIMIT'])
    })

    it('retries only once: a refusal that persists after compaction ends the run with the provider error', async () => {
      const hits: Hit[] = []
      // A model whose window is smaller than what any compaction reaches: every later request is refused too.
      server.use(provider(wire, hits, { sticky: true }))
      const path = record()
      const { result } = await collect(
        stream(reader(wire, { summarize: false }), 'How many pages?', { record: path }),
      )

      expect(result.status).toBe('error')
      expect(result.stopReason).toBe('MODEL_ERROR')
      expect(result.error?.details?.code).toBe('CONTEXT_LENGTH')
      expect(result.error?.message).toContain(TOO_LONG[wire.name]!.message)
      expect(hits.map((h) => h.kind)).toEqual(['tool', 'tool', 'tool', 'refused', 'refused'])
      expect(hits[4]!.chars).toBeLessThan(hits[3]!.chars)
      const recorded = readTranscript(path).events
      expect(ofType(recorded, 'model.error').map((e) => e.path)).toEqual(['root/4/model', 'root/5/model'])
      expect(ofType(recorded, 'context.compact').map((e) => [e.path, e.reason])).toEqual([
        ['root/5/compact', 'overflow'],
      ])
    })

    it('with retryOnOverflow: false, the refusal ends the run as a MODEL_ERROR, nothing compacted', async () => {
      const hits: Hit[] = []
      server.use(provider(wire, hits))
      const path = record()
      const { result } = await collect(
        stream(reader(wire, { retryOnOverflow: false }), 'How many pages?', { record: path }),
      )

      expect(result.status).toBe('error')
      expect(result.stopReason).toBe('MODEL_ERROR')
      expect(result.error?.code).toBe('MODEL_ERROR')
      expect(result.error?.details).toMatchObject({ code: 'CONTEXT_LENGTH', status: 400 })
      expect(result.error?.message).toContain(TOO_LONG[wire.name]!.message)
      expect(hits.map((h) => h.kind)).toEqual(['tool', 'tool', 'tool', 'refused'])
      const recorded = readTranscript(path).events
      expect(ofType(recorded, 'context.compact')).toEqual([])
      expect(result.memory).toEqual([])
    })
  },
)

const WINDOW_MESSAGE =
  'Your input exceeds the context window of this model. Please adjust your input and try again.'

/** The first events of a streamed Responses answer, before it fails. */
const started = (body: Json) =>
  responses.streamEvents(responses.responseObject({ output: [], model: body.model })).slice(0, 2)

/**
 * The same refusal in the other forms providers send it: Anthropic's wording when the input and
 * `max_tokens` together pass the window, and the Responses API's refusal inside a stream that
 * began with a 200 (a `response.failed`, or an `error` event, flat as documented or with the
 * error nested as it has been seen on the wire).
 */
const OTHER_FORMS: [string, Wire, boolean, (body: Json) => Response][] = [
  [
    'Anthropic: input length and `max_tokens` exceed context limit',
    anthropicMessages,
    false,
    () =>
      HttpResponse.json(
        {
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message:
              'input length and `max_tokens` exceed context limit: 199759 + 8192 > 200000, decrease input length or `max_tokens` and try again',
          },
        },
        { status: 400 },
      ),
  ],
  [
    'Responses, streamed: response.failed with context_length_exceeded',
    openaiResponsesApi,
    true,
    (body) =>
      responses.sseResponse(
        responses.streamEvents(
          responses.responseObject({
            output: [],
            model: body.model,
            status: 'failed',
            error: { code: 'context_length_exceeded', message: WINDOW_MESSAGE },
          }),
        ),
      ),
  ],
  [
    'Responses, streamed: an error event (flat)',
    openaiResponsesApi,
    true,
    (body) =>
      responses.sseResponse([
        ...started(body),
        {
          type: 'error',
          code: 'context_length_exceeded',
          message: WINDOW_MESSAGE,
          param: 'input',
          sequence_number: 2,
        },
      ]),
  ],
  [
    'Responses, streamed: an error event (nested)',
    openaiResponsesApi,
    true,
    (body) =>
      responses.sseResponse([
        ...started(body),
        {
          type: 'error',
          sequence_number: 2,
          error: {
            type: 'invalid_request_error',
            code: 'context_length_exceeded',
            message: WINDOW_MESSAGE,
            param: 'input',
          },
        },
      ]),
  ],
]

describe('a refusal as too long in the other forms providers send it', () => {
  it.each(OTHER_FORMS)(
    '%s: classified CONTEXT_LENGTH, compacted and retried',
    async (_form, wire, streamed, refuse) => {
      const hits: Hit[] = []
      server.use(provider(wire, hits, { refuse }))
      const path = record()
      const { result } = await collect(
        stream(reader(wire, { summarize: false }), 'How many pages?', { record: path, deltas: streamed }),
      )
      const [failure] = ofType(readTranscript(path).events, 'model.error')
      expect(failure?.error.details?.code).toBe('CONTEXT_LENGTH')
      expect(result.status).toBe('done')
      expect(hits.map((h) => h.kind)).toEqual(['tool', 'tool', 'tool', 'refused', 'final'])
      expect(ofType(readTranscript(path).events, 'context.compact').map((e) => e.reason)).toEqual([
        'overflow',
      ])
    },
  )
})

describe('the context.compact event a stream hands out', () => {
  it('is the compaction as it was recorded: later turns do not grow its messages', async () => {
    const hits: Hit[] = []
    server.use(provider(openaiChat, hits))
    const path = record()
    const { events, result } = await collect(
      stream(reader(openaiChat, { summarize: false }), 'How many pages?', { record: path }),
    )
    expect(result.status).toBe('done')
    const [streamed] = ofType(events, 'context.compact')
    const [recorded] = ofType(readTranscript(path).events, 'context.compact')
    // The history after compaction ends with the last page's result; the answer came after it.
    expect(recorded!.messages.at(-1)).toMatchObject({ role: 'tool', toolCallId: 'call_3' })
    expect(streamed!.messages).toEqual(recorded!.messages)
    expect(readTranscript(path).events).toEqual(recordedOf(events))
  })
})
