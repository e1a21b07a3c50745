export { type Clock, systemClock } from './clock.js'
export { callModelEffect, type Effects, type ModelEffect, type ToolEffect } from './effects.js'
export { liveEffects } from './live-effects.js'
