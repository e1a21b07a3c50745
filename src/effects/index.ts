export { type Clock, systemClock } from './clock.js'
export type { Effects, ToolEffect } from './effects.js'
export { liveEffects } from './live-effects.js'
