/**
 * An Anthropic message (from a plain call, or assembled from a stream) → a `ModelResponse`.
 * Plain and streamed calls share this, so they cannot disagree.
 */
import type {
  AssistantMessage,
  FinishReason,
  ModelResponse,
  ReasoningPart,
  RefusalDetails,
  ToolCall,
  Usage,
} from '../../model/types.js'
import { retryableError } from '../retry.js'
import { normalizeUsage } from '../usage.js'
import type { Block } from './request.js'

/** The parts of an Anthropic `Message` this adapter reads. */
export interface WireMessage {
  model?: string
  content: Block[]
  stop_reason?: string | null
  /** With `stop_reason: "refusal"`: `{ type: 'refusal', category, explanation }`. */
  stop_details?: WireStopDetails | null
  usage?: WireUsage | null
}

export interface WireStopDetails {
  type?: string
  category?: string | null
  explanation?: string | null
}

export interface WireUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
  output_tokens_details?: { thinking_tokens?: number | null } | null
}

/** `argsText`: tool inputs that streamed in as invalid JSON (their blocks then hold `{}`). */
export function toResponse(message: WireMessage, argsText?: ReadonlyMap<Block, string>): ModelResponse {
  if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
    throw retryableError('MALFORMED_RESPONSE', 'the response is not a message with content blocks')
  }
  let text = ''
  const toolCalls: ToolCall[] = []
  const reasoning: ReasoningPart[] = []
  for (const block of message.content) {
    switch (block.type) {
      case 'text':
        text += typeof block.text === 'string' ? block.text : ''
        break
      case 'tool_use':
        toolCalls.push(toolCall(block, argsText?.get(block)))
        break
      case 'thinking':
        reasoning.push({
          text: typeof block.thinking === 'string' ? block.thinking : '',
          provider: 'anthropic',
          data: { signature: block.signature },
        })
        break
      case 'redacted_thinking':
        reasoning.push({ text: '', provider: 'anthropic', data: { redacted: block.data } })
        break
    }
  }
  const assistant: AssistantMessage = { role: 'assistant', content: text }
  if (toolCalls.length) assistant.toolCalls = toolCalls
  if (reasoning.length) assistant.reasoning = reasoning
  // The blocks exactly as received: re-sent as they are on the next turn (thinking signatures).
  assistant.provider = { name: 'anthropic', data: message.content }
  const response: ModelResponse = {
    message: assistant,
    usage: toUsage(message.usage),
    finishReason: finishReason(message.stop_reason),
  }
  if (response.finishReason === 'refusal') addRefusal(assistant, message.stop_details)
  if (typeof message.model === 'string' && message.model) response.modelId = message.model
  return response
}

/**
 * Keeps the API's account of a refusal, and ends the message's text with it: that text is what a
 * run that stops on the refusal reports, and a refusal often comes with no text at all.
 */
function addRefusal(message: AssistantMessage, details: WireStopDetails | null | undefined): void {
  if (typeof details !== 'object' || details === null) return
  if (details.type !== undefined && details.type !== 'refusal') return
  const refusal: RefusalDetails = {}
  if (typeof details.category === 'string' && details.category) refusal.category = details.category
  if (typeof details.explanation === 'string' && details.explanation.trim())
    refusal.explanation = details.explanation
  if (refusal.category === undefined && refusal.explanation === undefined) return
  message.refusal = refusal
  const category = refusal.category === undefined ? '' : `(category: ${refusal.category})`
  const line = [refusal.explanation ?? 'refused', category].filter(Boolean).join(' ')
  message.content = message.content.trim() ? `${message.content}\n\n${line}` : line
}

function toolCall(block: Block, argsText: string | undefined): ToolCall {
  const call: ToolCall = {
    id: String(block.id ?? ''),
    name: String(block.name ?? ''),
    args: block.input ?? {},
  }
  if (argsText !== undefined) call.argsText = argsText
  return call
}

/**
 * Anthropic counts cache reads and writes apart from `input_tokens`; Baton counts them in.
 * Thinking is a part of `output_tokens`, unless a server reports more of it than that.
 */
export function toUsage(usage: WireUsage | null | undefined): Usage {
  const read = usage?.cache_read_input_tokens ?? 0
  const written = usage?.cache_creation_input_tokens ?? 0
  const result = normalizeUsage({
    input: (usage?.input_tokens ?? 0) + read + written,
    output: usage?.output_tokens,
    cached: read,
    reasoning: usage?.output_tokens_details?.thinking_tokens,
  })
  if (written > 0) result.cacheWriteTokens = written
  return result
}

/**
 * The messages of one answer that the API paused (`pause_turn`) and was asked to continue, as
 * one message: their blocks in order, the last stop reason, and the tokens of every call.
 */
export function joinMessages(parts: readonly WireMessage[]): WireMessage {
  const last = parts.at(-1)
  if (!last || parts.length === 1) return last ?? { content: [] }
  const usage: Record<string, unknown> = {}
  for (const part of parts) {
    for (const [key, value] of Object.entries(part.usage ?? {})) {
      if (typeof value === 'number')
        usage[key] = (typeof usage[key] === 'number' ? (usage[key] as number) : 0) + value
    }
  }
  const joined: WireMessage = {
    content: parts.flatMap((part) => (Array.isArray(part.content) ? part.content : [])),
    stop_reason: last.stop_reason ?? null,
    stop_details: last.stop_details ?? null,
    usage: usage as WireUsage,
  }
  const model = parts.find((part) => part.model)?.model
  if (model) joined.model = model
  return joined
}

export function finishReason(stop: string | null | undefined): FinishReason {
  switch (stop) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop'
    case 'tool_use':
      return 'tool-calls'
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length'
    case 'refusal':
      return 'refusal'
    default:
      return 'other'
  }
}
