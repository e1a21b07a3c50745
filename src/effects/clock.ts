/** Time, injected: the real clock by default, `fakeClock()` from `baton/testing` in tests. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimeout(fn: () => void, ms: number): () => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms)
    return () => clearTimeout(timer)
  },
}
