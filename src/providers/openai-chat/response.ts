/**
 * A Chat Completions response → Baton's `ModelResponse`. Typed loosely on purpose: besides
 * OpenAI, it reads what OpenAI-compatible servers really send (no usage, missing or repeated
 * tool call ids, arguments as an object instead of a JSON string, reasoning text).
 */
import type { AssistantMessage, FinishReason, ModelResponse, ToolCall, Usage } from '../../model/types.js'
import { retryableError } from '../retry.js'

export interface WireToolCall {
  index?: number
  id?: string | null
  type?: string | null
  function?: { name?: string | null; arguments?: unknown } | null
}

export interface WireMessage {
  content?: string | null
  refusal?: string | null
  tool_calls?: WireToolCall[] | null
  /** vLLM, DeepSeek, llama.cpp. */
  reasoning_content?: string | null
  /** Ollama, OpenRouter. */
  reasoning?: string | null
}

export interface WireUsage {
  prompt_tokens?: number | null
  completion_tokens?: number | null
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
  const toolCalls = (wire.tool_calls ?? [])
    .filter((call) => call && (call.type == null || call.type === 'function'))
    .map(toToolCall)
  const message: AssistantMessage = { role: 'assistant', content: wire.content ?? '' }
  let finishReason = toFinishReason(choice.finish_reason, toolCalls.length > 0)
  if (wire.refusal) {
    message.content = wire.refusal
    finishReason = 'refusal'
  }
  if (toolCalls.length > 0) message.toolCalls = toolCalls
  const reasoning = wire.reasoning_content || wire.reasoning
  if (typeof reasoning === 'string' && reasoning !== '') message.reasoning = [{ text: reasoning }]
  const response: ModelResponse = { message, usage: toUsage(completion.usage), finishReason }
  if (typeof completion.model === 'string' && completion.model !== '') response.modelId = completion.model
  return response
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
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls'
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

/** Token counts; a server that reports none (many compatible ones) costs zero. */
export function toUsage(wire: WireUsage | null | undefined): Usage {
  const usage: Usage = {
    inputTokens: count(wire?.prompt_tokens),
    outputTokens: count(wire?.completion_tokens),
  }
  const cached = count(wire?.prompt_tokens_details?.cached_tokens)
  if (cached > 0) usage.cachedInputTokens = cached
  const reasoning = count(wire?.completion_tokens_details?.reasoning_tokens)
  if (reasoning > 0) usage.reasoningTokens = reasoning
  return usage
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0
}
