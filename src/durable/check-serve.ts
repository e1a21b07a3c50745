import { MAX_TIMER_MS } from '../effects/clock.js'
import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import type { ServeOptions } from './types.js'

/**
 * Checks a worker's options before it joins: its timers repeat every `heartbeatMs` and
 * `staleMs`, and Node runs a repeating timer it cannot keep (NaN, more than 2^31 - 1 ms) every
 * millisecond, a storm of queries on the database.
 */
export function checkServe(serve: unknown): asserts serve is ServeOptions {
  if (typeof serve !== 'object' || serve === null || Array.isArray(serve))
    throw new BatonError('INVALID_OPTIONS', `serve: options must be an object, got ${describe(serve)}`)
  const options = serve as Record<string, unknown>
  const bad = (field: string, expected: string): never => {
    throw new BatonError(
      'INVALID_OPTIONS',
      `serve: options.${field} must be ${expected}, got ${describe(options[field])}`,
      { details: { field } },
    )
  }
  for (const field of ['heartbeatMs', 'staleMs']) {
    const ms = options[field]
    if (ms !== undefined && !(typeof ms === 'number' && Number.isFinite(ms) && ms >= 1 && ms <= MAX_TIMER_MS))
      bad(field, `a number of milliseconds from 1 to ${MAX_TIMER_MS} (about 24.8 days)`)
  }
  const { concurrency } = options
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && (concurrency as number) >= 1))
    bad('concurrency', 'a whole number of runs, 1 or more')
  if (
    options.executorId !== undefined &&
    (typeof options.executorId !== 'string' || options.executorId === '')
  )
    bad('executorId', 'a string that is not empty')
  if (options.onDeclaredDead !== undefined && typeof options.onDeclaredDead !== 'function')
    bad('onDeclaredDead', 'a function')
}
