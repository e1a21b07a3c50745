export { describeDivergence, lineDiff } from './diff.js'
export { agentPathOf, Recording } from './recording.js'
export {
  type ForkOptions,
  fork,
  type ReplayMode,
  type ReplayOptions,
  type ReplayResult,
  type ReplayStream,
  type ResumeOptions,
  replay,
  replayStream,
  resume,
} from './replay.js'
export { type Divergence, type ReplayEffects, type ReplayPolicy, replayEffects } from './replay-effects.js'
