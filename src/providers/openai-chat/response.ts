/**
 * A Chat Completions response → Baton's `ModelResponse`. Typed loosely on purpose: besides
 * OpenAI, it reads what OpenAI-compatible servers really send (no usage, missing or repeated
 * tool call ids, arguments as an object instead of a JSON string, reasoning text).
 */
import type {
  AssistantMessage,
  FinishReason,
  ModelResponse,
  ReasoningPart,
  ToolCall,
  Usage,
} from '../../model/types.js'
import { describe } from '../../schema/index.js'
import { retryableError } from '../retry.js'
import { normalizeUsage } from '../usage.js'

export interface WireToolCall {
  index?: number
  id?: string | null
  type?: string | null
  function?: { name?: string | null; arguments?: unknown } | null
}

export interface WireMessage {
  /** Text, or (Mistral) a list of parts: `{ type: 'text', text }`, `{ type: 'thinking', thinking }`. */
  content?: unknown
  refusal?: string | null
  tool_calls?: WireToolCall[] | null
  /** vLLM, DeepSeek, llama.cpp. */
  reasoning_content?: string | null
  /** Ollama, OpenRouter. */
  reasoning?: string | null
}

/** The `provider` of the reasoning parts this adapter makes. */
export const CHAT_PROVIDER = 'openai-chat'

/** Where servers put reasoning text on an assistant message: vLLM, DeepSeek, llama.cpp; Ollama, OpenRouter. */
export const REASONING_FIELDS = ['reasoning_content', 'reasoning'] as const

/** A reasoning part's `data`: the reasoning fields of the wire message, as received. */
export type ReasoningData = { [F in (typeof REASONING_FIELDS)[number]]?: string }

export interface WireUsage {
  prompt_tokens?: number | null
  completion_tokens?: number | null
  total_tokens?: number | null
  prompt_cache_hit_tokens?: number | null
  prompt_tokens_details?: { cached_tokens?: number | null } | null
  completion_tokens_details?: { reasoning_tokens?: number | null } | null
}

export interface WireCompletion {
  model?: string | null
  choices?: { index?: number; message?: WireMessage | null; finish_reason?: string | null }[] | null
  usage?: WireUsage | null
  error?: { message?: unknown } | null
}

/** The first choice of a completion as a `ModelResponse`; no choice at all is retried. */
export function fromCompletion(completion: WireCompletion): ModelResponse {
  const choice = completion.choices?.find((c) => (c.index ?? 0) === 0) ?? completion.choices?.[0]
  if (!choice) {
    const said = typeof completion.error?.message === 'string' ? `: ${completion.error.message}` : ''
    throw retryableError('EMPTY_RESPONSE', `the response has no choices${said}`)
  }
  const wire = choice.message ?? {}
  const toolCalls = (Array.isArray(wire.tool_calls) ? wire.tool_calls : [])
    .filter((call) => call && (call.type == null || call.type === 'function'))
    .map(toToolCall)
  const content = contentOf(wire.content)
  const message: AssistantMessage = { role: 'assistant', content: content.text }
  let finishReason = toFinishReason(choice.finish_reason, toolCalls.length > 0)
  if (wire.refusal) {
    // Text written before the refusal stays before it, as it streamed.
    message.content = content.text + wire.refusal
    finishReason = 'refusal'
  }
  if (toolCalls.length > 0) message.toolCalls = toolCalls
  const reasoning = reasoningPart(wire, content.thinking)
  if (reasoning) message.reasoning = [reasoning]
  const response: ModelResponse = { message, usage: toUsage(completion.usage), finishReason }
  if (typeof completion.model === 'string' && completion.model !== '') response.modelId = completion.model
  return response
}

/**
 * The reasoning text, and in `data` the reasoning fields exactly as the server sent them: servers
 * in thinking mode (DeepSeek) refuse the next request of a tool loop unless the assistant message
 * carries its `reasoning_content` back, so `./request.ts` sends these fields back unchanged.
 */
function reasoningPart(wire: WireMessage, thinking: string): ReasoningPart | undefined {
  const data: ReasoningData = {}
  for (const field of REASONING_FIELDS) {
    const value = wire[field]
    if (typeof value === 'string' && value !== '') data[field] = value
  }
  // Thinking given as content parts is read, not sent back (its server takes no such field).
  const text = data.reasoning_content ?? data.reasoning ?? (thinking === '' ? undefined : thinking)
  if (text === undefined) return undefined
  return { text, provider: CHAT_PROVIDER, data }
}

/** What a message's (or a delta's) `content` says: its text, and any thinking given as parts. */
export interface ContentText {
  text: string
  thinking: string
}

/**
 * A `content` as text. Besides a string (or null), servers send a list of parts: Mistral's
 * reasoning models answer `[{ type: 'thinking', thinking: [{ type: 'text', text }] }, { type:
 * 'text', text }]`. Parts of other kinds (images, references) carry no answer text.
 */
export function contentOf(content: unknown): ContentText {
  if (content === undefined || content === null) return { text: '', thinking: '' }
  if (typeof content === 'string') return { text: content, thinking: '' }
  if (!Array.isArray(content)) {
    throw retryableError(
      'MALFORMED_RESPONSE',
      `the message content is ${describe(content)}, not text or a list of content parts`,
    )
  }
  let text = ''
  let thinking = ''
  for (const part of content as unknown[]) {
    if (typeof part === 'string') {
      text += part
      continue
    }
    const { type, text: partText, thinking: partThinking } = (part ?? {}) as Record<string, unknown>
    if (type === 'text' && typeof partText === 'string') text += partText
    else if (type === 'thinking') thinking += contentOf(partThinking).text
  }
  return { text, thinking }
}

/** Ids may be missing or repeated here: the loop gives every call a unique id. */
function toToolCall(call: WireToolCall): ToolCall {
  const raw = call.function?.arguments
  const result: ToolCall = { id: call.id ?? '', name: call.function?.name ?? '', args: undefined }
  if (raw === undefined || raw === null) {
    result.args = {}
  } else if (typeof raw !== 'string') {
    // Some servers send the arguments as an object rather than as JSON text.
    result.args = raw
  } else if (raw.trim() === '') {
    result.args = {}
  } else {
    try {
      result.args = JSON.parse(raw)
    } catch {
      result.argsText = raw
    }
  }
  return result
}

export function toFinishReason(reason: string | null | undefined, hasToolCalls: boolean): FinishReason {
  switch (reason) {
    // Some servers (vLLM) say `tool_calls` whenever tools were offered, called or not.
    case 'tool_calls':
    case 'function_call':
      return hasToolCalls ? 'tool-calls' : 'stop'
    case 'length':
      return 'length'
    case 'content_filter':
      return 'content-filter'
    // Some servers (older Ollama) say `stop` even when the answer is tool calls.
    case 'stop':
    case null:
    case undefined:
      return hasToolCalls ? 'tool-calls' : 'stop'
    default:
      return hasToolCalls ? 'tool-calls' : 'other'
  }
}

/** Token counts, normalised (see `../usage.ts`); a server that reports none (many compatible ones) costs zero. */
export function toUsage(wire: WireUsage | null | undefined): Usage {
  return normalizeUsage({
    input: wire?.prompt_tokens,
    output: wire?.completion_tokens,
    total: wire?.total_tokens,
    // DeepSeek also reports its cache hits as `prompt_cache_hit_tokens` (inside `prompt_tokens`).
    cached: wire?.prompt_tokens_details?.cached_tokens ?? wire?.prompt_cache_hit_tokens,
    reasoning: wire?.completion_tokens_details?.reasoning_tokens,
  })
}
