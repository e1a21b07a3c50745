import type { BudgetLimits } from '../budget/index.js'
import type { BatonEvent } from '../events/index.js'
import type { Task } from '../goal/index.js'
import type { JsonSchema } from '../model/types.js'

/** The transcript schema version this Baton writes. */
export const TRANSCRIPT_VERSION = 1

/** The agent tree as recorded in the header. */
export interface AgentTree {
  name: string
  description: string
  model: string
  /** Each tool as the model was offered it (delegation tools are not listed). */
  tools: { name: string; description: string; parameters: JsonSchema }[]
  specHash: string
  output?: JsonSchema
  /** Its sub-agents: each written whole where the tree first meets it, else a reference to that place. */
  agents: AgentNode[]
}

/**
 * A sub-agent the tree has written whole already (it has several parents): `ref` is the names
 * of the agents from the root (left out) down to where it is written.
 */
export interface AgentRef {
  name: string
  model: string
  ref: string[]
}

export type AgentNode = AgentTree | AgentRef

/** Line 1 of every transcript. */
export interface TranscriptHeader {
  type: 'header'
  version: number
  baton: string
  runId: string
  /** ISO time the run started. */
  startedAt: string
  task: Task
  agent: AgentTree
  budget: BudgetLimits
  /** Price overrides the run was given (`prices` option). */
  prices?: Record<string, { input: number; output: number; cachedInput?: number; cacheWrite?: number }>
  /** Context windows the run was given (`contextWindows` option). */
  contextWindows?: Record<string, number>
  /** Values the run gave for `{{var}}` placeholders (`vars` option). */
  vars?: Record<string, unknown>
  /** The agent's module (relative to where `baton run` ran) and export, when run from the CLI. */
  source?: { module: string; export?: string }
  /**
   * Set when this run replayed, resumed or forked another: that run's id, how, and the digest of
   * the transcript it came from (when that one was chained).
   */
  from?: { runId: string; mode: 'replay' | 'resume' | 'fork'; digest?: string }
  /** The public key the run's lines are signed with (`sign` run option), and its id. */
  signer?: { keyId: string; publicKey: string }
}

export interface Transcript {
  path: string
  header: TranscriptHeader
  events: BatonEvent[]
  /** True when the last line was cut off (a crash mid-write); the events before it are intact. */
  truncated: boolean
  /**
   * The digest of its last whole line (for a finished run, the run's digest), from the line's
   * chain field; absent for transcripts written before lines were chained. Read, not checked:
   * `verifyTranscript` checks.
   */
  digest?: string
}
