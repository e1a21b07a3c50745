/**
 * The tree of agents the live view draws, as the events so far describe it: each agent with its
 * model, status, steps, tokens and cost, and its sub-agents under the agent that delegated to them.
 *
 * - `reduceTree(state, event)` (tree-state-reduce.ts) is pure: the tree after one more event.
 * - `agentPathOf` / `parentPathOf` (tree-state-paths.ts) find the agent an event belongs to and
 *   the agent above it.
 *
 * This file holds the tree's types, the empty tree and `isBusy`.
 */
import type { RunStatus } from '../events/index.js'

export { agentPathOf, parentPathOf } from './tree-state-paths.js'
export { reduceTree } from './tree-state-reduce.js'

/** A tool call under way. */
export interface RunningTool {
  readonly callId: string
  readonly name: string
  /** When it was called (ms since the run started). */
  readonly since: number
  /** It waits for a person to approve it. */
  readonly approval?: boolean
}

/** A task of a plan the agent runs, as far as it got. */
export interface PlanTaskView {
  /** `lisbon`, or `facts/people` in a nested plan. */
  readonly id: string
  readonly name: string
  readonly needs: readonly string[]
  readonly state: 'waiting' | 'running' | 'done' | 'failed' | 'skipped'
  /** When it was called (ms since the run started). */
  readonly since?: number
  /** How long it took, once it ended. */
  readonly ms?: number
}

/** The plan an agent runs (its latest), task by task. */
export interface PlanView {
  readonly callId: string
  readonly since: number
  readonly endedAt: number | undefined
  readonly tasks: readonly PlanTaskView[]
}

/** How an agent ended. */
export interface AgentEnd {
  readonly status: RunStatus
  readonly stopReason: string
  readonly error?: string
}

export interface AgentNode {
  /** The agent path: `root`, or `<parent>/<step>/agent:<name>#<k>`. */
  readonly path: string
  readonly name: string
  readonly model: string
  /** A sub-agent's brief (the task its parent delegated), on one line. */
  readonly brief: string | undefined
  /** The sub-agents' paths, in the order they started. */
  readonly children: readonly string[]
  readonly startedAt: number
  readonly endedAt: number | undefined
  /** When the model call in flight was sent; undefined when none is. */
  readonly modelSince: number | undefined
  /** The end of the text the model call in flight has written so far (its deltas), if any. */
  readonly writing: string | undefined
  /** The latest retry of the model call in flight. */
  readonly retry: { readonly attempt: number; readonly code: string } | undefined
  /** Since when the model call in flight waits for a shared rate limit, which, and how long it expects to. */
  readonly queued: { readonly since: number; readonly scope: string; readonly waitMs?: number } | undefined
  /** The model the call in flight went to, when a chain fell back or a router chose. */
  readonly via: string | undefined
  /** When the call in flight is a compaction's summary: since when. */
  readonly compacting: number | undefined
  /** How often its history was compacted, and the sizes (in tokens) of the latest compaction. */
  readonly compactions?: { readonly count: number; readonly before: number; readonly after: number }
  readonly tools: readonly RunningTool[]
  /** Model calls, tokens and cost of this agent and its sub-agents (as its budget counts them). */
  readonly steps: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
  readonly end: AgentEnd | undefined
  /** The latest warnings (budget, stall, a goal check not met), newest last. */
  readonly notes: readonly string[]
  /** The latest plan it made (plan mode), with each task's state. */
  readonly plan?: PlanView
  /** Calls of a plan not known yet (tasks started while the model wrote it), by call id. */
  readonly early?: Readonly<Record<string, EarlyCall>> | undefined
}

/** A call of a plan's task made before its plan was known. */
export interface EarlyCall {
  readonly since: number
  readonly ms?: number
  readonly failed?: boolean
}

export interface TreeState {
  readonly nodes: Readonly<Record<string, AgentNode>>
  /** Agents without a parent in the stream: the root. */
  readonly roots: readonly string[]
  /** The latest event's time (ms since the run started). */
  readonly t: number
}

export const EMPTY_TREE: TreeState = { nodes: {}, roots: [], t: 0 }

/** Whether anything is still under way (the elapsed times on screen then change by themselves). */
export function isBusy(state: TreeState): boolean {
  return Object.values(state.nodes).some((node) => node.end === undefined)
}
