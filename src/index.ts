/**
 * @module baton
 * A supervisor loop for LLM agents: typed tools, scoped sub-agents, shared memory with
 * provenance, a budget tree, goal checks, and transcripts of every run.
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
export { type Clock, type Effects, liveEffects, systemClock, type ToolEffect } from './effects/index.js'
export {
  BatonError,
  ERROR_CODES,
  type ErrorCode,
  type ErrorInfo,
  FatalToolError,
  isErrorCode,
} from './errors/index.js'
export {
  type AgentFactory,
  type BaselineComparison,
  type BaselineThresholds,
  type CaseResult,
  type CaseSummary,
  compareToBaseline,
  defineEval,
  type Eval,
  type EvalCase,
  type EvalConfig,
  type EvalMode,
  type EvalProgress,
  type EvalReport,
  type EvalResult,
  type EvalSummary,
  exact,
  type IncludesOptions,
  includes,
  matchesSchema,
  maxCost,
  maxSteps,
  mergeReports,
  type Regression,
  type RunEvalOptions,
  readReport,
  regex,
  renderHtml,
  runEval,
  type ScorerResult,
  type TrajectoryOptions,
  trajectory,
} from './eval/index.js'
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
export type { ApproveFn } from './loop/index.js'
export {
  type McpHttpServer,
  type McpServerConfig,
  type McpStdioServer,
  McpToolError,
  type McpTools,
  type McpToolsOptions,
  mcpTools,
} from './mcp/index.js'
export { compileGlob } from './memory/glob.js'
export type { MemoryEntry, MemoryScope, ScopedMemory } from './memory/index.js'
export { memoryTools } from './memory/memory-tools.js'
export { registerProvider, resolveModel } from './model/index.js'
export type * from './model/types.js'
export {
  type AnthropicOptions,
  anthropic,
  compatible,
  DEFAULT_RETRY,
  openai,
  openaiResponses,
  type ProviderOptions,
  type RetryPolicy,
} from './providers/index.js'
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
export { DEFAULT_BUDGET, type RunOptions, type RunResult, type RunStream, run, stream } from './run/index.js'
export type { Schema, SchemaInput, SchemaIssue, ValidationResult } from './schema/index.js'
export { defineTool, type Tool, type ToolConfig, type ToolContext } from './tool/index.js'
export {
  readTranscript,
  TRANSCRIPT_VERSION,
  type Transcript,
  type TranscriptHeader,
} from './transcript/index.js'
export { VERSION } from './version.js'
