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
  tools: { name: string; description: string }[]
  specHash: string
  output?: JsonSchema
  agents: AgentTree[]
}

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
}

export interface Transcript {
  path: string
  header: TranscriptHeader
  events: BatonEvent[]
  /** True when the last line was cut off (a crash mid-write); the events before it are intact. */
  truncated: boolean
}
