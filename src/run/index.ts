export { checkTask } from './check-run.js'
export { foldEvents, transcriptResult } from './fold.js'
export { DEFAULT_BUDGET, run, stream, streamRun } from './run.js'
export type {
  EventStreamBody,
  InternalRunOptions,
  RunOptions,
  RunResult,
  RunStream,
  ServerSentOptions,
} from './types.js'
