/**
 * Faults, end to end: real agent runs (`stream(agent, task, { record })`) against msw handlers
 * speaking each provider's wire format, with one fault injected per run. Each test checks how
 * the run ends (status, stopReason, error message), the `model.retry` events (attempt, code,
 * status, delay) in the event stream and in the recorded transcript, how many HTTP requests were
 * made (the SDKs' own retries are off, so only Baton's policy repeats a request), and that the
 * transcript is complete (see `checkTranscript`).
 */
import { readFileSync } from 'node:fs'
import { HttpResponse } from 'msw'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type BatonEvent,
  type BudgetLimits,
  defineAgent,
  defineTool,
  type ModelStreamEvent,
  type RetryInfo,
  type RunOptions,
  type RunResult,
  readTranscript,
  resetRateLimits,
  stream,
  type Transcript,
} from '../../src/index.js'
import type { ProviderOptions } from '../../src/providers/index.js'
import { type FakeClock, fakeClock } from '../../src/testing/index.js'
import { collect, isDelta, ofType, recordedOf, streamedText } from '../helpers.js'
import {
  anthropicMessages,
  backoffRange,
  brokenBody,
  brokenStream,
  checkTranscript,
  FAST,
  type Hit,
  hang,
  KEY,
  late,
  networkError,
  openaiChat,
  openaiError,
  openaiResponsesApi,
  retriesOf,
  type Step,
  scripted,
  sseOf,
  WIRES,
  type Wire,
} from './wire/faults.js'
import { wireServer } from './wire/msw-run.js'
import { responseObject } from './wire/openai-responses.js'

const { server, transcript: transcriptPath } = wireServer('baton-faults-')
// Each test is a scenario of its own: no pause a provider asked for in one holds the next.
afterEach(() => resetRateLimits())

interface Drive {
  /** Options for the wire's model (merged over its key, base URL and FAST retries). */
  model?: ProviderOptions
  budget?: BudgetLimits
  signal?: AbortSignal
  /** Stream the model calls' deltas (`model.stream`) instead of calling `model.generate`. */
  streamed?: boolean
  withTool?: boolean
  /** The run's clock (a fake one makes the wall-clock budget move only when the test says). */
  clock?: FakeClock
  /** Sees each event as the run yields it. */
  onEvent?: (event: BatonEvent) => void
}

interface Driven {
  result: RunResult
  events: BatonEvent[]
  transcript: Transcript
  /** The transcript file as written. */
  text: string
  hits: Hit[]
  /** Real milliseconds from the start of the run to its result. */
  wallMs: number
}

const lookups: string[] = []
const lookup = defineTool({
  name: 'lookup',
  description: 'Looks up a word',
  input: z.object({ q: z.string() }),
  run: ({ q }) => {
    lookups.push(q)
    return `found ${q}`
  },
})

/** Runs an agent on the wire's model, answering its requests with `steps`, and reads the transcript. */
async function drive(wire: Wire, steps: Step[], options: Drive = {}): Promise<Driven> {
  const hits: Hit[] = []
  server.use(scripted(wire.url, steps, hits))
  const record = transcriptPath()
  const agent = defineAgent({
    name: 'faulty',
    instructions: 'Answer briefly.',
    model: wire.make(options.model),
    tools: options.withTool ? [lookup] : [],
  })
  const runOptions: RunOptions = { record }
  if (options.budget) runOptions.budget = options.budget
  if (options.signal) runOptions.signal = options.signal
  runOptions.deltas = options.streamed === true
  if (options.clock) runOptions.clock = options.clock
  const started = Date.now()
  const { events, result } = await collect(stream(agent, 'Say hello.', runOptions), options.onEvent)
  const wallMs = Date.now() - started
  expect(result.transcript).toBe(record)
  const text = readFileSync(record, 'utf8')
  const transcript = readTranscript(record)
  // The transcript holds exactly the events the stream handed out but the deltas, in order.
  expect(transcript.events).toEqual(recordedOf(events))
  if (options.streamed) {
    // What each call streamed after its last restart is exactly its answer's text.
    const texts = streamedText(events)
    for (const response of ofType(events, 'model.response'))
      expect(texts.get(response.path) ?? '').toBe(response.message.content)
  } else expect(events.filter(isDelta)).toEqual([])
  return { result, events, transcript, text, hits, wallMs }
}

/** The retry events, checked to be the same in the event stream and in the transcript. */
function retries(run: Driven) {
  const seen = retriesOf(run.events)
  expect(retriesOf(run.transcript.events)).toEqual(seen)
  for (const event of ofType(run.events, 'model.retry')) expect(event.path).toBe('root/1/model')
  return seen
}

/** A final text answer, in the wire format of whichever provider the request went to. */
const text =
  (value: string): Step =>
  ({ body, request }) => {
    const wire = WIRES.find((w) => w.url === request.url)
    if (!wire) throw new Error(`no wire serves ${request.url}`)
    return wire.text(body, value)
  }

/** A run that failed once with `fault`, was retried, and then finished with the second answer. */
function expectRecovered(run: Driven) {
  expect(run.result.status, `the run ended with ${JSON.stringify(run.result.error)}`).toBe('done')
  expect(run.result.stopReason).toBe('goal')
  expect(run.result.output).toBe('recovered')
  expect(run.result.error).toBeUndefined()
  expect(run.hits).toHaveLength(2)
  // The retried request is the same request.
  expect(run.hits[1]!.body).toEqual(run.hits[0]!.body)
  checkTranscript(run.transcript, run.result)
  const types = run.transcript.events.map((e) => e.type)
  expect(types.filter((t) => t.startsWith('model.'))).toEqual([
    'model.request',
    'model.retry',
    'model.response',
  ])
}

function inBackoff(delayMs: number, attempt: number, policy = FAST) {
  const [low, high] = backoffRange(attempt, policy)
  expect(delayMs).toBeGreaterThanOrEqual(low)
  expect(delayMs).toBeLessThanOrEqual(high)
}

interface RetriedFault {
  name: string
  step: Step
  model?: ProviderOptions
  streamed?: boolean
  /** The code of the retry, or the codes a correct adapter may choose from. */
  code: string | readonly string[]
  status?: number
  /** The retry's message; left out where the provider gives no words of its own to check. */
  message?: string | RegExp
  /** The exact delay (from retry-after-ms); otherwise it is checked against the backoff. */
  delayMs?: number
}

/** Faults every provider meets, each retried once. */
function commonFaults(wire: Wire): RetriedFault[] {
  const slow = { retry: { ...FAST, timeoutMs: 150 } }
  const overloaded = wire === anthropicMessages ? 'Overloaded' : 'The service is overloaded.'
  return [
    {
      name: '429 with retry-after-ms',
      step: () => wire.error(429, 'Rate limit reached for requests.', { 'retry-after-ms': '120' }),
      code: 'HTTP_429',
      status: 429,
      message: 'Rate limit reached for requests.',
      delayMs: 120,
    },
    {
      name: '500',
      step: () => wire.error(500, 'The server had an error while processing your request.'),
      code: 'HTTP_500',
      status: 500,
      message: 'The server had an error while processing your request.',
    },
    {
      name: '503',
      step: () => wire.error(503, 'Service unavailable.'),
      code: 'HTTP_503',
      status: 503,
      message: 'Service unavailable.',
    },
    {
      name: '529 overloaded',
      step: () => wire.error(529, overloaded),
      code: 'HTTP_529',
      status: 529,
      message: overloaded,
    },
    {
      name: 'a network error',
      step: networkError,
      code: 'NETWORK',
      message: /^Connection error\./,
    },
    {
      name: 'a per-attempt timeout (no answer at all)',
      step: ({ request }) => hang(request),
      model: slow,
      code: 'TIMEOUT',
      message: 'no answer within 150 ms',
    },
    {
      name: 'a per-attempt timeout (an answer too late)',
      step: late(700, text('too late')),
      model: slow,
      code: 'TIMEOUT',
      message: 'no answer within 150 ms',
    },
    {
      name: 'an empty answer',
      step: wire.empty.reply,
      code: wire.empty.code,
      message: wire.empty.message,
    },
    {
      name: 'a plain answer whose body breaks off',
      step: () => brokenBody('{"id":"chatcmpl-x","object":'),
      code: 'NETWORK',
      message: 'terminated (UND_ERR_SOCKET)',
    },
    {
      name: 'a 200 that is an HTML page (a proxy), not an answer',
      step: () =>
        new HttpResponse('<html><body>Please sign in to the network</body></html>', {
          status: 200,
          headers: { 'content-type': 'text/html' },
        }),
      ...(wire === openaiResponsesApi
        ? { code: ['EMPTY_RESPONSE', 'MALFORMED_RESPONSE'] }
        : { code: wire.empty.code, message: wire.empty.message }),
    },
    {
      name: 'a stream cut off mid-way',
      step: ({ body }) => wire.cut(body, 'half an ans'),
      streamed: true,
      code: 'STREAM_CUT',
      message: wire.cutMessage,
    },
    {
      name: 'a connection that breaks mid-stream',
      step: ({ body }) => brokenStream(wire.streamHead(body, 'half an answer')),
      streamed: true,
      code: 'NETWORK',
      message: 'terminated (UND_ERR_SOCKET)',
    },
  ]
}

for (const wire of WIRES) {
  describe(`${wire.name}: a failed attempt is retried, then the run finishes`, () => {
    it.each(commonFaults(wire))('$name', async (fault) => {
      const options: Drive = { streamed: fault.streamed ?? false }
      if (fault.model) options.model = fault.model
      const run = await drive(wire, [fault.step, text('recovered')], options)
      expectRecovered(run)
      const [retry, ...more] = retries(run)
      expect(more).toEqual([])
      expect(retry).toMatchObject({ type: 'model.retry', attempt: 1 })
      if (typeof fault.code === 'string') expect(retry!.code).toBe(fault.code)
      else expect(fault.code).toContain(retry!.code)
      expect(retry!.status).toBe(fault.status)
      if (typeof fault.message === 'string') expect(retry!.message).toBe(fault.message)
      else if (fault.message) expect(retry!.message).toMatch(fault.message)
      if (fault.delayMs !== undefined) expect(retry!.delayMs).toBe(fault.delayMs)
      else inBackoff(retry!.delayMs, 1)
    })
  })
}

describe('OpenAI Chat: every retryable status', () => {
  it.each([
    [408, 'Request timed out.'],
    [409, 'Another request is modifying this resource.'],
    [502, 'Bad gateway.'],
    [504, 'Gateway timeout.'],
  ])('%i is retried', async (status, message) => {
    const run = await drive(openaiChat, [() => openaiError(status, message), text('recovered')])
    expectRecovered(run)
    const [retry] = retries(run)
    expect(retry).toMatchObject({ attempt: 1, code: `HTTP_${status}`, status, message })
    inBackoff(retry!.delayMs, 1)
  })

  it('a 502 with an HTML body from a proxy is retried', async () => {
    const html = () =>
      new HttpResponse('<html><body><h1>502 Bad Gateway</h1></body></html>', {
        status: 502,
        headers: { 'content-type': 'text/html' },
      })
    const run = await drive(openaiChat, [html, text('recovered')])
    expectRecovered(run)
    const [retry] = retries(run)
    expect(retry).toMatchObject({ attempt: 1, code: 'HTTP_502', status: 502 })
  })

  it('honours retry-after in seconds: the next attempt waits that long', async () => {
    const run = await drive(
      openaiChat,
      [
        () => openaiChat.error(429, 'Rate limit reached for requests.', { 'retry-after': '1' }),
        text('recovered'),
      ],
      { model: { retry: { baseDelayMs: 5, maxDelayMs: 2_000 } } },
    )
    expectRecovered(run)
    expect(retries(run)).toEqual([
      {
        type: 'model.retry',
        attempt: 1,
        delayMs: 1_000,
        code: 'HTTP_429',
        status: 429,
        message: 'Rate limit reached for requests.',
      },
    ])
    // The wait really happened (the point here is the timing): the second request came ≥ 1 s later.
    expect(run.hits[1]!.at - run.hits[0]!.at).toBeGreaterThanOrEqual(990)
  })

  it('retry-after-ms: the next attempt waits that long', async () => {
    const run = await drive(openaiChat, [
      () => openaiChat.error(429, 'Slow down.', { 'retry-after-ms': '150' }),
      text('recovered'),
    ])
    expectRecovered(run)
    expect(retries(run)[0]!.delayMs).toBe(150)
    expect(run.hits[1]!.at - run.hits[0]!.at).toBeGreaterThanOrEqual(145)
  })

  it('retry-after as an HTTP date already past: retried at once', async () => {
    const past = new Date(Date.now() - 5_000).toUTCString()
    const run = await drive(openaiChat, [
      () => openaiChat.error(429, 'Slow down.', { 'retry-after': past }),
      text('recovered'),
    ])
    expectRecovered(run)
    expect(retries(run)).toEqual([
      { type: 'model.retry', attempt: 1, delayMs: 0, code: 'HTTP_429', status: 429, message: 'Slow down.' },
    ])
  })

  it('several failures in a row: attempts 1, 2, 3 are reported with growing backoffs', async () => {
    const run = await drive(openaiChat, [
      () => openaiError(503, 'Service unavailable.'),
      networkError,
      () => openaiError(500, 'The server had an error.'),
      text('recovered'),
    ])
    expect(run.result.status).toBe('done')
    expect(run.result.output).toBe('recovered')
    expect(run.hits).toHaveLength(4)
    checkTranscript(run.transcript, run.result)
    const seen = retries(run)
    expect(seen.map((r) => [r.attempt, r.code, r.status])).toEqual([
      [1, 'HTTP_503', 503],
      [2, 'NETWORK', undefined],
      [3, 'HTTP_500', 500],
    ])
    for (const retry of seen) inBackoff(retry.delayMs, retry.attempt)
  })

  it('a retry in the second step of a tool loop: the retry sits in that step, the transcript stays whole', async () => {
    lookups.length = 0
    const run = await drive(
      openaiChat,
      [
        ({ body }) => openaiChat.toolCall(body, { id: 'call_1', name: 'lookup', args: '{"q":"a"}' }),
        () => openaiError(500, 'The server had an error.'),
        text('recovered'),
      ],
      { withTool: true },
    )
    expect(run.result.status).toBe('done')
    expect(run.result.output).toBe('recovered')
    expect(lookups).toEqual(['a'])
    expect(run.hits).toHaveLength(3)
    expect(run.hits[2]!.body).toEqual(run.hits[1]!.body)
    checkTranscript(run.transcript, run.result)
    const [retry] = ofType(run.events, 'model.retry')
    expect(retry).toMatchObject({ path: 'root/2/model', attempt: 1, code: 'HTTP_500' })
  })
})

describe('errors reported inside a 200 answer are retried', () => {
  const cases: { wire: Wire; step: Step; code: string; message: string }[] = [
    {
      wire: openaiChat,
      step: () => {
        const head = `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`
        return sseOf(head)
      },
      code: 'STREAM_ERROR',
      message: 'The server had an error while processing your request.',
    },
    {
      wire: anthropicMessages,
      step: ({ body }) =>
        sseOf(
          `${anthropicMessages.streamHead(body, 'half an answer')}event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`,
        ),
      code: 'STREAM_CUT',
      message: 'the stream broke off with overloaded_error: Overloaded',
    },
    {
      wire: openaiResponsesApi,
      step: ({ body }) =>
        sseOf(
          `${openaiResponsesApi.streamHead(body, 'half an answer')}event: error\ndata: ${JSON.stringify({ type: 'error', code: 'server_error', message: 'The server had an error.', param: null, sequence_number: 5 })}\n\n`,
        ),
      code: 'OPENAI_SERVER_ERROR',
      message: 'The server had an error. (server_error)',
    },
  ]
  it.each(cases)('$wire.name: an error event mid-stream ($code)', async ({ wire, step, code, message }) => {
    const run = await drive(wire, [step, text('recovered')], { streamed: true })
    expectRecovered(run)
    const [retry] = retries(run)
    expect(retry).toMatchObject({ attempt: 1, code, message })
    expect(retry!.status).toBeUndefined()
  })

  it('OpenAI Responses: a response that failed with server_error is retried', async () => {
    const run = await drive(openaiResponsesApi, [
      () =>
        HttpResponse.json(
          responseObject({
            output: [],
            status: 'failed',
            error: { code: 'server_error', message: 'The model failed to generate a response.' },
          }),
        ),
      text('recovered'),
    ])
    expectRecovered(run)
    const [retry] = retries(run)
    expect(retry).toMatchObject({
      attempt: 1,
      code: 'OPENAI_SERVER_ERROR',
      message: 'The model failed to generate a response. (server_error)',
    })
  })
})

describe('a stream cut off mid-way, read directly with model.stream', () => {
  it.each(WIRES)(
    '$name: the reader is told to restart, and what follows is the whole answer',
    async (wire) => {
      const hits: Hit[] = []
      server.use(
        scripted(
          wire.url,
          [({ body }) => wire.cut(body, 'half an answer'), ({ body }) => wire.text(body, 'whole answer')],
          hits,
        ),
      )
      const seen: RetryInfo[] = []
      const events: ModelStreamEvent[] = []
      const model = wire.make()
      for await (const event of model.stream!(
        { messages: [{ role: 'user', content: 'Say hello.' }], tools: [] },
        { onRetry: (retry) => seen.push(retry) },
      ))
        events.push(event)
      expect(hits).toHaveLength(2)
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ attempt: 1, code: 'STREAM_CUT', message: wire.cutMessage })
      inBackoff(seen[0]!.delayMs, 1)
      const restart = events.findIndex((e) => e.type === 'restart')
      expect(events.filter((e) => e.type === 'restart')).toHaveLength(1)
      const textOfEvents = (list: ModelStreamEvent[]) =>
        list.map((e) => (e.type === 'text-delta' ? e.text : '')).join('')
      // Some of the first answer streamed before the cut, then the reader was told to drop it.
      const before = textOfEvents(events.slice(0, restart))
      expect(before).not.toBe('')
      expect('half an answer'.startsWith(before)).toBe(true)
      expect(textOfEvents(events.slice(restart + 1))).toBe('whole answer')
      const last = events.at(-1)
      expect(last?.type).toBe('finish')
      if (last?.type === 'finish') expect(last.response.message.content).toBe('whole answer')
    },
  )
})

/** A run that failed for good on its first model call. */
function expectFailed(run: Driven, message: string, details: Record<string, unknown>) {
  expect(run.result.status).toBe('error')
  expect(run.result.stopReason).toBe('MODEL_ERROR')
  expect(run.result.output).toBeUndefined()
  expect(run.result.error).toEqual({ code: 'MODEL_ERROR', message, details })
  checkTranscript(run.transcript, run.result)
  const [error] = ofType(run.events, 'model.error')
  expect(error).toMatchObject({ path: 'root/1/model', error: run.result.error })
}

describe('retried until the policy gives up', () => {
  it.each(WIRES)(
    '$name: a permanent 500 with maxAttempts 2 makes exactly 2 requests, then the run ends in error',
    async (wire) => {
      const message = 'The server had an error while processing your request.'
      const fail: Step = () => wire.error(500, message)
      const run = await drive(wire, [fail, fail], { model: { retry: { ...FAST, maxAttempts: 2 } } })
      expect(run.hits).toHaveLength(2)
      expectFailed(run, `${wire.label}: ${message} (gave up after 2 attempts)`, {
        provider: wire.label,
        code: 'HTTP_500',
        status: 500,
        attempts: 2,
        retryable: true,
      })
      const [retry, ...more] = retries(run)
      expect(more).toEqual([])
      expect(retry).toMatchObject({ attempt: 1, code: 'HTTP_500', status: 500, message })
      const types = run.transcript.events.map((e) => e.type)
      expect(types.filter((t) => t.startsWith('model.'))).toEqual([
        'model.request',
        'model.retry',
        'model.error',
      ])
      expect(types.slice(-2)).toEqual(['agent.end', 'run.end'])
    },
  )

  it('OpenAI Chat: the default policy makes 4 attempts, reporting 3 retries with growing backoffs', async () => {
    const message = 'Rate limit reached for requests.'
    const fail: Step = () => openaiChat.error(429, message)
    const run = await drive(openaiChat, [fail, fail, fail, fail])
    expect(run.hits).toHaveLength(4)
    expectFailed(run, `openai:gpt-test: ${message} (gave up after 4 attempts)`, {
      provider: 'openai:gpt-test',
      code: 'HTTP_429',
      status: 429,
      attempts: 4,
      retryable: true,
    })
    const seen = retries(run)
    expect(seen.map((r) => r.attempt)).toEqual([1, 2, 3])
    for (const retry of seen) {
      expect(retry).toMatchObject({ code: 'HTTP_429', status: 429, message })
      inBackoff(retry.delayMs, retry.attempt)
    }
  })

  it('OpenAI Chat: retry: false makes one attempt only', async () => {
    const run = await drive(openaiChat, [() => openaiChat.error(503, 'Service unavailable.')], {
      model: { retry: false },
    })
    expect(run.hits).toHaveLength(1)
    expect(retries(run)).toEqual([])
    expect(run.result.status).toBe('error')
    expect(run.result.error?.message).toBe('openai:gpt-test: Service unavailable. (retries are off)')
    expect(run.result.error?.details).toMatchObject({ code: 'HTTP_503', attempts: 1 })
    checkTranscript(run.transcript, run.result)
  })

  it('Anthropic: a timeout on every attempt gives up after maxAttempts, each attempt bounded', async () => {
    const run = await drive(
      anthropicMessages,
      [
        ({ request }) => hang(request, 15_000),
        ({ request }) => hang(request, 15_000),
        ({ request }) => hang(request, 15_000),
      ],
      { model: { retry: { ...FAST, maxAttempts: 3, timeoutMs: 100 } } },
    )
    expect(run.hits).toHaveLength(3)
    expectFailed(run, 'anthropic:claude-haiku-4-5: no answer within 100 ms (gave up after 3 attempts)', {
      provider: 'anthropic:claude-haiku-4-5',
      code: 'TIMEOUT',
      attempts: 3,
      retryable: true,
    })
    expect(retries(run).map((r) => [r.attempt, r.code, r.message])).toEqual([
      [1, 'TIMEOUT', 'no answer within 100 ms'],
      [2, 'TIMEOUT', 'no answer within 100 ms'],
    ])
    // Three attempts of 100 ms and two short waits: nowhere near the 15 s the server would hang.
    expect(run.wallMs).toBeGreaterThanOrEqual(295)
    expect(run.wallMs).toBeLessThan(20_000)
  })

  it('a retry-after longer than maxDelayMs ends the call at once', async () => {
    const message = 'Rate limit reached for requests.'
    const run = await drive(openaiChat, [() => openaiChat.error(429, message, { 'retry-after': '60' })])
    expect(run.hits).toHaveLength(1)
    expect(retries(run)).toEqual([])
    expectFailed(
      run,
      `openai:gpt-test: ${message} (the provider asks to wait 60000 ms, more than maxDelayMs 200)`,
      { provider: 'openai:gpt-test', code: 'HTTP_429', status: 429, attempts: 1, retryable: true },
    )
    // Well under the 60 s the provider asked for.
    expect(run.wallMs).toBeLessThan(20_000)
  })
})

describe('bounded by the wall-clock budget', () => {
  it('a backoff (retry-after-ms) that would end past maxWallMs is not slept: the run ends at once', async () => {
    const message = 'Service unavailable.'
    // The run's clock stands still: only a backoff slept for real could make this run late.
    const run = await drive(
      openaiChat,
      [() => openaiChat.error(503, message, { 'retry-after-ms': '30000' })],
      {
        model: { retry: { ...FAST, maxDelayMs: 60_000 } },
        budget: { maxWallMs: 600 },
        clock: fakeClock(),
      },
    )
    expect(run.hits).toHaveLength(1)
    expect(retries(run)).toEqual([])
    // What the code does: the call fails for good (a model error naming the budget), not budget_exceeded.
    expectFailed(run, `openai:gpt-test: ${message} (no retry: the wall-clock budget ends before 30000 ms)`, {
      provider: 'openai:gpt-test',
      code: 'HTTP_503',
      status: 503,
      attempts: 1,
      retryable: true,
    })
    // Well under the 30 s the backoff would take.
    expect(run.wallMs).toBeLessThan(15_000)
  })

  it('a jittered backoff longer than what is left is not slept either', async () => {
    const policy = { baseDelayMs: 30_000, maxDelayMs: 60_000 }
    const run = await drive(openaiChat, [() => openaiChat.error(500, 'The server had an error.')], {
      model: { retry: policy },
      budget: { maxWallMs: 500 },
      clock: fakeClock(),
    })
    expect(run.hits).toHaveLength(1)
    expect(retries(run)).toEqual([])
    expect(run.result.status).toBe('error')
    expect(run.result.stopReason).toBe('MODEL_ERROR')
    const ms = Number(
      /^openai:gpt-test: The server had an error\. \(no retry: the wall-clock budget ends before (\d+) ms\)$/.exec(
        run.result.error?.message ?? '',
      )?.[1],
    )
    expect(ms).toBeGreaterThanOrEqual(15_000)
    expect(ms).toBeLessThanOrEqual(30_000)
    checkTranscript(run.transcript, run.result)
    // Well under the 15 s or more the backoff would take.
    expect(run.wallMs).toBeLessThan(10_000)
  })

  it('a first wait that fits is slept on the run’s clock; the second, which would not, is not', async () => {
    const message = 'Service unavailable.'
    // Two waits of 2 s in a budget of 3.8 s. The backoff is slept on the run's clock (the effects
    // door's): the test lets the 2 s pass when the retry is announced, and then the second wait
    // cannot fit.
    const fail: Step = () => openaiChat.error(503, message, { 'retry-after-ms': '2000' })
    const clock = fakeClock()
    const run = await drive(openaiChat, [fail, fail], {
      model: { retry: { ...FAST, maxDelayMs: 5_000 } },
      budget: { maxWallMs: 3_800 },
      clock,
      onEvent: (event) => {
        if (event.type === 'model.retry') queueMicrotask(() => clock.advance(event.delayMs))
      },
    })
    expect(run.hits).toHaveLength(2)
    expect(retries(run)).toEqual([
      { type: 'model.retry', attempt: 1, delayMs: 2_000, code: 'HTTP_503', status: 503, message },
    ])
    expectFailed(run, `openai:gpt-test: ${message} (no retry: the wall-clock budget ends before 2000 ms)`, {
      provider: 'openai:gpt-test',
      code: 'HTTP_503',
      status: 503,
      attempts: 2,
      retryable: true,
    })
    // The first wait passed on the run's clock, not in real time; the second was not waited.
    expect(run.result.usage.wallMs).toBe(2_000)
    expect(run.wallMs).toBeLessThan(2_000)
  })

  it('a call still in flight when maxWallMs runs out is abandoned: budget_exceeded, promptly', async () => {
    const clock = fakeClock()
    const step: Step = ({ request }) => {
      const answer = hang(request, 60_000)
      // The call is in flight: now the budget's 250 ms pass on the run's clock.
      clock.advance(250)
      return answer
    }
    const run = await drive(openaiChat, [step], {
      model: { retry: { ...FAST, timeoutMs: 10_000 } },
      budget: { maxWallMs: 250 },
      clock,
    })
    expect(run.hits).toHaveLength(1)
    expect(retries(run)).toEqual([])
    expect(run.result.status).toBe('budget_exceeded')
    expect(run.result.stopReason).toBe('maxWallMs')
    expect(run.result.error).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      message: 'maxWallMs reached at root: 250 ms',
    })
    checkTranscript(run.transcript, run.result, { inFlight: true })
    const [exceeded] = ofType(run.events, 'budget.exceeded')
    expect(exceeded).toMatchObject({ limit: 'maxWallMs', max: 250, at: 'root' })
    expect(run.result.usage.wallMs).toBe(250)
    // Promptly: well before the 10 s attempt timeout could have ended the call.
    expect(run.wallMs).toBeLessThan(8_000)
  })
})

/** The provider's own words for errors that must not be retried. */
const PERMANENT: Record<string, { status: number; message: string }[]> = {
  [openaiChat.name]: [
    {
      status: 400,
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
    },
    { status: 403, message: 'Project `proj_faults` does not have access to model `gpt-test`' },
    { status: 404, message: 'The model `gpt-test` does not exist or you do not have access to it.' },
  ],
  [anthropicMessages.name]: [
    { status: 400, message: 'prompt is too long: 212345 tokens > 200000 maximum' },
    { status: 403, message: 'Your API key does not have permission to use the specified resource.' },
    { status: 404, message: 'model: claude-haiku-4-5' },
  ],
  [openaiResponsesApi.name]: [
    {
      status: 400,
      message: 'Your input exceeds the context window of this model. Please adjust your input and try again.',
    },
    { status: 403, message: 'Project `proj_faults` does not have access to model `gpt-test`' },
    { status: 404, message: 'The model `gpt-test` does not exist or you do not have access to it.' },
  ],
}

/** The key a request carried (`x-api-key`, or a bearer token), bare. */
function keyOf(request: Request): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
  return request.headers.get('x-api-key') ?? bearer
}

/** What each provider says to a bad key, quoting the key itself (bare), to prove it is scrubbed. */
function unauthorized(wire: Wire, key: string): Step {
  return ({ request }) => {
    const sent = keyOf(request)
    expect(sent).toBe(key)
    const message =
      wire === anthropicMessages
        ? `invalid x-api-key ${sent}`
        : `Incorrect API key provided: ${sent}. You can find your API key at https://platform.openai.com/account/api-keys.`
    return wire.error(401, message)
  }
}

/** The key, and long pieces of it, appear nowhere: not in the result, any event, or the transcript file. */
function expectNoKey(run: Driven, key: string) {
  for (const secret of [key, key.slice(-16), key.slice(0, 16)]) {
    expect(JSON.stringify(run.result)).not.toContain(secret)
    expect(JSON.stringify(run.events)).not.toContain(secret)
    expect(run.text).not.toContain(secret)
  }
}

/** A key of no known shape (no `sk-`, no header name before it): only the adapter knows it is one. */
const ODD_KEY = 'FAULTSUITEplainKey0123456789XYZ'

for (const wire of WIRES) {
  describe(`${wire.name}: the API key never leaks`, () => {
    it.each([
      ['sk- key', KEY],
      ['key of no known shape', ODD_KEY],
    ])(
      '401 (%s): not retried, the provider message comes through, the key appears nowhere',
      async (_, key) => {
        const run = await drive(wire, [unauthorized(wire, key)], { model: { apiKey: key } })
        expect(run.hits).toHaveLength(1)
        expect(retries(run)).toEqual([])
        const said = wire === anthropicMessages ? 'invalid x-api-key' : 'Incorrect API key provided: '
        expect(run.result.status).toBe('error')
        expect(run.result.stopReason).toBe('MODEL_ERROR')
        expect(run.result.error?.message).toContain(`${wire.label}: ${said}`)
        expect(run.result.error?.details).toEqual({
          provider: wire.label,
          code: 'HTTP_401',
          status: 401,
          attempts: 1,
          retryable: false,
        })
        checkTranscript(run.transcript, run.result)
        expectNoKey(run, key)
      },
    )

    it('a key quoted in a retried error is scrubbed from the retry event', async () => {
      const run = await drive(
        wire,
        [
          ({ request }) => wire.error(503, `Service unavailable for key ${keyOf(request)}.`),
          text('recovered'),
        ],
        { model: { apiKey: ODD_KEY } },
      )
      expectRecovered(run)
      const [retry] = retries(run)
      expect(retry).toMatchObject({ attempt: 1, code: 'HTTP_503' })
      expect(retry!.message).toMatch(/^Service unavailable for key /)
      expectNoKey(run, ODD_KEY)
    })
  })
}

for (const wire of WIRES) {
  describe(`${wire.name}: not retried`, () => {
    it('x-should-retry: true on a 400 does not make the SDK retry it', async () => {
      const message = 'Invalid value for max_tokens.'
      const run = await drive(wire, [() => wire.error(400, message, { 'x-should-retry': 'true' })])
      expect(run.hits).toHaveLength(1)
      expect(retries(run)).toEqual([])
      expectFailed(run, `${wire.label}: ${message}`, {
        provider: wire.label,
        code: 'HTTP_400',
        status: 400,
        attempts: 1,
        retryable: false,
      })
    })

    it.each(PERMANENT[wire.name]!)(
      '$status: one request, the provider message intact',
      async ({ status, message }) => {
        const run = await drive(wire, [() => wire.error(status, message)])
        expect(run.hits).toHaveLength(1)
        expect(retries(run)).toEqual([])
        expectFailed(run, `${wire.label}: ${message}`, {
          provider: wire.label,
          // Each provider's 400 here says the request is too long for the model's window.
          code: status === 400 ? 'CONTEXT_LENGTH' : `HTTP_${status}`,
          status,
          attempts: 1,
          retryable: false,
        })
      },
    )

    it('a refusal ends the run: status error, stopReason refusal, no retry', async () => {
      const words = "I'm sorry, but I can't help with that."
      const run = await drive(wire, [({ body }) => wire.refusal(body, words)])
      expect(run.hits).toHaveLength(1)
      expect(retries(run)).toEqual([])
      expect(run.result.status).toBe('error')
      expect(run.result.stopReason).toBe('refusal')
      expect(run.result.error).toEqual({ code: 'MODEL_REFUSAL', message: `the model refused: ${words}` })
      checkTranscript(run.transcript, run.result)
      const [response] = ofType(run.events, 'model.response')
      expect(response).toMatchObject({ finishReason: 'refusal', message: { content: words } })
    })
  })
}

describe('invalid JSON in tool arguments', () => {
  // Anthropic sends a plain call's input as an object: only a stream can carry broken JSON.
  it.each(WIRES)(
    '$name: the model gets a tool error in its next request, and the run finishes',
    async (wire) => {
      lookups.length = 0
      const broken = '{"q": "lisbon'
      const run = await drive(
        wire,
        [
          ({ body }) => wire.toolCall(body, { id: 'call_bad1', name: 'lookup', args: broken }),
          ({ body }) => wire.text(body, 'recovered'),
        ],
        { withTool: true, streamed: wire === anthropicMessages },
      )
      expect(run.result.status).toBe('done')
      expect(run.result.output).toBe('recovered')
      expect(run.hits).toHaveLength(2)
      expect(retries(run)).toEqual([])
      expect(lookups).toEqual([])
      const expected = `Error: the arguments for tool "lookup" are not valid JSON: ${JSON.stringify(broken)}\nFix the arguments and call the tool again.`
      expect(wire.toolResults(run.hits[1]!.body)).toEqual([{ id: 'call_bad1', content: expected }])
      // The call goes back as the model wrote it (Anthropic keeps its block's input, `{}`).
      expect(wire.replayedArgs(run.hits[1]!.body)).toEqual([wire === anthropicMessages ? '{}' : broken])
      const [result] = ofType(run.events, 'tool.result')
      expect(result).toMatchObject({ callId: 'call_bad1', isError: true, content: expected })
      expect(result!.error?.code).toBe('INVALID_ARGUMENTS')
      checkTranscript(run.transcript, run.result)
    },
  )
})

describe('an abort signal', () => {
  it.each(WIRES)(
    '$name: aborting an in-flight call ends the run promptly as aborted, with no retry',
    async (wire) => {
      const controller = new AbortController()
      const done = await drive(
        wire,
        [
          ({ request }) => {
            setTimeout(() => controller.abort(new Error('the user pressed stop')), 50)
            return hang(request, 60_000)
          },
        ],
        { signal: controller.signal, model: { retry: { ...FAST, timeoutMs: 10_000 } } },
      )
      expect(done.hits).toHaveLength(1)
      expect(retries(done)).toEqual([])
      expect(done.result.status).toBe('aborted')
      expect(done.result.stopReason).toBe('signal')
      expect(done.result.error).toEqual({
        code: 'ABORTED',
        message: 'the run was aborted by its signal: the user pressed stop',
      })
      checkTranscript(done.transcript, done.result, { inFlight: true })
      // Well before the 10 s attempt timeout could have ended the call.
      expect(done.wallMs).toBeLessThan(8_000)
    },
  )

  it('aborting during a backoff wait ends the run at once, without another attempt', async () => {
    const controller = new AbortController()
    const run = await drive(
      openaiChat,
      [() => openaiChat.error(503, 'Service unavailable.', { 'retry-after-ms': '30000' })],
      {
        signal: controller.signal,
        model: { retry: { ...FAST, maxDelayMs: 60_000 } },
        // The retry event comes as the wait begins.
        onEvent: (event) => {
          if (event.type === 'model.retry') controller.abort(new Error('the user pressed stop'))
        },
      },
    )
    expect(run.hits).toHaveLength(1)
    expect(retries(run)).toEqual([
      {
        type: 'model.retry',
        attempt: 1,
        delayMs: 30_000,
        code: 'HTTP_503',
        status: 503,
        message: 'Service unavailable.',
      },
    ])
    expect(run.result.status).toBe('aborted')
    expect(run.result.stopReason).toBe('signal')
    expect(run.result.error).toEqual({
      code: 'ABORTED',
      message: 'the run was aborted by its signal: the user pressed stop',
    })
    checkTranscript(run.transcript, run.result, { inFlight: true })
    // Well under the 30 s the wait would take.
    expect(run.wallMs).toBeLessThan(15_000)
  })
})

describe('Anthropic: overloaded and rate limited', () => {
  it('529 overloaded_error with retry-after-ms: waits what it asks, then the run finishes', async () => {
    const run = await drive(anthropicMessages, [
      () => anthropicMessages.error(529, 'Overloaded', { 'retry-after-ms': '40' }),
      () => anthropicMessages.error(529, 'Overloaded', { 'retry-after-ms': '60' }),
      text('recovered'),
    ])
    expect(run.result.status).toBe('done')
    expect(run.result.output).toBe('recovered')
    expect(run.hits).toHaveLength(3)
    checkTranscript(run.transcript, run.result)
    expect(retries(run)).toEqual([
      { type: 'model.retry', attempt: 1, delayMs: 40, code: 'HTTP_529', status: 529, message: 'Overloaded' },
      { type: 'model.retry', attempt: 2, delayMs: 60, code: 'HTTP_529', status: 529, message: 'Overloaded' },
    ])
    // The body is Anthropic's own error shape.
    const body = await anthropicMessages.error(529, 'Overloaded').json()
    expect(body).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })
  })

  it('429 rate_limit_error with retry-after in seconds', async () => {
    const message = 'Number of request tokens has exceeded your per-minute rate limit'
    const run = await drive(
      anthropicMessages,
      [() => anthropicMessages.error(429, message, { 'retry-after': '1' }), text('recovered')],
      { model: { retry: { baseDelayMs: 5, maxDelayMs: 2_000 } } },
    )
    expectRecovered(run)
    expect(retries(run)).toEqual([
      { type: 'model.retry', attempt: 1, delayMs: 1_000, code: 'HTTP_429', status: 429, message },
    ])
    expect(run.hits[1]!.at - run.hits[0]!.at).toBeGreaterThanOrEqual(990)
  })
})
