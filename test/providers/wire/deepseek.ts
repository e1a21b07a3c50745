/**
 * DeepSeek's chat completions in thinking mode on the wire: the `chat.completion` and
 * `chat.completion.chunk` bodies the API returns (reasoning in `reasoning_content`, cache hits
 * in `prompt_cache_hit_tokens` too), and its 400 for a tool loop whose assistant message lost
 * its `reasoning_content`. `field` lets the same bodies speak for servers that name the field
 * `reasoning` (vLLM's newer releases, Ollama).
 */
import { HttpResponse, http } from 'msw'
import type { Json } from './openai-chat.js'
import { sseResponse } from './openai-chat.js'

export const DEEPSEEK_URL = 'http://deepseek.test/v1'

export type ReasoningField = 'reasoning_content' | 'reasoning'

/** One thinking-mode answer: reasoning, then either a tool call or text. */
export interface ThinkingAnswer {
  reasoning: string
  content?: string
  call?: { id: string; name: string; arguments: string }
  field?: ReasoningField
  model?: string
}

const CREATED = 1764680000
const FINGERPRINT = 'fp_ffc7281d48_prod0820_fp8_kvcache'

function usage(): Json {
  return {
    prompt_tokens: 345,
    completion_tokens: 98,
    total_tokens: 443,
    prompt_tokens_details: { cached_tokens: 320 },
    completion_tokens_details: { reasoning_tokens: 71 },
    prompt_cache_hit_tokens: 320,
    prompt_cache_miss_tokens: 25,
  }
}

export function completion(answer: ThinkingAnswer): Json {
  const field = answer.field ?? 'reasoning_content'
  const message: Json = { role: 'assistant', content: answer.content ?? '', [field]: answer.reasoning }
  if (answer.call) {
    message.tool_calls = [
      {
        index: 0,
        id: answer.call.id,
        type: 'function',
        function: { name: answer.call.name, arguments: answer.call.arguments },
      },
    ]
  }
  return {
    id: 'd3f0c7a2-5b8e-4c1f-9a6d-2e7b4f8c1a90',
    object: 'chat.completion',
    created: CREATED,
    model: answer.model ?? 'deepseek-reasoner',
    choices: [{ index: 0, message, logprobs: null, finish_reason: answer.call ? 'tool_calls' : 'stop' }],
    usage: usage(),
    system_fingerprint: FINGERPRINT,
  }
}

/** The chunks DeepSeek streams: the reasoning first (content `null`), then text or the call. */
export function chunks(answer: ThinkingAnswer, includeUsage: boolean): Json[] {
  const field = answer.field ?? 'reasoning_content'
  const chunk = (delta: Json, finish: string | null = null): Json => ({
    id: 'a81c2e6f-7d94-4b3a-8e15-c0f9d2b7a463',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: answer.model ?? 'deepseek-reasoner',
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })
  const out: Json[] = [chunk({ role: 'assistant', content: null, [field]: '' })]
  // Reasoning arrives in small pieces that split words, spaces and multi-byte characters apart.
  const chars = [...answer.reasoning]
  for (let i = 0; i < chars.length; i += 3)
    out.push(chunk({ content: null, [field]: chars.slice(i, i + 3).join('') }))
  if (answer.content) {
    for (const word of answer.content.split(/(?<= )/)) out.push(chunk({ content: word, [field]: null }))
  }
  if (answer.call) {
    const { id, name, arguments: args } = answer.call
    out.push(
      chunk({
        tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }],
      }),
    )
    for (let i = 0; i < args.length; i += 6)
      out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + 6) } }] }))
  }
  out.push(chunk({ content: '', [field]: null }, answer.call ? 'tool_calls' : 'stop'))
  if (includeUsage) out.push({ ...chunk({}), choices: [], usage: usage() })
  return out
}

/** DeepSeek's answer to an assistant message with tool calls and no `reasoning_content`. */
export function missingReasoning(index: number): Response {
  return HttpResponse.json(
    {
      error: {
        message: `Missing \`reasoning_content\` field in the assistant message at message index ${index}. For more information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_request_error',
      },
    },
    { status: 400 },
  )
}

export interface Seen {
  raw: string
  body: Json
}

/**
 * `POST /chat/completions` as a thinking-mode server: every assistant message with tool calls
 * must carry its reasoning back in `field`, else the 400 above; then `reply` answers.
 */
export function thinkingHandler(
  baseURL: string,
  reply: (body: Json) => ThinkingAnswer,
  seen: Seen[],
  field: ReasoningField = 'reasoning_content',
) {
  return http.post(`${baseURL}/chat/completions`, async ({ request }) => {
    const raw = await request.text()
    const body = JSON.parse(raw) as Json
    seen.push({ raw, body })
    const messages = body.messages as Json[]
    const missing = messages.findIndex(
      (m) => m.role === 'assistant' && m.tool_calls?.length && typeof m[field] !== 'string',
    )
    if (missing >= 0) return missingReasoning(missing)
    const answer = { field, ...reply(body) }
    if (!body.stream) return HttpResponse.json(completion(answer))
    return sseResponse(chunks(answer, body.stream_options?.include_usage === true))
  })
}
