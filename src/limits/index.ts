export { type RateLimit, rateLimitOf, setRateLimits } from './config.js'
export { type Endpoint, type GateOptions, gate, resetRateLimits, type Ticket } from './limiter.js'
export { observe, pausedElsewhere } from './pace.js'
export { type SharedLimits, shareRateLimits } from './shared.js'
