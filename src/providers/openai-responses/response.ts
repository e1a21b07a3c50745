/**
 * An OpenAI Responses API response → Baton's `ModelResponse`. The response's output items are
 * kept on the message as they came (`provider.data`), so that the next request can pass them
 * back unchanged.
 */
import type {
  Response,
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseReasoningItem,
  ResponseUsage,
} from 'openai/resources/responses/responses'
import { BatonError } from '../../errors/index.js'
import type {
  AssistantMessage,
  FinishReason,
  ModelResponse,
  ReasoningPart,
  ToolCall,
  Usage,
} from '../../model/types.js'
import { retryableError } from '../retry.js'
import { normalizeUsage } from '../usage.js'
import { PROVIDER } from './request.js'

/** Provider error codes worth another attempt (the rest are the request's fault). */
const RETRYABLE_CODES = new Set(['server_error', 'rate_limit_exceeded', 'internal_error', 'overloaded'])

/**
 * Converts a finished response. Throws for a failed response, and a retryable error for one
 * that came back with nothing in it.
 */
export function fromResponse(response: Response): ModelResponse {
  if (response.status === 'failed' || response.status === 'cancelled') {
    throw providerError(
      response.error?.code ?? response.status,
      response.error?.message ?? `the response ${response.status}`,
    )
  }
  const output: ResponseOutputItem[] = Array.isArray(response.output) ? response.output : []
  let text = ''
  let refusal = ''
  const toolCalls: ToolCall[] = []
  const reasoning: ReasoningPart[] = []
  for (const item of output) {
    if (item.type === 'message') {
      for (const part of item.content ?? []) {
        if (part.type === 'output_text') text += part.text
        else if (part.type === 'refusal') refusal += part.refusal
      }
    } else if (item.type === 'function_call') {
      toolCalls.push(toToolCall(item))
    } else if (item.type === 'reasoning') {
      reasoning.push(toReasoning(item))
    }
  }
  const incomplete = response.status === 'incomplete' ? response.incomplete_details?.reason : undefined
  if (!text && !refusal && toolCalls.length === 0 && response.status !== 'incomplete') {
    throw retryableError('EMPTY_RESPONSE', 'the response has no text and no function call')
  }
  const message: AssistantMessage = { role: 'assistant', content: text || refusal }
  if (toolCalls.length) message.toolCalls = toolCalls
  if (reasoning.length) message.reasoning = reasoning
  message.provider = { name: PROVIDER, data: output }
  const result: ModelResponse = {
    message,
    usage: toUsage(response.usage),
    finishReason: finishReason(response.status, incomplete, toolCalls.length > 0, refusal !== ''),
  }
  if (response.model) result.modelId = response.model
  return result
}

function finishReason(
  status: Response['status'],
  incomplete: string | undefined,
  calls: boolean,
  refused: boolean,
): FinishReason {
  // A response cut short says so first: its last function call may be cut off too.
  if (status === 'incomplete') {
    if (incomplete === 'max_output_tokens') return 'length'
    if (incomplete === 'content_filter') return 'content-filter'
    return 'other'
  }
  if (calls) return 'tool-calls'
  if (refused) return 'refusal'
  return 'stop'
}

function toToolCall(item: ResponseFunctionToolCall): ToolCall {
  const call: ToolCall = { id: item.call_id, name: item.name, args: {} }
  const text = item.arguments ?? ''
  if (text.trim() === '') return call
  try {
    call.args = JSON.parse(text)
  } catch {
    call.args = null
    call.argsText = text
  }
  return call
}

function toReasoning(item: ResponseReasoningItem): ReasoningPart {
  const summary = (item.summary ?? []).map((part) => part.text)
  const content = (item.content ?? []).map((part) => part.text)
  return { text: (summary.length ? summary : content).join('\n\n'), provider: PROVIDER, data: item }
}

/** Token counts, normalised (see `../usage.ts`): reasoning and cache reads inside or beside the headline counts. */
export function toUsage(usage: ResponseUsage | null | undefined): Usage {
  return normalizeUsage({
    input: usage?.input_tokens,
    output: usage?.output_tokens,
    total: usage?.total_tokens,
    cached: usage?.input_tokens_details?.cached_tokens,
    reasoning: usage?.output_tokens_details?.reasoning_tokens,
  })
}

/**
 * An error the API reported inside a response or a stream (not as an HTTP status). A request too
 * long for the model's window is `CONTEXT_LENGTH`, as when it is refused with a 400.
 */
export function providerError(code: string | null | undefined, message: string): BatonError {
  const retryable = typeof code === 'string' && RETRYABLE_CODES.has(code)
  const kind =
    code === 'context_length_exceeded'
      ? 'CONTEXT_LENGTH'
      : code
        ? `OPENAI_${code.toUpperCase()}`
        : 'OPENAI_ERROR'
  return new BatonError('MODEL_ERROR', code ? `${message} (${code})` : message, {
    details: { code: kind, retryable },
  })
}
