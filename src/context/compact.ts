/**
 * The tiers of compaction as functions over an agent's history. A history is the instructions,
 * the brief, then turns: an assistant message with the tool results (and any user notes) that
 * follow it. Compaction never touches the first two messages or the most recent turns, and never
 * separates a tool call from its result.
 */
import type { Message, ModelRequest, ToolMessage, UserMessage } from '../model/types.js'

/** Messages before the turns: the instructions and the brief. */
export const HEAD = 2

const STUB_MARK = '[compacted: '
const SUMMARY_MARK = '[Summary of the earlier steps, written to save context]'

/** Where the last `keep` turns begin (the history's length when `keep` is 0). */
export function recentFrom(history: readonly Message[], keep: number): number {
  let from = history.length
  let turns = 0
  for (let i = history.length - 1; i >= HEAD && turns < keep; i--) {
    if (history[i]!.role === 'assistant') {
      from = i
      turns++
    }
  }
  // Messages between the brief and the first turn (a summary, a note) are older than any turn.
  return Math.max(HEAD, from)
}

/** A tool result that was taken out of the history, and where it is kept. */
export interface StubbedResult {
  key: string
  toolName: string
  toolCallId: string
  content: string
}

/**
 * Tier 1: tool results before `until` of at least `minChars` characters, replaced by a stub
 * naming the memory key `keyOf(result)` where the whole result is kept. Returns the new history
 * (the same array when nothing changed) and what was taken out.
 */
export function stubResults(
  history: readonly Message[],
  until: number,
  minChars: number,
  keyOf: (result: ToolMessage) => string,
): { messages: readonly Message[]; stubbed: StubbedResult[] } {
  const stubbed: StubbedResult[] = []
  let messages: Message[] | undefined
  for (let i = HEAD; i < until; i++) {
    const message = history[i]!
    if (message.role !== 'tool' || message.content.length < minChars || isStub(message.content)) continue
    const key = keyOf(message)
    stubbed.push({
      key,
      toolName: message.toolName,
      toolCallId: message.toolCallId,
      content: message.content,
    })
    messages ??= history.slice()
    messages[i] = { ...message, content: stubText(message, key) }
  }
  return { messages: messages ?? history, stubbed }
}

function stubText(result: ToolMessage, key: string): string {
  const what = result.isError ? 'error' : 'result'
  return `${STUB_MARK}the ${result.content.length}-character ${what} of ${result.toolName} was taken out of the conversation to save context; it is kept whole in memory under "${key}" (read it with memory_read if you need it again)]`
}

export function isStub(content: string): boolean {
  return content.startsWith(STUB_MARK)
}

/** Characters of one message kept in the text a summariser reads. */
const RENDER_CHARS = 4_000

/**
 * Tier 2's request: the older messages as a text for a model to summarise (each one cut at a few
 * thousand characters: a summary needs the gist, and stubs say where the rest is).
 */
export function summaryRequest(
  older: readonly Message[],
  instructions: string,
  maxTokens: number,
): ModelRequest {
  const lines: string[] = []
  for (const message of older) {
    switch (message.role) {
      case 'system':
        break
      case 'user':
        lines.push(
          `${message.content.startsWith(SUMMARY_MARK) ? 'Earlier summary' : 'User'}: ${cut(message.content)}`,
        )
        break
      case 'assistant': {
        if (message.content.trim()) lines.push(`Agent: ${cut(message.content)}`)
        for (const call of message.toolCalls ?? [])
          lines.push(
            `Agent called ${call.name} (${call.id}) with ${cut(call.argsText ?? JSON.stringify(call.args))}`,
          )
        break
      }
      case 'tool':
        lines.push(
          `${message.isError ? 'Error from' : 'Result of'} ${message.toolName} (${message.toolCallId}): ${cut(message.content)}`,
        )
        break
    }
  }
  return {
    messages: [
      { role: 'system', content: instructions },
      { role: 'user', content: `The steps to summarise:\n\n${lines.join('\n\n')}` },
    ],
    tools: [],
    maxTokens,
  }
}

function cut(text: string): string {
  return text.length <= RENDER_CHARS
    ? text
    : `${text.slice(0, RENDER_CHARS)} […${text.length - RENDER_CHARS} more characters]`
}

/** The message that takes the place of the summarised turns. */
export function summaryMessage(summary: string): UserMessage {
  return { role: 'user', content: `${SUMMARY_MARK}\n${summary.trim()}` }
}

/**
 * What is wrong with `after` as a compaction of `before`, or undefined: the instructions and the
 * brief unchanged, every tool result just after the assistant message that made its call (or
 * another result of it), every call of the last turns answered, no result twice.
 */
export function historyProblem(before: readonly Message[], after: readonly unknown[]): string | undefined {
  if (!Array.isArray(after)) return `it returned ${typeof after}, not an array of messages`
  if (after.length < HEAD) return 'it left out the instructions or the brief (the first two messages)'
  for (let i = 0; i < HEAD; i++) {
    const was = before[i]!
    const now = after[i] as Message
    if (now?.role !== was.role || now.content !== was.content)
      return `message ${i} (${i === 0 ? 'the instructions' : 'the brief'}) was changed: it must stay as it is`
  }
  let open: Set<string> | undefined
  const answered = new Set<string>()
  for (let i = HEAD; i < after.length; i++) {
    const message = after[i] as Message
    const role = (message as { role?: unknown })?.role
    if (role !== 'user' && role !== 'assistant' && role !== 'tool')
      return `message ${i} is not a user, assistant or tool message`
    if (typeof message.content !== 'string') return `message ${i} has no text content`
    if (message.role === 'assistant') {
      if (open?.size) return `message ${i}: the calls ${[...open].join(', ')} before it have no results`
      open = new Set(message.toolCalls?.map((call) => call.id))
    } else if (message.role === 'tool') {
      if (answered.has(message.toolCallId)) return `message ${i}: ${message.toolCallId} is answered twice`
      if (!open?.has(message.toolCallId))
        return `message ${i}: the result of ${message.toolCallId} does not follow the assistant message that made the call`
      open.delete(message.toolCallId)
      answered.add(message.toolCallId)
    } else if (open?.size) {
      return `message ${i}: a user message comes between the calls ${[...open].join(', ')} and their results`
    }
  }
  if (open?.size) return `the calls ${[...open].join(', ')} of the last turn have no results`
  return undefined
}
