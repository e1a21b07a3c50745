/**
 * A database that goes away under a worker (restarted, failed over, cut off) and comes back,
 * or rolls back one of its transactions to break a deadlock.
 * A run or sub-agent whose attempt failed for it is not ended, nor left `running` for ever: its
 * workflow waits until the database answers again and makes a new attempt, which goes on from
 * the stored transcript as a takeover does (at most the step in flight is made again).
 */
import { BatonError } from '../errors/index.js'

/** How many attempts one workflow makes at a run across outages before it ends the run with the error. */
export const OUTAGE_ATTEMPTS = 5

/**
 * PostgreSQL's codes for a connection lost or refused, a server going down or short of
 * resources, and a transaction rolled back to break a deadlock or a conflict (as DBOS retries).
 */
const LOST_CODES = /^(08|53|57|40P01$|40001$|40003$)/
/** Node's codes for a socket that could not be made or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
])
/** node-postgres's words for a connection cut while in use. */
const LOST_WORDS = /Connection terminated|connection timeout|timeout exceeded when trying to connect/i

/** Whether `error`, or an error it was caused by, says the database could not be reached, dropped the connection, or rolled back for a deadlock. */
export function lostDatabase(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    const detail = e instanceof BatonError ? e.details?.code : undefined
    for (const c of [code, detail])
      if (typeof c === 'string' && (LOST_CODES.test(c) || SOCKET_CODES.has(c))) return true
    if (LOST_WORDS.test(String((e as Error).message ?? ''))) return true
  }
  return false
}

/**
 * After an attempt failed with `error`: when the database is what failed (it is unreachable
 * now, or the error says it dropped), waits until it answers again and says true (make another
 * attempt); false when the error is something else, or `stop()` says to give up waiting.
 */
export async function outage(
  error: unknown,
  reachable: () => Promise<boolean>,
  stop: () => boolean,
): Promise<boolean> {
  if (!lostDatabase(error) && (await reachable())) return false
  for (let waitMs = 100; !stop(); waitMs = Math.min(waitMs * 2, 2_000)) {
    if (await reachable()) return true
    await new Promise((resolve) => setTimeout(resolve, waitMs))
  }
  return false
}

/** Runs `store` (a write of a run's end) until it is done, waiting out outages of the database; throws if `stop()`. */
export async function stored(
  store: () => Promise<void>,
  reachable: () => Promise<boolean>,
  stop: () => boolean,
) {
  for (;;) {
    try {
      return await store()
    } catch (error) {
      if (!(await outage(error, reachable, stop))) throw error
    }
  }
}
