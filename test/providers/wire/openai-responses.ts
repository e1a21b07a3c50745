/**
 * The OpenAI Responses API on the wire, for msw: response objects as `POST /responses` returns
 * them, and the server-sent events a streamed call gets (`event: <type>\ndata: {...}\n\n`),
 * served in chunks that split events mid-line.
 */
import { HttpResponse, http } from 'msw'

export const BASE_URL = 'http://openai.test/v1'

// biome-ignore lint/suspicious/noExplicitAny: wire objects are plain JSON
export type Json = Record<string, any>

/** Output items, shaped as the API returns them. */
export const item = {
  message(text: string, id = 'msg_0a1b2c'): Json {
    return {
      id,
      type: 'message',
      status: 'completed',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text }],
      role: 'assistant',
    }
  },
  refusal(refusal: string, id = 'msg_r3fu5a1'): Json {
    return {
      id,
      type: 'message',
      status: 'completed',
      content: [{ type: 'refusal', refusal }],
      role: 'assistant',
    }
  },
  functionCall(callId: string, name: string, args: string, id = `fc_${callId}`): Json {
    return { id, type: 'function_call', status: 'completed', arguments: args, call_id: callId, name }
  },
  reasoning(id: string, summary: string[], encrypted: string): Json {
    return {
      id,
      type: 'reasoning',
      summary: summary.map((text) => ({ type: 'summary_text', text })),
      encrypted_content: encrypted,
    }
  },
}

export interface ResponseSpec {
  output: Json[]
  model?: string
  id?: string
  status?: 'completed' | 'incomplete' | 'failed'
  incompleteReason?: 'max_output_tokens' | 'content_filter'
  error?: { code: string; message: string }
  usage?: { input: number; output: number; cached?: number; reasoning?: number }
}

/** A whole response object, as the non-streamed call returns it (and `response.completed` carries). */
export function responseObject(spec: ResponseSpec): Json {
  const usage = spec.usage ?? { input: 12, output: 5 }
  return {
    id: spec.id ?? 'resp_68af4c1d2e3f',
    object: 'response',
    created_at: 1756000000,
    status: spec.status ?? 'completed',
    background: false,
    error: spec.error ?? null,
    incomplete_details: spec.incompleteReason ? { reason: spec.incompleteReason } : null,
    instructions: null,
    max_output_tokens: 4096,
    model: spec.model ?? 'gpt-test-2025-01-01',
    output: spec.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached ?? 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
      total_tokens: usage.input + usage.output,
    },
    user: null,
    metadata: {},
  }
}

/** Splits text into small deltas. */
function pieces(text: string, size = 4): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/** The events one output item streams as, from `output_item.added` to `output_item.done`. */
function itemEvents(done: Json, index: number): Json[] {
  const at = { output_index: index }
  const ids = { item_id: done.id, output_index: index }
  const events: Json[] = []
  if (done.type === 'message') {
    events.push({
      type: 'response.output_item.added',
      ...at,
      item: { ...done, status: 'in_progress', content: [] },
    })
    done.content.forEach((part: Json, c: number) => {
      const at = { ...ids, content_index: c }
      if (part.type === 'output_text') {
        events.push({ type: 'response.content_part.added', ...at, part: { ...part, text: '' } })
        for (const delta of pieces(part.text))
          events.push({ type: 'response.output_text.delta', ...at, delta, logprobs: [] })
        events.push({ type: 'response.output_text.done', ...at, text: part.text, logprobs: [] })
      } else {
        events.push({ type: 'response.content_part.added', ...at, part: { ...part, refusal: '' } })
        for (const delta of pieces(part.refusal))
          events.push({ type: 'response.refusal.delta', ...at, delta })
        events.push({ type: 'response.refusal.done', ...at, refusal: part.refusal })
      }
      events.push({ type: 'response.content_part.done', ...at, part })
    })
  } else if (done.type === 'function_call') {
    events.push({
      type: 'response.output_item.added',
      ...at,
      item: { ...done, status: 'in_progress', arguments: '' },
    })
    for (const delta of pieces(done.arguments, 3))
      events.push({ type: 'response.function_call_arguments.delta', ...ids, delta })
    events.push({ type: 'response.function_call_arguments.done', ...ids, arguments: done.arguments })
  } else if (done.type === 'reasoning') {
    events.push({
      type: 'response.output_item.added',
      ...at,
      item: { id: done.id, type: 'reasoning', summary: [] },
    })
    done.summary.forEach((part: Json, s: number) => {
      const at = { ...ids, summary_index: s }
      events.push({ type: 'response.reasoning_summary_part.added', ...at, part: { ...part, text: '' } })
      for (const delta of pieces(part.text, 8))
        events.push({ type: 'response.reasoning_summary_text.delta', ...at, delta })
      events.push({ type: 'response.reasoning_summary_text.done', ...at, text: part.text })
      events.push({ type: 'response.reasoning_summary_part.done', ...at, part })
    })
  }
  events.push({ type: 'response.output_item.done', ...at, item: done })
  return events
}

export interface StreamOptions {
  /** Interleave the events of consecutive function calls (parallel calls streamed together). */
  interleave?: boolean
  /** Stop after this many events, without a terminal event (a cut stream). */
  cutAfter?: number
}

/** The events a streamed call receives for `response`, numbered by `sequence_number`. */
export function streamEvents(response: Json, options: StreamOptions = {}): Json[] {
  const pending = { ...response, status: 'in_progress', output: [], usage: null, incomplete_details: null }
  const events: Json[] = [
    { type: 'response.created', response: pending },
    { type: 'response.in_progress', response: pending },
  ]
  const perItem = (response.output as Json[]).map(itemEvents)
  for (let i = 0; i < perItem.length; i++) {
    if (!options.interleave || response.output[i].type !== 'function_call') {
      events.push(...perItem[i]!)
      continue
    }
    const group: Json[][] = []
    while (i < perItem.length && response.output[i].type === 'function_call') group.push(perItem[i++]!)
    i--
    for (let n = 0; group.some((list) => n < list.length); n++)
      for (const list of group) if (n < list.length) events.push(list[n]!)
  }
  const terminal =
    response.status === 'incomplete'
      ? 'response.incomplete'
      : response.status === 'failed'
        ? 'response.failed'
        : 'response.completed'
  events.push({ type: terminal, response })
  const numbered = events.map((event, n) => ({ ...event, sequence_number: n }))
  return options.cutAfter === undefined ? numbered : numbered.slice(0, options.cutAfter)
}

/** Server-sent events as text. */
export function sseText(events: Json[]): string {
  return events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('')
}

/** A `text/event-stream` response whose body arrives in `chunk`-byte pieces (splitting lines). */
export function sseResponse(events: Json[], chunk = 37): Response {
  const bytes = new TextEncoder().encode(sseText(events))
  let at = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(at, at + chunk))
      at += chunk
    },
  })
  return new Response(body, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_test' },
  })
}

/** One request the mock server received. */
export interface Captured {
  body: Json
  raw: string
  headers: Headers
}

/** What a test's server answers: a response spec, or a ready HTTP response. */
export type Reply = ResponseSpec | Response

/**
 * A `POST /responses` handler: records each request in `log`, then answers with JSON or, for
 * `stream: true`, with server-sent events built from the same response.
 */
export function responsesHandler(
  reply: (body: Json, n: number) => Reply | Promise<Reply>,
  log: Captured[] = [],
  stream: StreamOptions = {},
) {
  return http.post(`${BASE_URL}/responses`, async ({ request }) => {
    const raw = await request.text()
    const body = JSON.parse(raw) as Json
    log.push({ body, raw, headers: request.headers })
    const answer = await reply(body, log.length - 1)
    if (answer instanceof Response) return answer
    const response = responseObject({ ...answer, model: answer.model ?? body.model })
    if (body.stream) return sseResponse(streamEvents(response, stream))
    return HttpResponse.json(response, { headers: { 'x-request-id': 'req_test' } })
  })
}

/** An API error as OpenAI sends it. */
export function apiError(status: number, message: string, code: string | null = null): Response {
  return HttpResponse.json(
    { error: { message, type: 'invalid_request_error', param: null, code } },
    { status, headers: { 'x-request-id': 'req_test' } },
  )
}
