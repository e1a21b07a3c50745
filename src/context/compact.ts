/**
 * The tiers of compaction as functions over an agent's history. A history is the instructions,
 * the brief, then turns: an assistant message with the tool results (and any user notes) that
 * follow it. Compaction never touches the first two messages or the most recent turns, and never
 * separates a tool call from its result.
 */
import type { Message, ModelRequest, ToolMessage, UserMessage } from '../model/types.js'
import { withFields } from '../objects.js'

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
 *
 * Each key names one result: a key already named by a stub in the history, given to another
 * result of this call, or `taken` (a key memory already holds) gets a suffix (`call_0-2`), so a
 * provider that repeats call ids across steps never has one result overwrite another.
 */
export function stubResults(
  history: readonly Message[],
  until: number,
  minChars: number,
  keyOf: (result: ToolMessage) => string,
  taken: (key: string) => boolean = () => false,
): { messages: readonly Message[]; stubbed: StubbedResult[] } {
  const stubbed: StubbedResult[] = []
  let messages: Message[] | undefined
  let used: Set<string> | undefined
  for (let i = HEAD; i < until; i++) {
    const message = history[i]!
    if (message.role !== 'tool' || message.content.length < minChars || isStub(message.content)) continue
    used ??= stubKeys(history)
    const key = freeKey(keyOf(message), (candidate) => used!.has(candidate) || taken(candidate))
    used.add(key)
    stubbed.push({
      key,
      toolName: message.toolName,
      toolCallId: message.toolCallId,
      content: message.content,
    })
    messages ??= history.slice()
    messages[i] = withFields(message, { content: stubText(message, key) })
  }
  return { messages: messages ?? history, stubbed }
}

/** The memory keys the stubs of `history` name. */
function stubKeys(history: readonly Message[]): Set<string> {
  const keys = new Set<string>()
  for (const message of history) {
    if (message.role !== 'tool' || !isStub(message.content)) continue
    const key = STUB_KEY.exec(message.content)?.[1]
    if (key !== undefined) keys.add(key)
  }
  return keys
}

const STUB_KEY = / kept whole in memory under "([^"]*)"/

/** `key`, or `key-2`, `key-3`… : the first that is not `used`. */
function freeKey(key: string, used: (key: string) => boolean): string {
  if (!used(key)) return key
  for (let n = 2; ; n++) if (!used(`${key}-${n}`)) return `${key}-${n}`
}

function stubText(result: ToolMessage, key: string): string {
  const what = result.isError ? 'error' : 'result'
  return `${STUB_MARK}the ${result.content.length}-character ${what} of ${result.toolName} was taken out of the conversation to save context; it is kept whole in memory under "${key}" (read it with memory_read if you need it again)]`
}

/**
 * Whether `content` is a stub this module wrote: the whole line, not just its start, so a tool
 * result that merely begins like one (a fetched page can say anything) is still compacted.
 */
export function isStub(content: string): boolean {
  return content.startsWith(STUB_MARK) && STUB.test(content)
}

const STUB =
  /^\[compacted: the \d+-character (?:result|error) of [^\n]* was taken out of the conversation to save context; it is kept whole in memory under "[^"\n]*" \(read it with memory_read if you need it again\)\]$/

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
  if (text.length <= RENDER_CHARS) return text
  // A surrogate pair is one character: it is kept or left out whole, never cut in half.
  const end = isHighSurrogate(text.charCodeAt(RENDER_CHARS - 1)) ? RENDER_CHARS - 1 : RENDER_CHARS
  return `${text.slice(0, end)} […${text.length - end} more characters]`
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff

/** The message that takes the place of the summarised turns. */
export function summaryMessage(summary: string): UserMessage {
  return { role: 'user', content: `${SUMMARY_MARK}\n${summary.trim()}` }
}

/**
 * What is wrong with `after` as a compaction of `before`, or undefined: the instructions and the
 * brief unchanged, every message of a shape a model and a transcript take, every tool result
 * just after the assistant message that made its call (or another result of it) and naming the
 * tool called, every call of the last turns answered, no call answered twice. Call ids need only
 * be unique within a turn: some providers use the same ids again at each step.
 */
export function historyProblem(before: readonly Message[], after: readonly unknown[]): string | undefined {
  if (!Array.isArray(after))
    return `it returned ${after === null ? 'null' : typeof after}, not an array of messages`
  if (after.length < HEAD) return 'it left out the instructions or the brief (the first two messages)'
  for (let i = 0; i < HEAD; i++) {
    const was = before[i]!
    const now = after[i] as Message | undefined
    if (now?.role !== was.role || now.content !== was.content)
      return `message ${i} (${i === 0 ? 'the instructions' : 'the brief'}) was changed: it must stay as it is`
  }
  // The calls of the current turn not answered yet, and those answered, by id → tool name.
  let open: Map<string, string> | undefined
  let answered: Set<string> | undefined
  for (let i = HEAD; i < after.length; i++) {
    const shape = shapeProblem(after[i])
    if (shape) return `message ${i} ${shape}`
    const message = after[i] as Message
    if (message.role === 'assistant') {
      if (open?.size)
        return `message ${i}: the calls ${[...open.keys()].join(', ')} before it have no results`
      open = new Map(message.toolCalls?.map((call) => [call.id, call.name]))
      answered = new Set()
    } else if (message.role === 'tool') {
      if (answered?.has(message.toolCallId)) return `message ${i}: ${message.toolCallId} is answered twice`
      const name = open?.get(message.toolCallId)
      if (name === undefined)
        return `message ${i}: the result of ${message.toolCallId} does not follow the assistant message that made the call`
      if (message.toolName !== name)
        return `message ${i}: the result of ${message.toolCallId} names the tool "${message.toolName}", but the call was to "${name}"`
      open!.delete(message.toolCallId)
      answered!.add(message.toolCallId)
    } else if (open?.size) {
      return `message ${i}: a user message comes between the calls ${[...open.keys()].join(', ')} and their results`
    }
  }
  if (open?.size) return `the calls ${[...open.keys()].join(', ')} of the last turn have no results`
  return undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** What is wrong with the shape of one message after the head (completing "message i …"), or undefined. */
function shapeProblem(value: unknown): string | undefined {
  if (!isRecord(value))
    return `is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}, not a message`
  const { role } = value
  if (role !== 'user' && role !== 'assistant' && role !== 'tool')
    return 'is not a user, assistant or tool message'
  if (typeof value.content !== 'string') return 'has no text content'
  if (role === 'tool') {
    if (typeof value.toolCallId !== 'string') return 'is a tool result without a toolCallId string'
    if (typeof value.toolName !== 'string') return 'is a tool result without a toolName string'
    if (value.isError !== undefined && typeof value.isError !== 'boolean')
      return 'is a tool result whose isError is not true or false'
  }
  if (role === 'assistant') {
    const { toolCalls, reasoning } = value
    if (toolCalls !== undefined) {
      if (!Array.isArray(toolCalls)) return 'has toolCalls that are not an array'
      for (let c = 0; c < toolCalls.length; c++) {
        const call: unknown = toolCalls[c]
        if (!isRecord(call) || typeof call.id !== 'string' || typeof call.name !== 'string')
          return `has a tool call (toolCalls[${c}]) without an id and a name`
        if (call.argsText !== undefined && typeof call.argsText !== 'string')
          return `has a tool call (toolCalls[${c}]) whose argsText is not a string`
      }
    }
    if (reasoning !== undefined) {
      if (!Array.isArray(reasoning)) return 'has reasoning that is not an array'
      if (reasoning.some((part: unknown) => !isRecord(part) || typeof part.text !== 'string'))
        return 'has a reasoning part without text'
    }
  }
  return undefined
}
