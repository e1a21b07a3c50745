export {
  type Endpoint,
  type GateOptions,
  gate,
  observe,
  type RateLimit,
  rateLimitOf,
  resetRateLimits,
  setRateLimits,
  type Ticket,
} from './limiter.js'
