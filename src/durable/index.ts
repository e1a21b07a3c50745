export {
  type DurableOptions,
  type DurableRun,
  type DurableRuns,
  durableRuns,
  type ServeOptions,
  type SubmitOptions,
  treeHash,
} from './durable-runs.js'
export type { DurableStatus } from './status.js'
