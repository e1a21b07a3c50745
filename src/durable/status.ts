import type { RunStatus } from '../events/index.js'

/** Where a durable run is. `queued` and `running` are on the way; the rest are its result's status. */
export type DurableStatus = 'queued' | 'running' | RunStatus

const ENDED = new Set<DurableStatus>([
  'done',
  'goal_failed',
  'budget_exceeded',
  'stalled',
  'aborted',
  'error',
  'awaiting_approval',
])

/** Whether a run in this status has ended. */
export const ended = (status: DurableStatus): boolean => ENDED.has(status)
