/**
 * The Anthropic Messages API as it looks on the wire, for msw: message JSON, the SSE events a
 * streamed call receives (`event: <type>\ndata: {...}\n\n`, delivered in chunks that split
 * events mid-line), error bodies, and a handler that checks the API key the way the real API
 * accepts it (`x-api-key`, or `Authorization: Bearer`).
 */
import { HttpResponse, http } from 'msw'

export const BASE_URL = 'http://anthropic.test'

export type Block = { type: string } & Record<string, unknown>

export interface UsageJson {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
}

export interface MessageJson {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: Block[]
  stop_reason: string | null
  stop_sequence: string | null
  /** With `stop_reason: "refusal"`: `{ type: 'refusal', category, explanation }`; else `null`. */
  stop_details?: { type: 'refusal'; category: string | null; explanation: string | null } | null
  usage: UsageJson
}

export const text = (value: string): Block => ({ type: 'text', text: value })
export const toolUse = (id: string, name: string, input: object): Block => ({
  type: 'tool_use',
  id,
  name,
  input,
})
export const thinking = (value: string, signature: string): Block => ({
  type: 'thinking',
  thinking: value,
  signature,
})
export const redactedThinking = (data: string): Block => ({ type: 'redacted_thinking', data })

let ids = 0

export function message(
  content: Block[],
  options: {
    stop?: string
    usage?: Partial<UsageJson>
    model?: string
    stopDetails?: MessageJson['stop_details']
  } = {},
): MessageJson {
  return {
    id: `msg_${String(++ids).padStart(4, '0')}`,
    type: 'message',
    role: 'assistant',
    model: options.model ?? 'claude-haiku-4-5-20251001',
    content,
    stop_reason:
      options.stop ?? (content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    stop_details: options.stopDetails ?? null,
    usage: {
      input_tokens: 12,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 7,
      ...options.usage,
    },
  }
}

export interface SseEvent {
  event: string
  data: unknown
}

/** Splits a string into pieces of about `size` characters (so deltas arrive in several parts). */
function pieces(value: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < value.length; i += size) out.push(value.slice(i, i + size))
  return out
}

function blockEvents(block: Block, index: number): { start: SseEvent; deltas: SseEvent[]; stop: SseEvent } {
  const delta = (d: object): SseEvent => ({
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index, delta: d },
  })
  let start: Block = block
  const deltas: SseEvent[] = []
  if (block.type === 'text') {
    start = { ...block, text: '' }
    for (const piece of pieces(String(block.text), 4)) deltas.push(delta({ type: 'text_delta', text: piece }))
  } else if (block.type === 'thinking') {
    start = { ...block, thinking: '', signature: '' }
    for (const piece of pieces(String(block.thinking), 6))
      deltas.push(delta({ type: 'thinking_delta', thinking: piece }))
    deltas.push(delta({ type: 'signature_delta', signature: block.signature }))
  } else if (block.type === 'tool_use') {
    start = { ...block, input: {} }
    deltas.push(delta({ type: 'input_json_delta', partial_json: '' }))
    for (const piece of pieces(JSON.stringify(block.input), 5))
      deltas.push(delta({ type: 'input_json_delta', partial_json: piece }))
  }
  return {
    start: {
      event: 'content_block_start',
      data: { type: 'content_block_start', index, content_block: start },
    },
    deltas,
    stop: { event: 'content_block_stop', data: { type: 'content_block_stop', index } },
  }
}

/**
 * The events of a streamed answer equal to `msg`. Input and cache counts come in
 * `message_start`; `message_delta` carries the stop reason and the running output count.
 * `interleave` sends the deltas of all blocks round-robin (a stress test of index keeping).
 */
export function sseEvents(msg: MessageJson, options: { interleave?: boolean } = {}): SseEvent[] {
  const { usage } = msg
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          ...msg,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          stop_details: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
    },
    { event: 'ping', data: { type: 'ping' } },
  ]
  const blocks = msg.content.map(blockEvents)
  if (options.interleave) {
    for (const b of blocks) events.push(b.start)
    const longest = Math.max(0, ...blocks.map((b) => b.deltas.length))
    for (let i = 0; i < longest; i++) for (const b of blocks) if (b.deltas[i]) events.push(b.deltas[i]!)
    for (const b of blocks) events.push(b.stop)
  } else {
    for (const b of blocks) events.push(b.start, ...b.deltas, b.stop)
  }
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        // The stop details (a refusal's category and explanation) come with the stop reason.
        delta: { stop_reason: msg.stop_reason, stop_sequence: null, stop_details: msg.stop_details ?? null },
        usage: { output_tokens: usage.output_tokens },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  )
  return events
}

export function sseError(type: string, text: string): SseEvent {
  return { event: 'error', data: { type: 'error', error: { type, message: text } } }
}

/** An SSE body delivered in small chunks of varying size that cut events (and lines) in two. */
export function sseBody(events: readonly SseEvent[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(
    events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join(''),
  )
  const sizes = [7, 31, 3, 64, 17]
  return new ReadableStream({
    start(controller) {
      for (let at = 0, n = 0; at < bytes.length; n++) {
        const size = sizes[n % sizes.length]!
        controller.enqueue(bytes.slice(at, at + size))
        at += size
      }
      controller.close()
    },
  })
}

export function sseResponse(events: readonly SseEvent[]): Response {
  return new HttpResponse(sseBody(events), {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  })
}

export function errorResponse(status: number, type: string, text: string, headers?: HeadersInit): Response {
  return HttpResponse.json({ type: 'error', error: { type, message: text } }, { status, headers })
}

/** What a handler saw of one request. */
export interface Captured {
  raw: string
  body: Record<string, unknown> & { stream?: boolean; messages: { role: string; content: unknown }[] }
  headers: Headers
}

/** A reply: a message (sent as JSON or as SSE, as the request asks), or a ready response. */
export type Reply = MessageJson | Response

/**
 * `POST /v1/messages`. Refuses a request without the key (`x-api-key` or a bearer token), records
 * every accepted request, and answers with `reply`.
 */
export function messagesHandler(
  apiKey: string,
  reply: (captured: Captured, n: number) => Reply | Promise<Reply>,
  captured: Captured[] = [],
) {
  return http.post(`${BASE_URL}/v1/messages`, async ({ request }) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1]
    const key = request.headers.get('x-api-key') ?? bearer
    if (key !== apiKey) return errorResponse(401, 'authentication_error', 'invalid x-api-key')
    const raw = await request.text()
    const entry: Captured = { raw, body: JSON.parse(raw), headers: request.headers }
    captured.push(entry)
    const answer = await reply(entry, captured.length)
    if (answer instanceof Response) return answer
    return entry.body.stream ? sseResponse(sseEvents(answer)) : HttpResponse.json(answer)
  })
}

/**
 * A handler that answers the next requests with `replies`, in order (a reply may be made from
 * the request), and fails a request past the last; `captured` gets every request it accepted.
 */
export function repliesHandler(
  apiKey: string,
  replies: readonly (Reply | ((captured: Captured) => Reply | Promise<Reply>))[],
  captured: Captured[],
) {
  return messagesHandler(
    apiKey,
    (entry, n) => {
      const reply = replies[n - 1]
      if (!reply) throw new Error(`unexpected request #${n}`)
      return typeof reply === 'function' ? reply(entry) : reply
    },
    captured,
  )
}
