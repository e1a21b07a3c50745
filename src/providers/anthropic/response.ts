/**
 * An Anthropic message (from a plain call, or assembled from a stream) → a `ModelResponse`.
 * Plain and streamed calls share this, so they cannot disagree.
 */
import type {
  AssistantMessage,
  FinishReason,
  ModelResponse,
  ReasoningPart,
  ToolCall,
  Usage,
} from '../../model/types.js'
import { retryableError } from '../retry.js'
import type { Block } from './request.js'

/** The parts of an Anthropic `Message` this adapter reads. */
export interface WireMessage {
  model?: string
  content: Block[]
  stop_reason?: string | null
  usage?: WireUsage | null
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
  if (typeof message.model === 'string' && message.model) response.modelId = message.model
  return response
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

/** Anthropic counts cache reads and writes apart from `input_tokens`; Baton counts them in. */
export function toUsage(usage: WireUsage | null | undefined): Usage {
  const read = usage?.cache_read_input_tokens ?? 0
  const written = usage?.cache_creation_input_tokens ?? 0
  const result: Usage = {
    inputTokens: (usage?.input_tokens ?? 0) + read + written,
    outputTokens: usage?.output_tokens ?? 0,
  }
  if (read > 0) result.cachedInputTokens = read
  if (written > 0) result.cacheWriteTokens = written
  const thinking = usage?.output_tokens_details?.thinking_tokens
  if (typeof thinking === 'number' && thinking > 0) result.reasoningTokens = thinking
  return result
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
