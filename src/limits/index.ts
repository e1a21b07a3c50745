export {
  type Endpoint,
  type GateOptions,
  gate,
  observe,
  pausedElsewhere,
  type RateLimit,
  rateLimitOf,
  resetRateLimits,
  type SharedLimits,
  setRateLimits,
  shareRateLimits,
  type Ticket,
} from './limiter.js'
