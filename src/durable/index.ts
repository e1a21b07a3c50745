export { durableRuns, treeHash } from './durable-runs.js'
export type { DurableStatus } from './status.js'
export type {
  ApprovalAnswer,
  ApproveOptions,
  DurableOptions,
  DurableRun,
  DurableRuns,
  ServeOptions,
  SubmitOptions,
} from './types.js'
