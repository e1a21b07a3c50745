/**
 * The shape of each transcript line, checked when it is read: a corrupt or hand-edited file is
 * an error naming the line and the field, not a crash somewhere deep in a replay. Fields a
 * newer Baton adds are allowed (they are not checked), and so are event types this version does
 * not know (only their common fields are checked).
 */
import { withFields } from '../objects.js'

/** A field that does not fit: where (`usage.inputTokens`) and what was expected. */
export interface Misfit {
  field: string
  expected: string
  got: unknown
}

/** Checks a value; returns what does not fit (`field` relative to the value), or undefined. */
type Check = (value: unknown) => Misfit | undefined

const misfit = (expected: string, got: unknown): Misfit => ({ field: '', expected, got })

const is =
  (expected: string, test: (value: unknown) => boolean): Check =>
  (value) =>
    test(value) ? undefined : misfit(expected, value)

const str = is('a string', (v) => typeof v === 'string')
const num = is('a number', (v) => typeof v === 'number' && Number.isFinite(v))
const count = is('a whole number, 0 or more', (v) => Number.isInteger(v) && (v as number) >= 0)
const bool = is('true or false', (v) => typeof v === 'boolean')
const anything: Check = () => undefined
const oneOf = (...values: string[]) =>
  is(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, (v) => values.includes(v as string))

/** Fields that must be there (`name`) or may be (`name?`), each with its check. */
function object(fields: Record<string, Check>): Check {
  const list = Object.entries(fields).map(([key, check]) => {
    const optional = key.endsWith('?')
    return { name: optional ? key.slice(0, -1) : key, optional, check }
  })
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return misfit('an object', value)
    for (const { name, optional, check } of list) {
      const field = (value as Record<string, unknown>)[name]
      if (field === undefined) {
        if (optional) continue
        return { field: name, expected: 'present', got: undefined }
      }
      const wrong = check(field)
      if (wrong) return withFields(wrong, { field: wrong.field ? `${name}.${wrong.field}` : name })
    }
    return undefined
  }
}

function arrayOf(check: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return misfit('an array', value)
    for (let i = 0; i < value.length; i++) {
      const wrong = check(value[i])
      if (wrong) return withFields(wrong, { field: wrong.field ? `${i}.${wrong.field}` : String(i) })
    }
    return undefined
  }
}

const errorInfo = object({ code: str, message: str, 'details?': anything })
const toolCall = object({ id: str, name: str, 'argsText?': str })
const message: Check = (value) => {
  const base = object({ role: oneOf('system', 'user', 'assistant', 'tool'), content: str })(value)
  if (base) return base
  const role = (value as { role: string }).role
  if (role === 'assistant')
    return object({ 'toolCalls?': arrayOf(toolCall), 'reasoning?': arrayOf(object({ text: str })) })(value)
  if (role === 'tool') return object({ toolCallId: str, toolName: str, 'isError?': bool })(value)
  return undefined
}
const assistantMessage: Check = (value) => {
  const wrong = message(value)
  if (wrong) return wrong
  const role = (value as { role: string }).role
  return role === 'assistant' ? undefined : { field: 'role', expected: '"assistant"', got: role }
}
const usage = object({
  inputTokens: num,
  outputTokens: num,
  'cachedInputTokens?': num,
  'reasoningTokens?': num,
})
const runUsage = object({
  inputTokens: num,
  outputTokens: num,
  costUsd: num,
  steps: num,
  toolCalls: num,
})
const status = oneOf(
  'done',
  'budget_exceeded',
  'goal_failed',
  'stalled',
  'aborted',
  'error',
  'awaiting_approval',
)
const ending = { status, stopReason: str, 'output?': anything, 'error?': errorInfo }

/** Each event type's own fields, besides `seq`, `t`, `type` and `path`. */
const EVENTS: Record<string, Check> = {
  'run.start': object({ runId: str, agent: str, task: anything }),
  'agent.start': object({
    agent: str,
    model: str,
    depth: count,
    task: anything,
    'memoryKeys?': arrayOf(str),
  }),
  'model.request': object({
    model: str,
    messages: arrayOf(message),
    hash: str,
    specHash: str,
    'maxTokens?': num,
    'budgetLeft?': object({
      'steps?': num,
      'tokens?': num,
      'costUsd?': num,
      'toolCalls?': num,
      'wallMs?': num,
    }),
  }),
  'context.compact': object({
    reason: oneOf('threshold', 'overflow'),
    tokensBefore: count,
    tokensAfter: count,
    limit: count,
    'window?': count,
    stubbed: arrayOf(str),
    summarized: count,
    'custom?': bool,
    'summaryError?': errorInfo,
    messages: arrayOf(message),
    hash: str,
  }),
  'model.response': object({
    message: assistantMessage,
    usage,
    costUsd: num,
    finishReason: str,
    durationMs: num,
    'model?': str,
  }),
  'model.delta': object({
    kind: oneOf('text', 'reasoning', 'tool-call'),
    'text?': str,
    'reasoning?': str,
    'toolCall?': object({ index: count, argsDelta: str, 'id?': str, 'name?': str }),
  }),
  'model.restart': object({}),
  'model.retry': object({ attempt: count, delayMs: num, code: str, 'status?': num, message: str }),
  'model.queued': object({
    scope: str,
    reason: oneOf('requests', 'tokens', 'concurrency', 'retry-after', 'provider-limit'),
    'waitMs?': num,
  }),
  'model.fallback': object({ from: str, to: str, code: str, 'status?': num, message: str }),
  'model.route': object({ model: str, 'reason?': str }),
  'model.error': object({ error: errorInfo }),
  'tool.call': object({ callId: str, name: str }),
  'plan.start': object({
    callId: str,
    tasks: arrayOf(object({ id: str, kind: oneOf('tool', 'agent', 'plan'), name: str, needs: arrayOf(str) })),
  }),
  'tool.progress': object({ callId: str }),
  'tool.result': object({
    callId: str,
    name: str,
    isError: bool,
    content: str,
    durationMs: num,
    'error?': errorInfo,
    'truncated?': bool,
  }),
  'approval.request': object({ callId: str, name: str }),
  'approval.decision': object({ callId: str, name: str, approved: bool, 'by?': str, at: str }),
  'elicitation.request': object({ callId: str, name: str, server: str, message: str, schema: object({}) }),
  'elicitation.answer': object({
    callId: str,
    name: str,
    action: oneOf('accept', 'decline', 'cancel'),
    'content?': object({}),
    'error?': errorInfo,
  }),
  'sampling.request': object({
    callId: str,
    name: str,
    server: str,
    model: str,
    messages: arrayOf(message),
    maxTokens: num,
  }),
  'tools.change': object({
    tools: arrayOf(object({ name: str, description: str, parameters: object({}) })),
  }),
  'memory.write': object({ key: str, by: str }),
  'budget.exceeded': object({ limit: str, used: num, max: num, at: str }),
  'budget.warning': object({ message: str }),
  'goal.check': object({ check: str, passed: bool, attempt: count, 'feedback?': str, 'score?': num }),
  'stall.warning': object({ reason: str, message: str }),
  'agent.end': object({ agent: str, ...ending, usage: runUsage }),
  'run.end': object(withFields(ending, { usage: object({ wallMs: num }) })),
}

const common = object({ seq: count, t: num, type: str, path: str })

/** What does not fit in an event line, or undefined. */
export function eventMisfit(record: Record<string, unknown>): Misfit | undefined {
  const type = record.type as string
  // Only the table's own types: `__proto__` or `valueOf` is a type this Baton does not know.
  return common(record) ?? (Object.hasOwn(EVENTS, type) ? EVENTS[type]!(record) : undefined)
}

// A sub-agent met before is a reference to where it is written whole (see `agentTree`).
const agentRef = object({ name: str, model: str, ref: arrayOf(str) })
const agentTree: Check = (value) =>
  typeof value === 'object' && value !== null && 'ref' in value
    ? agentRef(value)
    : object({
        name: str,
        model: str,
        'tools?': arrayOf(object({ name: str })),
        'agents?': arrayOf(agentTree),
      })(value)

const header = object({
  version: count,
  runId: str,
  startedAt: str,
  task: anything,
  agent: agentTree,
  'baton?': str,
  'budget?': object({}),
  'prices?': object({}),
  'contextWindows?': object({}),
  'vars?': object({}),
  'source?': object({ module: str, 'export?': str }),
  'from?': object({ runId: str, mode: oneOf('replay', 'resume', 'fork'), 'digest?': str }),
  'signer?': object({ keyId: str, publicKey: str }),
})

/** What does not fit in a header line, or undefined. */
export function headerMisfit(record: Record<string, unknown>): Misfit | undefined {
  return header(record)
}

/** `"usage.inputTokens" must be a number, got "12"`. */
export function describeMisfit(wrong: Misfit): string {
  if (wrong.expected === 'present') return `"${wrong.field}" is missing`
  const got = wrong.got === undefined ? 'nothing' : shortJson(wrong.got)
  return wrong.field
    ? `"${wrong.field}" must be ${wrong.expected}, got ${got}`
    : `must be ${wrong.expected}, got ${got}`
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
