/**
 * @module baton
 * A supervisor loop for LLM agents: typed tools, scoped sub-agents, shared memory with
 * provenance, a budget tree, goal checks, and transcripts of every run. What a script needs;
 * evals, MCP and the provider factories are in `baton/eval`, `baton/mcp` and `baton/providers`.
 *
 * @example
 * import { defineAgent, defineTool, run } from 'baton'
 * const result = await run(agent, 'Plan a two-day trip to Lisbon', { record: 'runs/lisbon.jsonl' })
 */
export {
  type Agent,
  type AgentConfig,
  defineAgent,
  delegationToolName,
  hasToolCall,
  type StallOptions,
  type StepInfo,
  type StopWhen,
  stepCountIs,
} from './agent/index.js'
export {
  type BudgetLimit,
  type BudgetLimits,
  DEFAULT_PRICES,
  findPrice,
  type ModelPrice,
  type PriceTable,
} from './budget/index.js'
export {
  type ContextInfo,
  type ContextOptions,
  type ContextPolicyFn,
  type ContextWindowTable,
  DEFAULT_CONTEXT_WINDOWS,
} from './context/index.js'
export type { Clock, Effects, ToolEffect } from './effects/index.js'
export {
  BatonError,
  ERROR_CODES,
  type ErrorCode,
  type ErrorInfo,
  FatalToolError,
  isErrorCode,
} from './errors/index.js'
export type * from './events/index.js'
export {
  defineScorer,
  type GoalCheck,
  type GoalContext,
  type GoalFn,
  type JudgeOptions,
  judge,
  type Score,
  type ScoreContext,
  type ScoreInput,
  type Scorer,
  type Task,
  type TrajectoryStep,
} from './goal/index.js'
export { type RateLimit, rateLimitOf, resetRateLimits, setRateLimits } from './limits/index.js'
export type { ApprovalAnswer, ApproveFn, ElicitFn } from './loop/index.js'
export type { MemoryEntry, MemoryScope, ScopedMemory } from './memory/index.js'
export type * from './model/types.js'
export { setupTracing, type TracingSetup, type TracingSetupOptions } from './otel/setup.js'
export { type TraceOptions, traceTranscript } from './otel/trace.js'
export type { AgentTask, NestedPlanTask, Plan, PlannedTask, TaskResult, ToolTask } from './plan/index.js'
export {
  defineWorkflow,
  type WorkflowConfig,
  type WorkflowRound,
  type WorkflowStep,
} from './plan/workflow.js'
export {
  type Divergence,
  type ForkOptions,
  fork,
  type ReplayOptions,
  type ReplayResult,
  type ResumeOptions,
  replay,
  resume,
} from './replay/index.js'
export {
  type BreakerOptions,
  DEFAULT_FALLBACK_CODES,
  type FailedModel,
  type FallbackOptions,
  fallback,
  type ModelChoice,
  type ModelFailure,
  type RouteAnswer,
  type RouteContext,
  type RouteFn,
  type RouteOptions,
  resetCircuits,
  route,
} from './routing/index.js'
export {
  DEFAULT_BUDGET,
  type EventStreamBody,
  type RunOptions,
  type RunResult,
  type RunStream,
  run,
  type ServerSentOptions,
  stream,
  transcriptResult,
} from './run/index.js'
export type { Schema, SchemaInput, SchemaIssue, ValidationResult } from './schema/index.js'
export { defineTool, type Tool, type ToolConfig, type ToolContext, type ToolSet } from './tool/index.js'
export { memoryTools } from './tool/memory-tools.js'
export {
  parseTranscript,
  readTranscript,
  TRANSCRIPT_VERSION,
  type Transcript,
  type TranscriptHeader,
} from './transcript/index.js'
export {
  NotATranscript,
  type Verification,
  type VerifyOptions,
  verifyTranscript,
  verifyTranscriptFile,
} from './transcript/verify.js'
export { VERSION } from './version.js'
