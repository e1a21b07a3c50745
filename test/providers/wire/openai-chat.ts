/**
 * OpenAI Chat Completions on the wire, for msw: `chat.completion` objects as `POST
 * /chat/completions` returns them, the `chat.completion.chunk` objects a streamed call gets
 * (`data: {...}\n\n` … `data: [DONE]\n\n`), served in pieces that split events mid-line, and a
 * handler that answers plain and streamed requests alike.
 */
import { delay, HttpResponse, http } from 'msw'

// biome-ignore lint/suspicious/noExplicitAny: wire objects are plain JSON
export type Json = Record<string, any>

export const OPENAI_URL = 'http://openai.test/v1'
export const OLLAMA_URL = 'http://ollama.test/v1'

export interface WireCall {
  /** `null` leaves the id out (some compatible servers send none). */
  id: string | null
  name: string
  /** JSON text as OpenAI sends it, or an object as some compatible servers do. */
  arguments: string | object
}

export interface WireUsage {
  prompt: number
  completion: number
  cached?: number
  reasoning?: number
}

/** One answer, served as a `chat.completion` or as chunks. */
export interface Answer {
  content?: string | null
  refusal?: string
  /** Sent as `reasoning_content` (vLLM, DeepSeek). */
  reasoning?: string
  toolCalls?: WireCall[]
  /** Default: `tool_calls` when there are calls, else `stop`. */
  finishReason?: string
  /** `null` sends no usage at all (many compatible servers). Default 12 in, 5 out. */
  usage?: WireUsage | null
  model?: string
  /** Streamed only: whether every tool call chunk repeats the call's id (some servers do). */
  repeatIds?: boolean
  /** Streamed only: the stream breaks off before the finish_reason (and [DONE]). */
  cut?: boolean
}

const CREATED = 1756000000
const COMPLETION_ID = 'chatcmpl-C0a1b2c3d4e5f6'

export function usageObject(usage: WireUsage): Json {
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { cached_tokens: usage.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  }
}

function finishOf(answer: Answer): string {
  return answer.finishReason ?? (answer.toolCalls?.length ? 'tool_calls' : 'stop')
}

function wireCall(call: WireCall): Json {
  const json: Json = { type: 'function', function: { name: call.name, arguments: call.arguments } }
  if (call.id !== null) json.id = call.id
  return json
}

/** The `chat.completion` object a plain call returns. */
export function completionObject(answer: Answer): Json {
  const message: Json = {
    role: 'assistant',
    content: answer.content === undefined ? null : answer.content,
    refusal: answer.refusal ?? null,
    annotations: [],
  }
  if (answer.toolCalls?.length) message.tool_calls = answer.toolCalls.map(wireCall)
  if (answer.reasoning) message.reasoning_content = answer.reasoning
  const body: Json = {
    id: COMPLETION_ID,
    object: 'chat.completion',
    created: CREATED,
    model: answer.model ?? 'gpt-test-2025-01-01',
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishOf(answer) }],
    service_tier: 'default',
    system_fingerprint: 'fp_b1c2d3e4',
  }
  const usage = answer.usage === undefined ? { prompt: 12, completion: 5 } : answer.usage
  if (usage) body.usage = usageObject(usage)
  return body
}

/** Splits text into pieces of about `size` characters. */
function pieces(text: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

/**
 * The chunks of a streamed answer: a role chunk, text in small pieces, then the tool calls
 * (each call's id and name first, then its arguments in pieces interleaved across the calls,
 * two calls sharing a chunk once), the finish chunk, and the usage chunk when asked for.
 */
export function chunkObjects(answer: Answer, options: { includeUsage?: boolean } = {}): Json[] {
  const model = answer.model ?? 'gpt-test-2025-01-01'
  const chunk = (delta: Json, finish: string | null = null): Json => ({
    id: COMPLETION_ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_b1c2d3e4',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(options.includeUsage ? { usage: null } : {}),
  })
  const chunks: Json[] = [chunk({ role: 'assistant', content: '', refusal: null })]
  if (answer.reasoning)
    for (const p of pieces(answer.reasoning, 4)) chunks.push(chunk({ reasoning_content: p }))
  if (answer.content) for (const p of pieces(answer.content, 3)) chunks.push(chunk({ content: p }))
  if (answer.refusal) for (const p of pieces(answer.refusal, 5)) chunks.push(chunk({ refusal: p }))
  const calls = answer.toolCalls ?? []
  const id = (call: WireCall): Json => (call.id !== null && answer.repeatIds ? { id: call.id } : {})
  calls.forEach((call, index) => {
    const head: Json = { index, type: 'function', function: { name: call.name, arguments: '' } }
    if (call.id !== null) head.id = call.id
    chunks.push(chunk({ tool_calls: [head] }))
  })
  const argPieces = calls.map((call) =>
    typeof call.arguments === 'string' ? pieces(call.arguments, 4) : [call.arguments],
  )
  const rounds = Math.max(0, ...argPieces.map((p) => p.length))
  for (let round = 0; round < rounds; round++) {
    const deltas = calls.flatMap((call, index) => {
      const piece = argPieces[index]![round]
      return piece === undefined ? [] : [{ index, ...id(call), function: { arguments: piece } }]
    })
    // The first round carries every call in one chunk; later rounds send one call per chunk.
    if (round === 0) chunks.push(chunk({ tool_calls: deltas }))
    else for (const delta of deltas) chunks.push(chunk({ tool_calls: [delta] }))
  }
  if (answer.cut) return chunks
  chunks.push(chunk({}, finishOf(answer)))
  const usage = answer.usage === undefined ? { prompt: 12, completion: 5 } : answer.usage
  if (options.includeUsage && usage) {
    chunks.push({ ...chunk({}), choices: [], usage: usageObject(usage) })
  }
  return chunks
}

/**
 * A `text/event-stream` body: each chunk as `data: {...}\n\n`, then `data: [DONE]\n\n` (unless
 * cut), written in pieces of 1 to 23 bytes so that events and lines are split mid-way.
 */
export function sseBody(chunks: Json[], options: { done?: boolean } = {}): ReadableStream<Uint8Array> {
  let text = chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')
  if (options.done ?? true) text += 'data: [DONE]\n\n'
  const bytes = new TextEncoder().encode(text)
  const parts: Uint8Array[] = []
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const size = 1 + ((n * 7) % 23)
    parts.push(bytes.subarray(at, at + size))
    at += size
  }
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part)
      controller.close()
    },
  })
}

export function sseResponse(chunks: Json[], options: { done?: boolean } = {}): Response {
  return new HttpResponse(sseBody(chunks, options), {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  })
}

/** An error body as OpenAI sends it. */
export function errorResponse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const type = status === 401 ? 'invalid_request_error' : status === 429 ? 'requests' : 'server_error'
  return HttpResponse.json({ error: { message, type, param: null, code: null } }, { status, headers })
}

/** One request the handler received. */
export interface Received {
  body: Json
  headers: Headers
}

export type Reply = (body: Json, request: Request) => Answer | Response | Promise<Answer | Response>

/**
 * `POST <baseURL>/chat/completions`: records every request and answers it from `reply`, as a
 * `chat.completion` or, for `stream: true`, as server-sent chunks (with the usage chunk when
 * `stream_options.include_usage` asks for it). `delayMs` makes the answer late.
 */
export function chatHandler(baseURL: string, reply: Reply, received: Received[] = [], delayMs = 0) {
  return http.post(`${baseURL}/chat/completions`, async ({ request }) => {
    const body = (await request.clone().json()) as Json
    received.push({ body, headers: request.headers })
    if (delayMs > 0) await delay(delayMs)
    const answer = await reply(body, request)
    if (answer instanceof Response) return answer
    if (!body.stream) return HttpResponse.json(completionObject(answer))
    const includeUsage = body.stream_options?.include_usage === true
    return sseResponse(chunkObjects(answer, { includeUsage }), { done: !answer.cut })
  })
}

/** The answers the shared model contract asks for, by script: 'text', 'tool-calls', 'slow'. */
export function contractAnswer(script: string, options: { usage?: WireUsage | null } = {}): Answer {
  const usage = options.usage === undefined ? { prompt: 31, completion: 9 } : options.usage
  if (script === 'tool-calls') {
    return {
      content: null,
      toolCalls: [
        { id: 'call_Lk1', name: 'lookup', arguments: '{"q":"a"}' },
        { id: 'call_Lk2', name: 'lookup', arguments: '{"q":"b"}' },
      ],
      usage,
    }
  }
  return { content: script === 'slow' ? 'late hello' : 'hello there, friend', usage }
}
