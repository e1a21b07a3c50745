export { armTimer, type Clock, MAX_TIMER_MS, systemClock } from './clock.js'
export {
  callModelEffect,
  type DecisionKind,
  type Effects,
  type ModelEffect,
  type RecordedToolRequest,
  type RecordedToolResult,
  type ToolAnswer,
  type ToolEffect,
} from './effects.js'
export { liveEffects } from './live-effects.js'
