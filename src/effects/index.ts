export { type Clock, systemClock } from './clock.js'
export type { Effects, ModelEffect, ToolEffect } from './effects.js'
export { liveEffects } from './live-effects.js'
