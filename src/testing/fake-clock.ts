import type { Clock } from '../effects/index.js'
import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'

export interface FakeClock extends Clock {
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void
}

/**
 * A clock that only moves when told to. Pass it as `run(..., { clock })`.
 *
 * @example
 * const clock = fakeClock()
 * const tool = defineTool({ ..., run: () => { clock.advance(5_000); return 'slow' } })
 * await run(agent, task, { clock, budget: { maxWallMs: 1_000 } }) // budget_exceeded, maxWallMs
 */
export function fakeClock(start = 0): FakeClock {
  if (!Number.isFinite(start))
    throw new BatonError(
      'INVALID_DEFINITION',
      `fakeClock: start must be epoch milliseconds (a finite number), got ${describe(start)}`,
    )
  let now = start
  let nextId = 0
  const timers = new Map<number, { at: number; fn: () => void }>()
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++
      timers.set(id, { at: now + Math.max(0, ms), fn })
      return () => timers.delete(id)
    },
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new BatonError(
          'INVALID_DEFINITION',
          `fakeClock.advance: ms must be a number of 0 or more, got ${describe(ms)}`,
        )
      const target = now + ms
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined
        for (const entry of timers)
          if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry
        if (!due) break
        timers.delete(due[0])
        now = due[1].at
        due[1].fn()
      }
      now = target
    },
  }
}
