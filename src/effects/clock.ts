/** Time, injected: the real clock by default, `fakeClock()` from `baton/testing` in tests. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /**
   * Calls `fn` after `ms`; returns a function that cancels it. A run may ask for waits longer
   * than `MAX_TIMER_MS` (a wall-clock budget of weeks): a clock of your own must keep them.
   */
  setTimeout(fn: () => void, ms: number): () => void
}

/** The longest delay one `setTimeout` of Node keeps (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * Calls `fn` after `ms`, however long: a wait longer than `MAX_TIMER_MS` is armed in parts, so
 * it is never cut to a millisecond. `Infinity` never fires; what is not a number of 0 or more
 * (NaN, a negative number) fires at once, as `setTimeout` does.
 */
export function armTimer(fn: () => void, ms: number): () => void {
  if (ms === Number.POSITIVE_INFINITY) return () => {}
  let timer: ReturnType<typeof setTimeout> | undefined
  const wait = (left: number): void => {
    if (left > MAX_TIMER_MS) timer = setTimeout(() => wait(left - MAX_TIMER_MS), MAX_TIMER_MS)
    else timer = setTimeout(fn, left)
  }
  wait(typeof ms === 'number' && ms > 0 ? ms : 0)
  return () => clearTimeout(timer)
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: armTimer,
}
