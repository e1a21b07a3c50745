export { durableRuns } from './durable-runs.js'
export { DURABLE_STATUSES, type DurableStatus } from './status.js'
export { treeHash } from './tree-hash.js'
export type {
  ApprovalAnswer,
  ApproveOptions,
  DurableOptions,
  DurableRun,
  DurableRuns,
  ListFilter,
  PruneOptions,
  ServeOptions,
  SubmitOptions,
} from './types.js'
