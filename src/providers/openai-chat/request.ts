/**
 * Baton's provider-neutral request → a Chat Completions request body (`POST /chat/completions`).
 * The same body serves OpenAI and OpenAI-compatible servers, minus what only OpenAI accepts.
 */
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions'
import type { AssistantMessage, Message, ModelRequest, ToolCall } from '../../model/types.js'
import type { ProviderOptions } from '../options.js'
import { CHAT_PROVIDER, REASONING_FIELDS, type ReasoningData } from './response.js'

/** Which dialect of Chat Completions a server speaks. */
export type Flavor = 'openai' | 'compatible'

export const DEFAULT_MAX_TOKENS = 4096

/** The request body for one call, without the streaming switches. */
export function chatBody(
  model: string,
  request: ModelRequest,
  options: ProviderOptions,
  flavor: Flavor,
): ChatCompletionCreateParamsNonStreaming {
  const { stream: _stream, stream_options: _streamOptions, ...params } = options.params ?? {}
  // Whether a call streams is the caller's choice (generate or stream), never a param's.
  const body: Record<string, unknown> = { ...params, model }
  body.messages = request.messages.map((message) => toWireMessage(message, flavor))
  if (request.tools.length > 0) body.tools = request.tools.map(toWireTool)
  // The budget's clip (request.maxTokens) wins over everything else.
  const maxTokens = request.maxTokens ?? options.maxTokens ?? DEFAULT_MAX_TOKENS
  // OpenAI deprecated `max_tokens` (reasoning models refuse it); other servers only know `max_tokens`.
  body[flavor === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = maxTokens
  if (request.output) {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: schemaName(request.output.name), schema: request.output.schema, strict: false },
    }
  }
  return body as unknown as ChatCompletionCreateParamsNonStreaming
}

function toWireMessage(message: Message, flavor: Flavor): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content }
    case 'user':
      return { role: 'user', content: message.content }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content }
    case 'assistant': {
      const calls = message.toolCalls ?? []
      const wire: ChatCompletionAssistantMessageParam = {
        role: 'assistant',
        // `null` is the documented content of a message that only calls tools.
        content: message.content !== '' ? message.content : calls.length > 0 ? null : '',
      }
      Object.assign(wire, reasoningFields(message, flavor))
      if (calls.length > 0) {
        wire.tool_calls = calls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: argumentsText(call, flavor) },
        }))
      }
      return wire
    }
  }
}

/**
 * The reasoning fields (`reasoning_content`, `reasoning`) this adapter received with the message,
 * sent back byte for byte: DeepSeek in thinking mode answers 400 to a tool loop's next request
 * without them. Reasoning from other providers stays out (it means nothing to this server);
 * reasoning of no provider (a message recorded before parts carried one) goes to a compatible
 * server as `reasoning_content`.
 */
function reasoningFields(message: AssistantMessage, flavor: Flavor): ReasoningData {
  const fields: ReasoningData = {}
  let unowned = ''
  for (const part of message.reasoning ?? []) {
    if (part.provider === undefined && typeof part.text === 'string') unowned += part.text
    if (part.provider !== CHAT_PROVIDER || typeof part.data !== 'object' || part.data === null) continue
    const data = part.data as Record<string, unknown>
    for (const field of REASONING_FIELDS) {
      const value = data[field]
      if (typeof value === 'string') fields[field] = (fields[field] ?? '') + value
    }
  }
  const own = REASONING_FIELDS.some((field) => fields[field] !== undefined)
  if (!own && unowned !== '' && flavor === 'compatible') fields.reasoning_content = unowned
  return fields
}

/**
 * The arguments of a past call as the server gets them back. OpenAI takes any text, so what the
 * model wrote goes back as it was (the tool error that follows explains what was wrong); other
 * servers (Ollama, vLLM, SGLang) parse it again and refuse the whole request when it is not a
 * JSON object, so they get `{}`.
 */
function argumentsText(call: ToolCall, flavor: Flavor): string {
  if (call.argsText !== undefined) return flavor === 'openai' ? call.argsText : '{}'
  return JSON.stringify(call.args ?? {})
}

function toWireTool(tool: ModelRequest['tools'][number]): ChatCompletionTool {
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }
}

/** `json_schema.name` must match `^[a-zA-Z0-9_-]{1,64}$`. */
function schemaName(name: string): string {
  const safe = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64)
  return safe === '' ? 'output' : safe
}
