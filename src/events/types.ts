/**
 * @module events
 * One event stream drives everything: the loop emits these into the run's stream, `stream()`
 * hands them to the caller, and the transcript, live views and scorers all read the same
 * events. `path` is the step key (or the agent path for agent-level events).
 */

import type { BudgetLeft, BudgetLimit } from '../budget/index.js'
import type { ErrorInfo } from '../errors/index.js'
import type { Task } from '../goal/index.js'
import type { AssistantMessage, FinishReason, Message, ToolSpec, Usage } from '../model/types.js'
import type { ToolErrorInfo } from '../tool/index.js'
import type { RunStatus, RunUsage, StopReason } from './run-types.js'

export type * from './run-types.js'

interface Base {
  /** The step key (`root/3/model`, `root/3/tool/call_1`) or, for agent events, the agent path. */
  path: string
  /** Set when the event enters the run's stream: position in the run. */
  seq?: number
  /** Set when the event enters the run's stream: milliseconds since the run started. */
  t?: number
}

export interface RunStartEvent extends Base {
  type: 'run.start'
  runId: string
  agent: string
  task: Task
}
export interface AgentStartEvent extends Base {
  type: 'agent.start'
  agent: string
  /** The model id this agent calls. */
  model: string
  depth: number
  /** The brief (the task, for the root). */
  task: Task
  memoryKeys?: string[]
}
export interface ModelRequestEvent extends Base {
  type: 'model.request'
  model: string
  /** Only the messages added since this agent's previous request. */
  messages: Message[]
  /** Hash of the whole request (chained over the history, tool specs and output schema). */
  hash: string
  specHash: string
  maxTokens?: number
  /** What was left of the agent's budget (the tightest on the way to the root) when it was sent. */
  budgetLeft?: BudgetLeft
}
/**
 * An agent's history was compacted before a model call (`path`: `<agent>/<step>/compact`). From
 * here on its requests hold `messages` and what is added after them.
 */
export interface ContextCompactEvent extends Base {
  type: 'context.compact'
  /** `threshold`: the request would have passed it; `overflow`: the provider refused it as too long. */
  reason: 'threshold' | 'overflow'
  /** The estimated size of the request before and after, in tokens. */
  tokensBefore: number
  tokensAfter: number
  /** The threshold in tokens, and the model's window when known. */
  limit: number
  window?: number
  /** Tool results replaced by a stub (their memory keys). */
  stubbed: string[]
  /** How many messages a summary took the place of (0 when none was written). */
  summarized: number
  /** Set when the agent's own policy compacted (in place of the stubs and the summary). */
  custom?: boolean
  /** Why the summary could not be written (the request still fit the window without it). */
  summaryError?: ErrorInfo
  /** The whole history after compaction (as the next request holds it, before its new messages). */
  messages: Message[]
  /** The request hash chain after it (the next `model.request` chains on from here). */
  hash: string
}
export interface ModelResponseEvent extends Base {
  type: 'model.response'
  message: AssistantMessage
  usage: Usage
  costUsd: number
  finishReason: FinishReason
  durationMs: number
  /** The model that answered, when it is not the one the request named (a chain, a router). */
  model?: string
}
/**
 * A piece of a model's answer as it is generated; `path` is the call's step key (as on its
 * `model.response`). Text deltas carry `text`: those of one call, joined, are the text of its
 * response. Reasoning deltas carry `reasoning`; tool-call deltas `toolCall`, whose `argsDelta`
 * pieces, joined per `index`, are that call's arguments as JSON text. Deltas take no place of
 * their own in the run's order: their `seq` is the one the next recorded event gets, so a
 * transcript is the same whether or not anyone streamed the run.
 */
export type ModelDeltaEvent = TextDeltaEvent | ReasoningDeltaEvent | ToolCallDeltaEvent
/** A piece of the answer's text: `event.kind === 'text'` narrows a `model.delta` to it. */
export interface TextDeltaEvent extends Base {
  type: 'model.delta'
  kind: 'text'
  text: string
}
/** A piece of the model's reasoning (thinking), when the provider streams it. */
export interface ReasoningDeltaEvent extends Base {
  type: 'model.delta'
  kind: 'reasoning'
  reasoning: string
}
/** A piece of a tool call's arguments, as JSON text; `id` and `name` come with its first piece. */
export interface ToolCallDeltaEvent extends Base {
  type: 'model.delta'
  kind: 'tool-call'
  toolCall: { index: number; id?: string; name?: string; argsDelta: string }
}
/** The call at `path` is being retried from the start: drop the deltas it showed so far. */
export interface ModelRestartEvent extends Base {
  type: 'model.restart'
}
/** A model call failed and is being retried (after `delayMs`). */
export interface ModelRetryEvent extends Base {
  type: 'model.retry'
  attempt: number
  delayMs: number
  code: string
  status?: number
  message: string
}
/** The call at `path` waits for a shared rate limit before it is sent. */
export interface ModelQueuedEvent extends Base {
  type: 'model.queued'
  scope: string
  reason: 'requests' | 'tokens' | 'concurrency' | 'retry-after' | 'provider-limit'
  waitMs?: number
}
/** A fallback chain gave up on model `from` for the call at `path`, and asks `to`. */
export interface ModelFallbackEvent extends Base {
  type: 'model.fallback'
  from: string
  to: string
  code: string
  status?: number
  message: string
}
/** A router chose `model` for the call at `path`. */
export interface ModelRouteEvent extends Base {
  type: 'model.route'
  model: string
  reason?: string
}
export interface ModelErrorEvent extends Base {
  type: 'model.error'
  error: ErrorInfo
}
export interface ToolCallEvent extends Base {
  type: 'tool.call'
  callId: string
  name: string
  args: unknown
}
/** A plan of plan mode starts: its tasks (`fetch`, `facts/people`), what each is and waits for. */
export interface PlanStartEvent extends Base {
  type: 'plan.start'
  /** The `plan` call that carries it. */
  callId: string
  tasks: { id: string; kind: 'tool' | 'agent' | 'plan'; name: string; needs: string[] }[]
}
export interface ToolProgressEvent extends Base {
  type: 'tool.progress'
  callId: string
  data: unknown
}
export interface ToolResultEvent extends Base {
  type: 'tool.result'
  callId: string
  name: string
  isError: boolean
  /** Exactly what the model is sent. */
  content: string
  /** The tool's whole value, when `content` is a truncated copy of it. */
  value?: unknown
  error?: ToolErrorInfo
  truncated?: boolean
  durationMs: number
}
export interface ApprovalRequestEvent extends Base {
  type: 'approval.request'
  callId: string
  name: string
  args: unknown
}
/** A call that needed approval was decided: by whom (when the approver said) and when. */
export interface ApprovalDecisionEvent extends Base {
  type: 'approval.decision'
  callId: string
  name: string
  approved: boolean
  /** Who decided: the identity the approval callback returned (the OS user for the CLI). */
  by?: string
  /** When, as an ISO time. */
  at: string
}
/** An MCP server asked for input during the tool call of `path`'s prefix (`<call key>/elicit/<n>`). */
export interface ElicitationRequestEvent extends Base {
  type: 'elicitation.request'
  /** The tool call that caused it, and its tool. */
  callId: string
  name: string
  server: string
  message: string
  schema: Record<string, unknown>
}
/** The answer the elicitation of `path` got (content with the schema's defaults applied). */
export interface ElicitationAnswerEvent extends Base {
  type: 'elicitation.answer'
  callId: string
  name: string
  action: 'accept' | 'decline' | 'cancel'
  content?: Record<string, unknown>
  /** Set when the content did not fit the schema: the server was sent this error instead. */
  error?: ErrorInfo
}
/**
 * An MCP server asked for a completion during the tool call of `path`'s prefix
 * (`<call key>/sample/<n>`); the model call that answers it is `<path>/model`.
 */
export interface SamplingRequestEvent extends Base {
  type: 'sampling.request'
  callId: string
  name: string
  server: string
  /** The model that answers (the one `mcpTools` was given). */
  model: string
  /** The request as Baton sends it: the server's system prompt first, then its messages. */
  messages: Message[]
  maxTokens: number
}
/**
 * The tools an agent is offered from step `path` (`<agent>/<step>/tools`) on, when it has a live
 * tool set (an MCP server's, whose list may change): at its first step, and whenever the list
 * changed. Its own tools only (not delegations or plan mode's tool), in the order offered.
 */
export interface ToolsChangeEvent extends Base {
  type: 'tools.change'
  tools: ToolSpec[]
}
export interface MemoryWriteEvent extends Base {
  type: 'memory.write'
  key: string
  value: unknown
  /** The writer's agent path. */
  by: string
}
export interface BudgetExceededEvent extends Base {
  type: 'budget.exceeded'
  limit: BudgetLimit
  used: number
  max: number
  /** The agent path whose budget refused. */
  at: string
}
export interface BudgetWarningEvent extends Base {
  type: 'budget.warning'
  message: string
}
export interface GoalCheckEvent extends Base {
  type: 'goal.check'
  check: string
  passed: boolean
  attempt: number
  feedback?: string
  score?: number
}
export interface StallWarningEvent extends Base {
  type: 'stall.warning'
  reason: 'repeatedCall' | 'noProgress'
  message: string
}
export interface AgentEndEvent extends Base {
  type: 'agent.end'
  agent: string
  status: RunStatus
  stopReason: StopReason
  output: unknown
  usage: Omit<RunUsage, 'wallMs'>
  error?: ErrorInfo
}
export interface RunEndEvent extends Base {
  type: 'run.end'
  status: RunStatus
  stopReason: StopReason
  output: unknown
  usage: RunUsage
  error?: ErrorInfo
}

export type BatonEvent =
  | RunStartEvent
  | AgentStartEvent
  | ModelRequestEvent
  | ContextCompactEvent
  | ModelResponseEvent
  | ModelDeltaEvent
  | ModelRestartEvent
  | ModelRetryEvent
  | ModelQueuedEvent
  | ModelFallbackEvent
  | ModelRouteEvent
  | ModelErrorEvent
  | ToolCallEvent
  | PlanStartEvent
  | ToolProgressEvent
  | ToolResultEvent
  | ApprovalRequestEvent
  | ApprovalDecisionEvent
  | ElicitationRequestEvent
  | ElicitationAnswerEvent
  | SamplingRequestEvent
  | ToolsChangeEvent
  | MemoryWriteEvent
  | BudgetExceededEvent
  | BudgetWarningEvent
  | GoalCheckEvent
  | StallWarningEvent
  | AgentEndEvent
  | RunEndEvent

export type BatonEventType = BatonEvent['type']
