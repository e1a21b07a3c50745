/**
 * Conditions a user gives an agent to end its loop early (`defineAgent({ stopWhen })`), checked
 * after each step with the built-in ones (see `src/loop/stop-conditions.ts`).
 */
import { BatonError } from '../errors/index.js'
import type { AssistantMessage, ToolMessage } from '../model/types.js'
import { describe } from '../schema/index.js'

/** What a stop condition sees after a step. */
export interface StepInfo {
  /** The agent path (`root`, `root/2/agent:researcher#0`). */
  readonly path: string
  /** The step that just ended, from 1. */
  readonly step: number
  /** The model's message of that step. */
  readonly message: AssistantMessage
  /** The results of that step's tool calls (empty when it called none). */
  readonly toolResults: readonly ToolMessage[]
  /** What this agent and its sub-agents have used so far. */
  readonly usage: { readonly steps: number; readonly toolCalls: number; readonly costUsd: number }
}

/**
 * Ends the agent's loop after a step when it returns `true` or a reason (a string): the agent
 * ends `done`, with `stopReason` `stopWhen` (for `true`) or `stopWhen:<reason>`, and the step's
 * text as its output, without a goal check. `false` or `undefined` goes on.
 */
export type StopWhen = (step: StepInfo) => boolean | string | undefined

/** Stops once the agent has made `n` model calls of its own. */
export function stepCountIs(n: number): StopWhen {
  if (!Number.isInteger(n) || n < 1)
    throw new BatonError(
      'INVALID_DEFINITION',
      `stepCountIs: n must be a whole number of steps, 1 or more, got ${describe(n)}`,
    )
  return (step) => (step.step >= n ? `stepCountIs(${n})` : undefined)
}

/** Stops after a step that called the tool `name` (its result is in the history). */
export function hasToolCall(name: string): StopWhen {
  if (typeof name !== 'string' || name === '')
    throw new BatonError(
      'INVALID_DEFINITION',
      `hasToolCall: name must be a tool's name, got ${describe(name)}`,
    )
  return (step) =>
    step.message.toolCalls?.some((call) => call.name === name) ? `hasToolCall(${name})` : undefined
}
