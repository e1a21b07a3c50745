import type { ScopedMemory } from '../memory/index.js'
import type { Model, ModelRequest, ModelResponse } from '../model/types.js'

/** A task: text, or a JSON object (validated by the agent's `input` schema when it has one). */
export type Task = string | { [key: string]: unknown }

/** One scorer verdict. `score` is in [0, 1]. */
export interface Score {
  pass: boolean
  score: number
  reason?: string
}

/** A tool call or delegation the agent made, in order: what trajectory scorers read. */
export interface TrajectoryStep {
  /** The agent path that made the call. */
  path: string
  kind: 'tool' | 'agent'
  name: string
  args: unknown
  ok: boolean
}

export interface ScoreInput<O = unknown> {
  task: Task
  /** The parsed output (when the agent has an output schema) or the final text. */
  output: O
  /** The final answer text as the model wrote it. */
  text: string
  trajectory: readonly TrajectoryStep[]
  /** What the eval case expects, when the scorer runs in an eval. */
  expected?: unknown
  usage: { inputTokens: number; outputTokens: number; costUsd: number; steps: number; toolCalls: number }
}

/** What a scorer may use: a model call through the run's effects door (recorded and budgeted). */
export interface ScoreContext {
  generate(model: Model | string, request: ModelRequest): Promise<ModelResponse>
  signal: AbortSignal
}

/** One implementation serves as a run-time goal check and as an eval scorer. */
export interface Scorer<O = unknown> {
  readonly kind: 'baton.scorer'
  readonly name: string
  score(input: ScoreInput<O>, ctx: ScoreContext): Score | Promise<Score>
}

export interface GoalContext {
  task: Task
  text: string
  /** The agent path being checked. */
  path: string
  memory: ScopedMemory
}

/** `true` means the goal is met; a string is feedback for the model (and the loop goes on). */
export type GoalFn<O = unknown> = (
  output: O,
  ctx: GoalContext,
) => boolean | string | Promise<boolean | string>

export type GoalCheck<O = unknown> = GoalFn<O> | Scorer<O>
