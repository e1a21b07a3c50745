/**
 * Baton's provider-neutral request → an Anthropic Messages request body.
 *
 * System messages go to `system`; the rest becomes alternating user / assistant turns. Tool
 * results that follow one another become one user turn of `tool_result` blocks (results first,
 * any user text after them, as the API asks). An assistant message this provider produced is
 * re-sent as its own content blocks, untouched: thinking blocks keep their signatures byte for
 * byte, which the API requires in a tool loop with extended thinking.
 */
import type { AssistantMessage, Message, ModelRequest, ToolCall } from '../../model/types.js'

/** One Anthropic content block, kept as the JSON it is on the wire. */
export type Block = { type: string } & Record<string, unknown>

export interface Turn {
  role: 'user' | 'assistant'
  content: string | Block[]
}

export interface BodyConfig {
  model: string
  /** Output tokens when the request does not say (the budget did not clip them). */
  maxTokens?: number
  thinking?: { budgetTokens: number }
  params?: Record<string, unknown>
}

export const DEFAULT_MAX_TOKENS = 4096
/** The smallest thinking budget the API accepts. */
const MIN_THINKING_TOKENS = 1024

/** The body of a `messages.create` call (without `stream`). */
export function toBody(request: ModelRequest, config: BodyConfig): Record<string, unknown> {
  const maxTokens = request.maxTokens ?? config.maxTokens ?? DEFAULT_MAX_TOKENS
  const body: Record<string, unknown> = { ...config.params, model: config.model, max_tokens: maxTokens }
  const system = systemText(request)
  if (system) body.system = system
  body.messages = toTurns(request.messages)
  if (request.tools.length) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters,
    }))
  }
  if (loopWithoutThinking(body.messages as Turn[])) {
    // Thinking asked for through params (`{ type: 'adaptive' }`, say) is left off as well.
    delete body.thinking
  } else if (config.thinking) {
    // The thinking budget must stay below max_tokens, which the run's budget may have clipped;
    // below the API's minimum the call goes without thinking rather than failing.
    const budget = Math.min(config.thinking.budgetTokens, maxTokens - 1)
    if (budget >= MIN_THINKING_TOKENS) body.thinking = { type: 'enabled', budget_tokens: budget }
  }
  return body
}

/**
 * Whether the request continues a tool loop whose assistant turn does not begin with a thinking
 * block (another provider, or a model without thinking, began it). With thinking on, the API
 * refuses such a request ("a final `assistant` message must start with a thinking block"); the
 * request goes without thinking instead, as the API advises.
 */
function loopWithoutThinking(turns: readonly Turn[]): boolean {
  const hasResults = (turn: Turn) =>
    Array.isArray(turn.content) && turn.content.some((block) => block.type === 'tool_result')
  const last = turns.at(-1)
  if (last?.role !== 'user' || !hasResults(last)) return false
  // The assistant turn runs back to the last user turn that is not a tool result.
  let first: Turn | undefined
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!
    if (turn.role === 'assistant') first = turn
    else if (!hasResults(turn)) break
  }
  const opening = first && Array.isArray(first.content) ? first.content[0] : undefined
  return opening?.type !== 'thinking' && opening?.type !== 'redacted_thinking'
}

/** The system messages, joined, plus the JSON instruction when an output schema is set. */
function systemText(request: ModelRequest): string {
  const parts: string[] = []
  for (const message of request.messages)
    if (message.role === 'system' && message.content) parts.push(message.content)
  // Anthropic has no JSON mode: ask for it. The loop validates the answer and feeds errors back.
  if (request.output) {
    parts.push(
      `Give your final answer as a single JSON value matching this JSON Schema ("${request.output.name}"), ` +
        `with no other text and no code fences:\n${JSON.stringify(request.output.schema)}`,
    )
  }
  return parts.join('\n\n')
}

interface PendingTurn {
  role: 'user' | 'assistant'
  results: Block[]
  blocks: Block[]
}

/** Alternating user / assistant turns; adjacent messages of one role share a turn. */
export function toTurns(messages: readonly Message[]): Turn[] {
  const pending: PendingTurn[] = []
  const turn = (role: 'user' | 'assistant'): PendingTurn => {
    const last = pending.at(-1)
    if (last?.role === role) return last
    const next: PendingTurn = { role, results: [], blocks: [] }
    pending.push(next)
    return next
  }
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        break
      case 'user':
        if (message.content.trim()) turn('user').blocks.push({ type: 'text', text: message.content })
        break
      case 'tool': {
        const result: Block = {
          type: 'tool_result',
          tool_use_id: toolUseId(message.toolCallId),
          content: resultText(message.content, message.isError === true),
        }
        if (message.isError) result.is_error = true
        turn('user').results.push(result)
        break
      }
      case 'assistant': {
        const blocks = assistantBlocks(message)
        // An empty assistant turn is refused by the API; its neighbours simply join.
        if (blocks.length) turn('assistant').blocks.push(...blocks)
        break
      }
    }
  }
  return pending.map(({ role, results, blocks }) => {
    const only = blocks[0]
    if (!results.length && blocks.length === 1 && role === 'user' && only?.type === 'text')
      return { role, content: only.text as string }
    return { role, content: [...results, ...blocks] }
  })
}

/**
 * A tool result's text. The API refuses an empty error result, and an empty or blank text
 * anywhere: a tool that returned nothing says so in words.
 */
function resultText(content: string, isError: boolean): string {
  if (content.trim()) return content
  return isError ? '(the tool failed without a message)' : '(the tool returned nothing)'
}

/**
 * The content blocks of an assistant message: the provider's own blocks when this adapter made
 * the message (and its tool calls still carry the ids it gave them), else rebuilt from the
 * neutral form, with Anthropic reasoning parts turned back into (redacted) thinking blocks.
 */
export function assistantBlocks(message: AssistantMessage): Block[] {
  const raw = ownBlocks(message)
  if (raw) return raw
  const blocks: Block[] = []
  for (const part of message.reasoning ?? []) {
    if (part.provider !== 'anthropic' || typeof part.data !== 'object' || part.data === null) continue
    const data = part.data as { signature?: unknown; redacted?: unknown }
    if (typeof data.redacted === 'string') blocks.push({ type: 'redacted_thinking', data: data.redacted })
    else if (typeof data.signature === 'string')
      blocks.push({ type: 'thinking', thinking: part.text, signature: data.signature })
  }
  if (message.content.trim()) blocks.push({ type: 'text', text: message.content })
  for (const call of message.toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: toolUseId(call.id), name: call.name, input: inputOf(call) })
  }
  return blocks
}

function ownBlocks(message: AssistantMessage): Block[] | undefined {
  const provider = message.provider
  if (provider?.name !== 'anthropic' || !Array.isArray(provider.data)) return undefined
  const blocks = provider.data as Block[]
  if (
    !blocks.length ||
    !blocks.every((b) => typeof b === 'object' && b !== null && typeof b.type === 'string')
  )
    return undefined
  const ids = blocks.filter((b) => b.type === 'tool_use').map((b) => b.id)
  const calls = message.toolCalls ?? []
  if (ids.length !== calls.length || calls.some((call, i) => call.id !== ids[i])) return undefined
  const kept = sendable(blocks)
  return kept.length ? kept : undefined
}

/**
 * Blocks the API returned, as it takes them back: text blocks of whitespace alone (it returns
 * them around server tool calls and before tool calls, and refuses them as input) say nothing
 * and are left out; every other block goes back as it came.
 */
export function sendable(blocks: readonly Block[]): Block[] {
  return blocks.filter((b) => b.type !== 'text' || (typeof b.text === 'string' && b.text.trim() !== ''))
}

/**
 * The body that asks the API to go on with a turn it paused (`pause_turn`, a long server tool
 * run): the same request with the paused turn's blocks, as received, as the last assistant turn.
 */
export function continuationBody(
  body: Record<string, unknown>,
  paused: readonly Block[],
): Record<string, unknown> {
  const messages = [...(body.messages as Turn[])]
  const blocks = sendable(paused)
  if (!blocks.length) return body
  const last = messages.at(-1)
  if (last?.role === 'assistant') {
    const before: Block[] =
      typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content
    messages[messages.length - 1] = { role: 'assistant', content: [...before, ...blocks] }
  } else {
    messages.push({ role: 'assistant', content: blocks })
  }
  return { ...body, messages }
}

/**
 * A tool call id as the Messages API takes it (letters, digits, `_` and `-`): ids another
 * provider gave (a fallback chain's history) may hold other characters. The same id always
 * becomes the same, so a call and its result stay linked.
 */
function toolUseId(id: string): string {
  return /^[a-zA-Z0-9_-]+$/.test(id)
    ? id
    : `t_${id.replace(/[^a-zA-Z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`
}

/** Tool input must be an object; arguments that were not valid JSON are sent as `{}`. */
function inputOf(call: ToolCall): unknown {
  return typeof call.args === 'object' && call.args !== null && !Array.isArray(call.args) ? call.args : {}
}
