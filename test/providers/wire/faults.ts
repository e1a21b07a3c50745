/**
 * Faults on the wire, for msw: a scripted handler that answers each request of a run with the
 * next reply of a script (and counts the requests, so SDK-internal retries would show), replies
 * that hang until the client gives up, answer too late, break the connection or cut a stream,
 * and one description per provider (OpenAI Chat Completions, Anthropic Messages, OpenAI
 * Responses) of how that provider answers, fails and refuses on the wire. The answers and error
 * bodies are built with the provider's own wire helpers.
 */
import { delay, HttpResponse, http } from 'msw'
import { expect } from 'vitest'
import type { BatonEvent, Model, ModelRetryEvent, RunResult, Transcript } from '../../../src/index.js'
import { anthropic, openai, openaiResponses, type ProviderOptions } from '../../../src/providers/index.js'
import * as claude from './anthropic.js'
import * as chat from './openai-chat.js'
import * as responses from './openai-responses.js'

// biome-ignore lint/suspicious/noExplicitAny: wire objects are plain JSON
export type Json = Record<string, any>

/** A distinctive fake key: it must appear nowhere a run leaves a trace. */
export const KEY = 'sk-test-FAULTSUITE-0123456789abcdef'

/** Small backoffs, so that a run with retries takes milliseconds. */
export const FAST = { baseDelayMs: 5, maxDelayMs: 200 }

/** What the scripted handler saw of one request. */
export interface Hit {
  body: Json
  headers: Headers
  /** `Date.now()` when the request arrived. */
  at: number
}

/** One reply of a script: the request's body, the request itself, and its number (from 1). */
export type Step = (ctx: { body: Json; request: Request; n: number }) => Response | Promise<Response>

/**
 * `POST url`, answering request n with `steps[n - 1]`. A request past the end of the script gets
 * a 418 (never retried) whose message says so, so that an unexpected extra request fails loudly.
 */
export function scripted(url: string, steps: readonly Step[], hits: Hit[]) {
  return http.post(url, async ({ request }) => {
    const body = (await request.clone().json()) as Json
    hits.push({ body, headers: request.headers, at: Date.now() })
    const n = hits.length
    const step = steps[n - 1]
    if (!step) {
      return HttpResponse.json(
        { error: { message: `the fault script has no reply for request ${n}`, type: 'script' } },
        { status: 418 },
      )
    }
    return step({ body, request, n })
  })
}

/** Waits until the client abandons the request (or `maxMs` passes), then answers a 504 nobody reads. */
export async function hang(request: Request, maxMs = 5_000): Promise<Response> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, maxMs)
    request.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
  return HttpResponse.json({ error: { message: 'nobody is listening' } }, { status: 504 })
}

/** The same step, answered after `ms`. */
export function late(ms: number, step: Step): Step {
  return async (ctx) => {
    await delay(ms)
    return step(ctx)
  }
}

/** The connection fails before any answer (what msw's `HttpResponse.error()` stands for). */
export const networkError: Step = () => HttpResponse.error()

/**
 * A 200 answer whose connection breaks after `text`: the body errors the way undici reports a
 * reset socket (`TypeError: terminated`, caused by `UND_ERR_SOCKET`).
 */
export function brokenBody(text: string, contentType = 'application/json'): Response {
  const bytes = new TextEncoder().encode(text)
  const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes)
      controller.error(new TypeError('terminated', { cause }))
    },
  })
  return new Response(body, { headers: { 'content-type': contentType } })
}

/** A `text/event-stream` answer whose connection breaks after `text`. */
export function brokenStream(text: string): Response {
  return brokenBody(text, 'text/event-stream')
}

/**
 * A `text/event-stream` answer with exactly `text` as its body, whole and closed. (A body made
 * from a plain string is not used: when a client cancels such a body half-read, msw's
 * interceptor never settles the cancel, and the client hangs.)
 */
export function sseOf(text: string): Response {
  const bytes = new TextEncoder().encode(text)
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes)
      controller.close()
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
}

/** A provider's error as OpenAI sends it (Chat Completions and Responses share the shape). */
export function openaiError(
  status: number,
  message: string,
  options: {
    type?: string
    code?: string | null
    param?: string | null
    headers?: Record<string, string>
  } = {},
): Response {
  const type =
    options.type ?? (status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error')
  return HttpResponse.json(
    { error: { message, type, param: options.param ?? null, code: options.code ?? null } },
    { status, headers: { 'x-request-id': 'req_faults', ...options.headers } },
  )
}

/** Anthropic's error `type` for a status. */
function anthropicType(status: number): string {
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    408: 'timeout_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    529: 'overloaded_error',
  }
  return types[status] ?? 'api_error'
}

/** A tool call as a provider sends it: the arguments as the raw text the model wrote. */
export interface WireToolCall {
  id: string
  name: string
  args: string
}

/** A tool result as a request carries it back. */
export interface SentResult {
  id: string
  content: string
}

/** How one provider answers, fails and refuses on the wire, and how its requests carry tool results. */
export interface Wire {
  name: string
  /** The endpoint the scripted handler serves. */
  url: string
  /** How the model is named at the start of error messages (and in `details.provider`): its id. */
  label: string
  make(options?: ProviderOptions): Model
  /** A final text answer, as JSON or as SSE (as the request asks). */
  text(body: Json, text: string): Response
  toolCall(body: Json, call: WireToolCall): Response
  refusal(body: Json, text: string): Response
  /** An HTTP error with the provider's own error body. */
  error(status: number, message: string, headers?: Record<string, string>): Response
  /** A 200 answer with nothing in it, and the retry it should cause. */
  empty: { reply: Step; code: string; message: string }
  /** A streamed answer that stops partway (no terminal event), and the message of the retry. */
  cut(body: Json, text: string): Response
  cutMessage: string
  /** The SSE text of the first events of a streamed `text` answer (before a connection break). */
  streamHead(body: Json, text: string): string
  /** The tool results a request sends back. */
  toolResults(body: Json): SentResult[]
  /** The raw argument text of the tool calls the request replays (what the model wrote). */
  replayedArgs(body: Json): string[]
}

export const CHAT_URL = chat.OPENAI_URL
export const ANTHROPIC_URL = claude.BASE_URL
export const RESPONSES_URL = responses.BASE_URL

function chatSse(body: Json, answer: chat.Answer): Response {
  const includeUsage = body.stream_options?.include_usage === true
  return chat.sseResponse(chat.chunkObjects(answer, { includeUsage }), { done: !answer.cut })
}

function chatAnswer(body: Json, answer: chat.Answer): Response {
  return body.stream ? chatSse(body, answer) : HttpResponse.json(chat.completionObject(answer))
}

function chatText(chunks: Json[]): string {
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')
}

export const openaiChat: Wire = {
  name: 'OpenAI Chat Completions',
  url: `${CHAT_URL}/chat/completions`,
  label: 'openai:gpt-test',
  make: (options = {}) => openai('gpt-test', { apiKey: KEY, baseURL: CHAT_URL, retry: FAST, ...options }),
  text: (body, text) => chatAnswer(body, { content: text }),
  toolCall: (body, call) =>
    chatAnswer(body, { content: null, toolCalls: [{ id: call.id, name: call.name, arguments: call.args }] }),
  refusal: (body, text) => chatAnswer(body, { content: null, refusal: text }),
  error: (status, message, headers) => openaiError(status, message, { headers }),
  empty: {
    reply: () => HttpResponse.json({ ...chat.completionObject({ content: 'unused' }), choices: [] }),
    code: 'EMPTY_RESPONSE',
    message: 'the response has no choices',
  },
  cut: (body, text) => chatAnswer(body, { content: text, cut: true }),
  cutMessage: 'the stream ended before a finish_reason arrived',
  streamHead: (_body, text) => chatText(chat.chunkObjects({ content: text }).slice(0, 3)),
  toolResults: (body) =>
    (body.messages as Json[])
      .filter((m) => m.role === 'tool')
      .map((m) => ({ id: m.tool_call_id, content: m.content })),
  replayedArgs: (body) =>
    (body.messages as Json[]).flatMap((m) => (m.tool_calls ?? []).map((c: Json) => c.function.arguments)),
}

function claudeAnswer(body: Json, msg: claude.MessageJson): Response {
  return body.stream ? claude.sseResponse(claude.sseEvents(msg)) : HttpResponse.json(msg)
}

/** The SSE events of a tool call whose input JSON streams in as `args` (which may be broken). */
function claudeToolEvents(call: WireToolCall): claude.SseEvent[] {
  const msg = claude.message([claude.toolUse(call.id, call.name, {})])
  const events = claude.sseEvents(msg).filter((e) => {
    const data = e.data as Json
    return !(data.type === 'content_block_delta' && data.delta.type === 'input_json_delta')
  })
  const stop = events.findIndex((e) => (e.data as Json).type === 'content_block_stop')
  const deltas: claude.SseEvent[] = []
  for (let at = 0; at < call.args.length; at += 5) {
    deltas.push({
      event: 'content_block_delta',
      data: {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: call.args.slice(at, at + 5) },
      },
    })
  }
  events.splice(stop, 0, ...deltas)
  return events
}

export const anthropicMessages: Wire = {
  name: 'Anthropic Messages',
  url: `${ANTHROPIC_URL}/v1/messages`,
  label: 'anthropic:claude-haiku-4-5',
  make: (options = {}) =>
    anthropic('claude-haiku-4-5', { apiKey: KEY, baseURL: ANTHROPIC_URL, retry: FAST, ...options }),
  text: (body, text) => claudeAnswer(body, claude.message([claude.text(text)])),
  toolCall: (body, call) => {
    if (body.stream) return claude.sseResponse(claudeToolEvents(call))
    // A plain call carries the input as an object: only a stream can carry broken JSON.
    return HttpResponse.json(claude.message([claude.toolUse(call.id, call.name, JSON.parse(call.args))]))
  },
  refusal: (body, text) => claudeAnswer(body, claude.message([claude.text(text)], { stop: 'refusal' })),
  error: (status, message, headers) => claude.errorResponse(status, anthropicType(status), message, headers),
  empty: {
    reply: () => HttpResponse.json({ id: 'msg_empty', type: 'message', role: 'assistant', content: null }),
    code: 'MALFORMED_RESPONSE',
    message: 'the response is not a message with content blocks',
  },
  cut: (_body, text) => claude.sseResponse(claude.sseEvents(claude.message([claude.text(text)])).slice(0, 5)),
  cutMessage: 'the stream ended before message_stop',
  streamHead: (_body, text) =>
    claude
      .sseEvents(claude.message([claude.text(text)]))
      .slice(0, 4)
      .map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)
      .join(''),
  toolResults: (body) =>
    (body.messages as Json[])
      .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
      .filter((b: Json) => b.type === 'tool_result')
      .map((b: Json) => ({ id: b.tool_use_id, content: b.content })),
  replayedArgs: (body) =>
    (body.messages as Json[])
      .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
      .filter((b: Json) => b.type === 'tool_use')
      .map((b: Json) => JSON.stringify(b.input)),
}

function responsesAnswer(body: Json, spec: responses.ResponseSpec, stream: responses.StreamOptions = {}) {
  const response = responses.responseObject({ ...spec, model: body.model })
  if (body.stream) return responses.sseResponse(responses.streamEvents(response, stream))
  return HttpResponse.json(response, { headers: { 'x-request-id': 'req_faults' } })
}

export const openaiResponsesApi: Wire = {
  name: 'OpenAI Responses',
  url: `${RESPONSES_URL}/responses`,
  label: 'openai:gpt-test',
  make: (options = {}) =>
    openaiResponses('gpt-test', { apiKey: KEY, baseURL: RESPONSES_URL, retry: FAST, ...options }),
  text: (body, text) => responsesAnswer(body, { output: [responses.item.message(text)] }),
  toolCall: (body, call) =>
    responsesAnswer(body, { output: [responses.item.functionCall(call.id, call.name, call.args)] }),
  refusal: (body, text) => responsesAnswer(body, { output: [responses.item.refusal(text)] }),
  error: (status, message, headers) => openaiError(status, message, { headers }),
  empty: {
    reply: ({ body }) => responsesAnswer(body, { output: [] }),
    code: 'EMPTY_RESPONSE',
    message: 'the response has no text and no function call',
  },
  cut: (body, text) => responsesAnswer(body, { output: [responses.item.message(text)] }, { cutAfter: 5 }),
  cutMessage: 'the stream ended before response.completed',
  streamHead: (body, text) =>
    responses.sseText(
      responses
        .streamEvents(responses.responseObject({ output: [responses.item.message(text)], model: body.model }))
        .slice(0, 5),
    ),
  toolResults: (body) =>
    (body.input as Json[])
      .filter((i) => i.type === 'function_call_output')
      .map((i) => ({ id: i.call_id, content: i.output })),
  replayedArgs: (body) =>
    (body.input as Json[]).filter((i) => i.type === 'function_call').map((i) => i.arguments),
}

export const WIRES: readonly Wire[] = [openaiChat, anthropicMessages, openaiResponsesApi]

/** The range a backoff delay falls in after attempt `n` (jitter: half to all of the backoff). */
export function backoffRange(n: number, policy = FAST): [number, number] {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1))
  return [Math.round(backoff / 2), backoff]
}

/**
 * Checks that a recorded transcript is complete and agrees with the run: it parses, nothing is
 * cut off, `seq` runs 0, 1, 2, ... in order, it ends with `run.end` carrying the result's status,
 * and every model call (a `model.request`) is closed by its `model.response`, or by a
 * `model.error` when it failed for good; its retries come in between. When the run was stopped
 * from outside (aborted, or the wall-clock budget ran out) while a call was in flight,
 * `inFlight: true` says so: that last call is closed by a `model.error` equal to the run's error.
 */
export function checkTranscript(
  transcript: Transcript,
  result: RunResult,
  options: { inFlight?: boolean } = {},
): void {
  const { events } = transcript
  expect(transcript.truncated).toBe(false)
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
  expect(events[0]?.type).toBe('run.start')
  const end = events.at(-1)
  expect(end?.type).toBe('run.end')
  if (end?.type === 'run.end') {
    expect(end.status).toBe(result.status)
    expect(end.stopReason).toBe(result.stopReason)
    expect(end.error).toEqual(result.error)
  }
  const open = new Set<string>()
  for (const event of events) {
    if (event.type === 'model.request') {
      expect(open.has(event.path), `a second model.request for ${event.path} while one is open`).toBe(false)
      open.add(event.path)
    } else if (event.type === 'model.retry') {
      expect(open.has(event.path), `model.retry for ${event.path} outside a model call`).toBe(true)
    } else if (event.type === 'model.response' || event.type === 'model.error') {
      expect(open.has(event.path), `${event.type} for ${event.path} without its model.request`).toBe(true)
      open.delete(event.path)
    }
  }
  expect([...open]).toEqual([])
  const errors = events.filter((e) => e.type === 'model.error')
  if (options.inFlight) expect(['aborted', 'budget_exceeded']).toContain(result.status)
  if (result.stopReason === 'MODEL_ERROR' || options.inFlight) {
    // The call that failed for good is the last one, and its error is the run's error.
    expect(errors).toHaveLength(1)
    const lastModel = events.filter((e) => e.type.startsWith('model.')).at(-1)
    expect(lastModel?.type).toBe('model.error')
    if (lastModel?.type === 'model.error') expect(lastModel.error).toEqual(result.error)
  } else {
    expect(errors).toEqual([])
  }
}

/** The retry events of a run, without the stamps (`seq`, `t`) and the step key. */
export function retriesOf(events: readonly BatonEvent[]): Omit<ModelRetryEvent, 'seq' | 't' | 'path'>[] {
  return events
    .filter((e): e is ModelRetryEvent => e.type === 'model.retry')
    .map(({ seq: _seq, t: _t, path: _path, ...retry }) => retry)
}
