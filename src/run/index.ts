export { checkTask } from './check-run.js'
export { DEFAULT_BUDGET, run, stream } from './run.js'
export type { RunOptions, RunResult, RunStream } from './types.js'
