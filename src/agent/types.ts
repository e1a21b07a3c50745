import type { BudgetLimits, PriceTable } from '../budget/index.js'
import type { ContextPolicy } from '../context/policy.js'
import type { GoalCheck } from '../goal/index.js'
import type { MemoryScope } from '../memory/index.js'
import type { Model } from '../model/types.js'
import type { Schema } from '../schema/index.js'
import type { Tool, ToolSet } from '../tool/index.js'
import type { PlanMode } from './plan-tool.js'
import type { StopWhen } from './stop-when.js'

/** Stall detection: the same call repeated, or steps that get nowhere. */
export interface StallOptions {
  /** A call with identical arguments made more than this many times stops the run. Default 3. */
  maxRepeats?: number
  /** More than this many steps in a row without progress stops the run. Default 5. */
  maxIdleSteps?: number
  /** Warn the model once at the limit before stopping. Default true. */
  warn?: boolean
}

/** An agent: a plain value made by `defineAgent`. */
export interface Agent<O = unknown> {
  readonly kind: 'baton.agent'
  readonly name: string
  readonly description: string
  /** The instructions text (a prompt file is already read; `{{vars}}` left open are filled at run time). */
  readonly instructions: string
  /** The `{{var}}` placeholders still open in `instructions` (filled from run vars). */
  readonly placeholders: readonly string[]
  readonly model: Model | string
  /** Its own tools (made by `defineTool`). */
  readonly tools: readonly Tool[]
  /** Live tool sets (an MCP server's): their tools are offered as they are at each step, after `tools`. */
  readonly toolSets?: readonly ToolSet[]
  readonly agents: readonly Agent[]
  readonly input: Schema | undefined
  readonly output: Schema<O> | undefined
  /** Goal checks, in order (typed against the output when defined). */
  readonly goal: readonly GoalCheck[]
  readonly budget: BudgetLimits
  /** Model prices given on this agent (they apply to its sub-agents too). */
  readonly prices?: PriceTable | undefined
  readonly memory: MemoryScope | undefined
  /** What each model call asks for (default 4096), clipped by the budget. */
  readonly maxOutputTokens: number
  readonly toolConcurrency: number
  readonly stall: Required<StallOptions> | false
  readonly maxGoalAttempts: number
  /** The user's own stop conditions, asked after each step. */
  readonly stopWhen: readonly StopWhen[]
  /** Plan mode: the model is offered one tool, `plan`, that runs a whole graph of calls. */
  readonly plan?: PlanMode | undefined
  /** How the agent's history is compacted to fit the model's window; undefined when it is never. */
  readonly context?: ContextPolicy | undefined
}
