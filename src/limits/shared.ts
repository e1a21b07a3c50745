/**
 * Where the limits' state lives when several processes share it: by default each process keeps
 * its own; durable workers on one database share theirs through it (src/durable/limits.ts).
 */
/**
 * Where the limits' buckets and slots live when several processes share them (durable workers
 * on one database), and how a provider's pause reaches the other processes. Each process still
 * sets the limits themselves (`setRateLimits`).
 */
export interface SharedLimits {
  /** Books `amount` in a bucket every process shares; resolves with how long to wait for it. */
  book(
    scope: string,
    kind: 'requests' | 'tokens',
    amount: number,
    perMs: number,
    capacity: number,
  ): Promise<number>
  /** Gives back `amount` (or, negative, takes more) of a shared bucket. */
  give(scope: string, kind: 'requests' | 'tokens', amount: number, perMs: number, capacity: number): void
  /** Takes one of `max` slots every process shares: its release, or undefined when none is free. */
  takeSlot(scope: string, max: number): Promise<(() => void) | undefined>
  /** Resolves when a slot of `scope` may have been freed anywhere, or after `ms`. */
  slotFreed(scope: string, ms: number): Promise<void>
  /** Tells every process of a pause a provider asked for (until an epoch time). */
  pause(endpointKey: string, untilEpochMs: number, reason: 'retry-after' | 'provider-limit'): void
}

let shared: SharedLimits | undefined

/** Shares the limits' state through `store` (undefined: this process keeps its own). */
export function shareRateLimits(store: SharedLimits | undefined): void {
  shared = store
}

/** The store the limits are shared through, if any. */
export const sharedLimits = (): SharedLimits | undefined => shared
