/**
 * What a run's events say of its end: its status and stop reason, its totals, and the calls left
 * waiting for an answer (an approval, or input an MCP server asked for).
 */

import type { BudgetLimit } from '../budget/index.js'
import type { ErrorCode } from '../errors/index.js'

export type RunStatus =
  | 'done'
  | 'budget_exceeded'
  | 'goal_failed'
  | 'stalled'
  | 'aborted'
  | 'error'
  | 'awaiting_approval'

/**
 * Why a run or an agent ended, in a word: with status `done`, `goal` (or `stopWhen`, or
 * `stopWhen:<the condition's reason>`); `goal_failed`: `goal` or `output`; `budget_exceeded`:
 * the limit; `stalled`: `repeatedCall` or `noProgress`; `awaiting_approval`: `needsApproval`
 * (or `needsInput` when every call waits for input an MCP server asked for);
 * `aborted`: `signal` or `consumer`; `error`: `refusal` or the error's code.
 */
export type StopReason =
  | 'goal'
  | 'output'
  | 'stopWhen'
  | `stopWhen:${string}`
  | BudgetLimit
  | 'repeatedCall'
  | 'noProgress'
  | 'needsApproval'
  | 'needsInput'
  | 'signal'
  | 'consumer'
  | 'refusal'
  | ErrorCode

/** Token, cost and count totals. */
export interface RunUsage {
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number
  reasoningTokens: number
  costUsd: number
  /** Model calls. */
  steps: number
  toolCalls: number
  wallMs: number
}

/** A tool call waiting for approval (status `awaiting_approval`), or for input an MCP server asked for. */
export interface PendingApproval {
  path: string
  callId: string
  tool: string
  args: unknown
  /** Set when the call waits for the answer to an MCP server's elicitation, not for approval. */
  elicitation?: ElicitationRequest
}

/**
 * An MCP server asks for input in the middle of a tool call (MCP elicitation, form mode): what
 * the run's `elicit` function is given, and what a paused run's `pending` says it waits for.
 */
export interface ElicitationRequest {
  /** The elicitation's step key: `<tool call's step key>/elicit/<n>`. */
  path: string
  /** The agent whose tool call caused it. */
  agent: string
  /** The tool call's step key, id and tool name. */
  toolCall: string
  callId: string
  tool: string
  /** The MCP server's name, as it reported it. */
  server: string
  message: string
  /** The JSON Schema of the form: an object of plain fields (string, number, integer, boolean, enum). */
  schema: Record<string, unknown>
}

/**
 * The answer to an elicitation: accept with the form's content (fields the content leaves out
 * get the schema's defaults), decline, or cancel (the user dismissed it).
 */
export type ElicitationAnswer =
  | { action: 'accept'; content: Record<string, unknown> }
  | { action: 'decline' }
  | { action: 'cancel' }
