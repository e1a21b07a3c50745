import { HttpResponse } from 'msw'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  BatonError,
  defineAgent,
  defineTool,
  fallback,
  readTranscript,
  replay,
  resetCircuits,
  run,
  stream,
} from '../../src/index.js'
import { anthropic, compatible } from '../../src/providers/index.js'
import { collect, ofType, recordedOf, streamedText } from '../helpers.js'
import * as claude from './wire/anthropic.js'
import {
  ANTHROPIC_URL,
  anthropicMessages,
  CHAT_URL,
  type Hit,
  KEY,
  openaiChat,
  openaiResponsesApi,
  scripted,
  WIRES,
  type Wire,
} from './wire/faults.js'
import { wireServer } from './wire/msw-run.js'
import * as responses from './wire/openai-responses.js'

const { server, transcript: transcriptPath } = wireServer('baton-fallback-')
beforeEach(() => resetCircuits())

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks up a word',
  input: z.object({ q: z.string() }),
  run: ({ q }) => `found ${q}`,
})

/** A tool call id in the style of each provider, one with characters Anthropic does not take. */
const CALL_IDS: Record<string, string> = {
  [openaiChat.name]: 'call_Xy12.ab:3',
  [anthropicMessages.name]: 'toolu_01AbCdEf',
  [openaiResponsesApi.name]: 'call_resp_77',
}

const PAIRS: [Wire, Wire][] = [
  [openaiChat, anthropicMessages],
  [anthropicMessages, openaiChat],
  [openaiResponsesApi, anthropicMessages],
  [anthropicMessages, openaiResponsesApi],
  [openaiChat, openaiResponsesApi],
]

const modelIdOf = (wire: Wire) => wire.make().id

/**
 * A clock on which the default retry policy's backoffs (seconds at most) pass at once, and its
 * per-attempt timeout (two minutes) never does.
 */
function instantClock() {
  return {
    now: () => Date.now(),
    setTimeout: (fn: () => void, ms: number) => {
      let cancelled = false
      if (ms < 60_000)
        queueMicrotask(() => {
          if (!cancelled) fn()
        })
      return () => {
        cancelled = true
      }
    },
  }
}

describe.each([false, true])('a chain across providers (streamed: %s)', (streamed) => {
  it.each(PAIRS.map(([a, b]) => [`${a.name} → ${b.name}`, a, b] as const))(
    '%s: the next provider answers with the whole history, and the switch is recorded and replayed',
    async (_title, first, second) => {
      const firstHits: Hit[] = []
      const secondHits: Hit[] = []
      const callId = CALL_IDS[first.name]!
      server.use(
        scripted(
          first.url,
          [
            ({ body }) => first.toolCall(body, { id: callId, name: 'lookup', args: '{"q":"tide"}' }),
            () => first.error(503, 'the server is overloaded'),
            () => first.error(503, 'the server is overloaded'),
          ],
          firstHits,
        ),
        scripted(second.url, [({ body }) => second.text(body, 'High tide at noon.')], secondHits),
      )
      const agent = defineAgent({
        name: 'tides',
        instructions: 'Answer briefly.',
        model: fallback([first.make({ retry: { maxAttempts: 2, baseDelayMs: 5 } }), second.make()]),
        tools: [lookup],
      })
      const record = transcriptPath()
      const prices = {
        [modelIdOf(first)]: { input: 1, output: 1 },
        [modelIdOf(second)]: { input: 100, output: 100 },
      }
      const { events, result } = await collect(
        stream(agent, 'When is high tide?', { record, prices, deltas: streamed }),
      )
      expect(result.status).toBe('done')
      expect(result.output).toBe('High tide at noon.')
      expect(firstHits).toHaveLength(3)
      expect(secondHits).toHaveLength(1)

      // The second provider got the first one's tool call and its result, linked.
      const sent = second.toolResults(secondHits[0]!.body)
      expect(sent.map((r) => r.content)).toEqual(['found tide'])
      expect(second.replayedArgs(secondHits[0]!.body).map((args) => JSON.parse(args))).toEqual([
        { q: 'tide' },
      ])
      const history = JSON.stringify(secondHits[0]!.body)
      expect(history).toContain(JSON.stringify(sent[0]!.id))
      if (second === anthropicMessages) expect(sent[0]!.id).toMatch(/^[a-zA-Z0-9_-]+$/)

      // The switch, in the stream and in the transcript.
      const switches = ofType(events, 'model.fallback')
      expect(switches.map(({ path, from, to, code, status }) => ({ path, from, to, code, status }))).toEqual([
        {
          path: 'root/2/model',
          from: modelIdOf(first),
          to: modelIdOf(second),
          code: 'HTTP_503',
          status: 503,
        },
      ])
      const responses = ofType(events, 'model.response')
      expect(responses.map((r) => r.model)).toEqual([modelIdOf(first), modelIdOf(second)])
      // Priced as the model that answered: the second one's price is 100 times the first one's
      // (both OpenAI APIs name the model alike: one price for both).
      const [one, two] = responses
      const perToken = (r: typeof one) => r!.costUsd / (r!.usage.inputTokens + r!.usage.outputTokens)
      const samePrice = modelIdOf(first) === modelIdOf(second)
      expect(perToken(two)).toBeCloseTo(100 / 1e6, 10)
      expect(perToken(one)).toBeCloseTo((samePrice ? 100 : 1) / 1e6, 10)
      if (streamed) {
        // What was shown of the failed attempt is void; what stays is the answer.
        expect(streamedText(events).get('root/2/model')).toBe('High tide at noon.')
      }
      const transcript = readTranscript(record)
      expect(transcript.events).toEqual(recordedOf(events))

      // Offline: no request reaches either provider; the switch is told again.
      server.resetHandlers()
      const replayed = await replay(transcript, agent)
      expect(replayed.status).toBe('done')
      expect(replayed.output).toBe('High tide at noon.')
      expect(replayed.divergences).toEqual([])
      expect(replayed.live).toEqual({ model: 0, tool: 0 })
      expect(replayed.usage.costUsd).toBeCloseTo(result.usage.costUsd, 12)
    },
  )
})

describe('reasoning in the history of another provider', () => {
  it.each([
    ['Anthropic thinking blocks', anthropicMessages, openaiChat],
    ['OpenAI encrypted reasoning items', openaiResponsesApi, anthropicMessages],
  ] as const)(
    '%s stay with their provider: the next one gets the calls and results, not them',
    async (_what, first, second) => {
      const secondHits: Hit[] = []
      const reasoned = ({ body }: { body: Record<string, unknown> }) =>
        first === anthropicMessages
          ? HttpResponse.json(
              claude.message([
                claude.thinking('Weigh the tide tables.', 'SIGNED-THOUGHT'),
                claude.toolUse('toolu_01Tide', 'lookup', { q: 'tide' }),
              ]),
            )
          : HttpResponse.json(
              responses.responseObject({
                model: String(body.model),
                output: [
                  responses.item.reasoning('rs_1', ['Weigh the tide tables.'], 'SIGNED-THOUGHT'),
                  responses.item.functionCall('call_tide', 'lookup', '{"q":"tide"}'),
                ],
              }),
            )
      server.use(
        scripted(
          first.url,
          [reasoned, () => first.error(503, 'overloaded'), () => first.error(503, 'overloaded')],
          [],
        ),
        scripted(second.url, [({ body }) => second.text(body, 'Noon.')], secondHits),
      )
      const agent = defineAgent({
        name: 'thinker',
        instructions: 'Answer.',
        model: fallback([first.make({ retry: { maxAttempts: 2, baseDelayMs: 5 } }), second.make()]),
        tools: [lookup],
      })
      const result = await run(agent, 'When is high tide?')
      expect(result.output).toBe('Noon.')
      const sent = JSON.stringify(secondHits[0]!.body)
      expect(sent).not.toContain('SIGNED-THOUGHT')
      expect(sent).not.toContain('Weigh the tide tables.')
      expect(second.toolResults(secondHits[0]!.body).map((r) => r.content)).toEqual(['found tide'])
    },
  )
})

describe('a chain named by a model string', () => {
  it('runs `openai:…,anthropic:…` as a chain, keys and servers from the environment', async () => {
    vi.stubEnv('OPENAI_API_KEY', KEY)
    vi.stubEnv('OPENAI_BASE_URL', CHAT_URL)
    vi.stubEnv('ANTHROPIC_API_KEY', KEY)
    vi.stubEnv('ANTHROPIC_BASE_URL', ANTHROPIC_URL)
    try {
      const firstHits: Hit[] = []
      server.use(
        scripted(
          openaiChat.url,
          Array.from({ length: 4 }, () => () => openaiChat.error(529, 'overloaded')),
          firstHits,
        ),
        scripted(anthropicMessages.url, [({ body }) => anthropicMessages.text(body, 'Claude here.')], []),
      )
      const agent = defineAgent({
        name: 'strings',
        instructions: 'Answer.',
        model: 'openai:gpt-test,anthropic:claude-haiku-4-5',
      })
      const { events, result } = await collect(stream(agent, 'Who is there?', { clock: instantClock() }))
      expect(result.output).toBe('Claude here.')
      expect(firstHits).toHaveLength(4)
      expect(ofType(events, 'agent.start')[0]!.model).toBe(
        'fallback:openai:gpt-test,anthropic:claude-haiku-4-5',
      )
      expect(ofType(events, 'model.fallback').map((e) => e.code)).toEqual(['HTTP_529'])
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe('what a chain does not move on from', () => {
  it('a configuration error (401) ends the run at the first model: the next one is not asked', async () => {
    const firstHits: Hit[] = []
    const secondHits: Hit[] = []
    server.use(
      scripted(openaiChat.url, [() => openaiChat.error(401, 'Incorrect API key provided')], firstHits),
      scripted(anthropicMessages.url, [({ body }) => anthropicMessages.text(body, 'unused')], secondHits),
    )
    const agent = defineAgent({
      name: 'keyless',
      instructions: 'Answer.',
      model: fallback([openaiChat.make(), anthropicMessages.make()]),
    })
    const { events, result } = await collect(stream(agent, 'Hello?'))
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('MODEL_ERROR')
    expect(result.error?.message).toContain('Incorrect API key provided')
    expect(firstHits).toHaveLength(1)
    expect(secondHits).toHaveLength(0)
    expect(ofType(events, 'model.fallback')).toEqual([])
  })

  it('a request too long for the first model goes to the next one (its window may be bigger)', async () => {
    const secondHits: Hit[] = []
    server.use(
      scripted(
        openaiChat.url,
        [
          () =>
            openaiChat.error(
              400,
              "This model's maximum context length is 128000 tokens. However, your messages resulted in 190000 tokens.",
            ),
        ],
        [],
      ),
      scripted(
        anthropicMessages.url,
        [({ body }) => anthropicMessages.text(body, 'Read it all.')],
        secondHits,
      ),
    )
    const agent = defineAgent({
      name: 'reader',
      instructions: 'Answer.',
      model: fallback([openaiChat.make(), anthropicMessages.make()]),
    })
    const { events, result } = await collect(stream(agent, 'A very long document'))
    expect(result.output).toBe('Read it all.')
    expect(ofType(events, 'model.fallback').map((e) => e.code)).toEqual(['CONTEXT_LENGTH'])
    expect(secondHits).toHaveLength(1)
  })
})

describe('which model failed', () => {
  const compatibleChat: Wire = {
    ...openaiChat,
    name: 'OpenAI-compatible server',
    make: (options = {}) => compatible('qwen3-8b', { apiKey: KEY, baseURL: CHAT_URL, ...options }),
  }

  it.each([...WIRES, compatibleChat].map((wire) => [wire.name, wire] as const))(
    '%s: an error begins with the model id and names it in its details, the key scrubbed',
    async (_name, wire) => {
      const model = wire.make({ retry: false })
      server.use(scripted(wire.url, [() => wire.error(503, `overloaded (key ${KEY})`)], []))
      const error = (await model
        .generate({ messages: [{ role: 'user', content: 'Hi' }], tools: [] })
        .catch((e: unknown) => e)) as BatonError
      expect(error).toBeInstanceOf(BatonError)
      expect(error.message.startsWith(`${model.id}: overloaded (key `)).toBe(true)
      expect(error.message).toMatch(/ \(retries are off\)$/)
      expect(error.message).not.toContain(KEY)
      expect(error.details).toEqual({
        provider: model.id,
        code: 'HTTP_503',
        status: 503,
        attempts: 1,
        retryable: true,
      })
      // The wire descriptions the fault suite checks messages against name the model alike.
      if (wire !== compatibleChat) expect(wire.label).toBe(model.id)
    },
  )

  it('a chain of two Anthropic models says which one failed, in the switch and in the final error', async () => {
    const hits: Hit[] = []
    const overloaded = () => claude.errorResponse(529, 'overloaded_error', 'Overloaded')
    server.use(scripted(anthropicMessages.url, [overloaded, overloaded], hits))
    const options = { apiKey: KEY, baseURL: ANTHROPIC_URL, retry: false as const }
    const agent = defineAgent({
      name: 'two-claudes',
      instructions: 'Answer.',
      model: fallback([anthropic('claude-haiku-4-5', options), anthropic('claude-sonnet-4-5', options)]),
    })
    const { events, result } = await collect(stream(agent, 'Hello?'))
    expect(hits.map((hit) => hit.body.model)).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5'])
    expect(
      ofType(events, 'model.fallback').map(({ from, to, code, message }) => ({ from, to, code, message })),
    ).toEqual([
      {
        from: 'anthropic:claude-haiku-4-5',
        to: 'anthropic:claude-sonnet-4-5',
        code: 'HTTP_529',
        message: 'anthropic:claude-haiku-4-5: Overloaded (retries are off)',
      },
    ])
    expect(result.status).toBe('error')
    expect(result.error?.message).toBe(
      'every model of the chain failed: anthropic:claude-haiku-4-5 (HTTP_529), anthropic:claude-sonnet-4-5 (HTTP_529); the last said: anthropic:claude-sonnet-4-5: Overloaded (retries are off)',
    )
    expect(result.error?.details).toMatchObject({ provider: 'anthropic:claude-sonnet-4-5', code: 'HTTP_529' })
    expect(JSON.stringify(events)).not.toContain(KEY)
  })
})
