export { durableRuns, treeHash } from './durable-runs.js'
export { DURABLE_STATUSES, type DurableStatus } from './status.js'
export type {
  ApprovalAnswer,
  ApproveOptions,
  DurableOptions,
  DurableRun,
  DurableRuns,
  ServeOptions,
  SubmitOptions,
} from './types.js'
