import type { RunStatus } from '../events/index.js'

/** Where a durable run is. `queued` and `running` are on the way; the rest are its result's status. */
export type DurableStatus = 'queued' | 'running' | RunStatus

/** Every status a durable run can be in, the ones on the way first. */
export const DURABLE_STATUSES: readonly DurableStatus[] = [
  'queued',
  'running',
  'awaiting_approval',
  'done',
  'goal_failed',
  'budget_exceeded',
  'stalled',
  'aborted',
  'error',
]

const ENDED = new Set<DurableStatus>(DURABLE_STATUSES.slice(2))

/** Whether a run in this status has ended. */
export const ended = (status: DurableStatus): boolean => ENDED.has(status)
