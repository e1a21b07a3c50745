/**
 * Baton's provider-neutral request → an OpenAI Responses API request body. Stateless
 * (`store: false`): the whole conversation is sent every time, and reasoning items come back
 * with their `encrypted_content` so that they can be passed back exactly as received.
 */
import type {
  FunctionTool,
  ResponseCreateParamsNonStreaming,
  ResponseInputItem,
} from 'openai/resources/responses/responses'
import type { AssistantMessage, ModelRequest, ToolCall } from '../../model/types.js'
import type { ProviderOptions } from '../options.js'

/** The name under which this adapter keeps its own form of an assistant message. */
export const PROVIDER = 'openai-responses'

const DEFAULT_MAX_TOKENS = 4096

/**
 * The request body for `client.responses.create` (without `stream`). `encrypted` asks for
 * reasoning items in the form that can be passed back statelessly.
 */
export function toBody(
  model: string,
  request: ModelRequest,
  options: ProviderOptions,
  encrypted = true,
): ResponseCreateParamsNonStreaming {
  // Params may turn storage on; then the API can look items up by id.
  const stored = (options.params as { store?: unknown } | undefined)?.store === true
  const { instructions, input } = toInput(request.messages, !stored)
  const body: Record<string, unknown> = {
    model,
    input,
    max_output_tokens: request.maxTokens ?? options.maxTokens ?? DEFAULT_MAX_TOKENS,
    store: false,
  }
  if (encrypted) body.include = ['reasoning.encrypted_content']
  if (instructions !== undefined) body.instructions = instructions
  if (request.tools.length) body.tools = request.tools.map(toTool)
  if (request.output) {
    body.text = {
      format: {
        type: 'json_schema',
        name: schemaName(request.output.name),
        schema: request.output.schema,
        strict: false,
      },
    }
  }
  return { ...body, ...options.params, model, input } as unknown as ResponseCreateParamsNonStreaming
}

function toTool(tool: ModelRequest['tools'][number]): FunctionTool {
  return {
    type: 'function',
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
    strict: false,
  }
}

/** `text.format.name` must match `^[a-zA-Z0-9_-]{1,64}$`. */
function schemaName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'output'
}

/**
 * The messages as `instructions` (the leading system messages) and `input` items (everything
 * else, in order; a later system message stays where it is).
 */
export function toInput(
  messages: ModelRequest['messages'],
  stateless = true,
): {
  instructions?: string
  input: ResponseInputItem[]
} {
  const leading: string[] = []
  let i = 0
  for (; i < messages.length && messages[i]!.role === 'system'; i++) leading.push(messages[i]!.content)
  const input: ResponseInputItem[] = []
  for (const message of messages.slice(i)) {
    switch (message.role) {
      case 'system':
      case 'user':
        input.push({ role: message.role, content: message.content })
        break
      case 'assistant':
        input.push(...assistantItems(message, stateless))
        break
      case 'tool':
        input.push({ type: 'function_call_output', call_id: message.toolCallId, output: message.content })
        break
    }
  }
  return leading.length ? { instructions: leading.join('\n\n'), input } : { input }
}

/**
 * An assistant message as input items. One this adapter produced is re-sent as the very output
 * items the API returned (reasoning items with their ids and `encrypted_content` untouched);
 * any other is rebuilt from its text and tool calls.
 *
 * `stateless` (`store: false`): the API keeps nothing, so a reasoning item without its
 * `encrypted_content` cannot be passed back (it is looked up by id, and the request fails with
 * 404 "Item with id 'rs_…' not found"). Such a message is rebuilt without it, and without the
 * ids of its other items, which the API would otherwise expect to follow that reasoning item.
 */
export function assistantItems(message: AssistantMessage, stateless = true): ResponseInputItem[] {
  const own = ownItems(message)
  if (own && !(stateless && own.some(unreplayable))) return own
  const items: ResponseInputItem[] = []
  for (const part of message.reasoning ?? []) {
    if (part.provider !== PROVIDER || !isItem(part.data, 'reasoning')) continue
    if (stateless && unreplayable(part.data)) continue
    items.push(part.data as ResponseInputItem)
  }
  if (message.content) items.push({ role: 'assistant', content: message.content })
  for (const call of message.toolCalls ?? []) items.push(functionCall(call))
  return items
}

/** The raw output items, when they are this adapter's and still agree with the message's tool calls. */
function ownItems(message: AssistantMessage): ResponseInputItem[] | undefined {
  const data = message.provider?.name === PROVIDER ? message.provider.data : undefined
  if (!Array.isArray(data) || !data.every((item) => isItem(item))) return undefined
  const callIds = data
    .filter((item) => isItem(item, 'function_call'))
    .map((item) => (item as { call_id?: unknown }).call_id)
  const ids = (message.toolCalls ?? []).map((call) => call.id)
  // Tool results are linked by call id: if the ids were changed since, the raw items would not match.
  if (callIds.length !== ids.length || callIds.some((id, n) => id !== ids[n])) return undefined
  return data as ResponseInputItem[]
}

function functionCall(call: ToolCall): ResponseInputItem {
  return {
    type: 'function_call',
    call_id: call.id,
    name: call.name,
    arguments: call.argsText ?? JSON.stringify(call.args ?? {}),
  }
}

/** A reasoning item that only its id could bring back (no `encrypted_content`). */
function unreplayable(item: unknown): boolean {
  if (!isItem(item, 'reasoning')) return false
  const encrypted = (item as { encrypted_content?: unknown }).encrypted_content
  return typeof encrypted !== 'string' || encrypted === ''
}

function isItem(value: unknown, type?: string): boolean {
  if (typeof value !== 'object' || value === null) return false
  const itemType = (value as { type?: unknown }).type
  return typeof itemType === 'string' && (type === undefined || itemType === type)
}
