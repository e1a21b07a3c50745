/**
 * @module limits
 * Rate limits shared by every model call of the process: requests and tokens per minute and
 * calls in flight, per provider, model or server, and the pauses a provider asks for (a 429 with
 * `retry-after`, rate-limit headers at zero), which hold every caller of that provider, not only
 * the one that was told. A call waits its turn before each attempt; the wait is visible
 * (`onQueued`), ends at once on abort, and is refused when it would outlast the wall-clock budget.
 */
import { systemClock } from '../effects/clock.js'
import { BatonError } from '../errors/index.js'
import type { ModelClock, QueuedInfo } from '../model/types.js'
import { withFields } from '../objects.js'
import type { Bucket, Slots } from './buckets.js'
import { clearScopes, type Scope, scopesAmong } from './config.js'
import { clearEndpoints, type EndpointState, endpointState, LEARNED_FOR_MS, pauseLeft } from './pace.js'
import { type SharedLimits, sharedLimits } from './shared.js'

/** Where a call goes, as the limiter knows it. */
export interface Endpoint {
  /** The provider, its base URL and a fingerprint of the key: what a provider's pause holds. */
  readonly key: string
  /** The scopes whose limits apply: the provider name, the model id, the base URL. */
  readonly scopes: readonly string[]
  /** How errors name it: the model id. */
  readonly label: string
  /** How a pause of its provider is named in `model.queued` (the provider, or a server's URL). */
  readonly name?: string
}

/** A call's place: free it when the attempt ends; `settle` corrects its tokens by the real usage. */
export interface Ticket {
  release(): void
  settle(usedTokens: number): void
}

/** What a call waiting for its turn is given. */
export interface GateOptions {
  clock?: ModelClock
  signal?: AbortSignal
  /** Epoch ms (on `clock`) after which nothing may start: a longer wait is refused. */
  deadline?: number
  onQueued?: (wait: QueuedInfo) => void
}

/** Forgets every limit, every pause and every learned pace (for tests). */
export function resetRateLimits(): void {
  clearScopes()
  clearEndpoints()
}

/**
 * Waits until a call to `endpoint` may go. Undefined (at once, nothing to free) when no limit
 * applies and no pause holds; else a ticket, now or once the call's turn has come. `tokens` is
 * asked only when a token limit applies.
 */
export function gate(
  endpoint: Endpoint,
  tokens: () => number,
  options: GateOptions,
): Ticket | Promise<Ticket> | undefined {
  const clock = options.clock ?? systemClock
  const applying = scopesAmong(endpoint.scopes)
  const state = endpointState(endpoint.key, clock)
  state.clock = clock
  if (state.learned && clock.now() - state.learned.refusedAt > LEARNED_FOR_MS) state.learned = undefined
  if (!applying && !state.learned && pauseLeft(state, clock) <= 0) return undefined
  return turn(endpoint, state, applying ?? [], tokens, options, clock)
}

/**
 * Waits for the call's turn at the pace the endpoint was learned to take. A turn past the
 * deadline is refused before it is booked; a wait ended by an abort gives its turn back when no
 * call booked one after it.
 */
async function paced(
  state: EndpointState,
  endpoint: Endpoint,
  options: GateOptions,
  clock: ModelClock,
  queued: (info: QueuedInfo) => void,
) {
  const learned = state.learned
  if (!learned) return
  const now = clock.now()
  const at = Math.max(now, learned.nextAt)
  const ms = Math.ceil(at - now)
  const info: QueuedInfo = { scope: endpoint.name ?? endpoint.label, reason: 'provider-limit', waitMs: ms }
  if (ms > 0 && options.deadline !== undefined && now + ms >= options.deadline)
    throw tooLong(endpoint, info, ms)
  const interval = learned.interval
  learned.nextAt = at + interval
  if (ms <= 0) return
  queued(info)
  await sleep(ms, options.signal, clock).catch((error: unknown) => {
    if (learned.nextAt === at + interval) learned.nextAt = at
    throw error
  })
}

async function turn(
  endpoint: Endpoint,
  state: EndpointState,
  applying: readonly Scope[],
  tokens: () => number,
  options: GateOptions,
  clock: ModelClock,
): Promise<Ticket> {
  let told = false
  const queued = (info: QueuedInfo) => {
    if (told) return
    told = true
    options.onQueued?.(info)
  }
  const freed: (() => void)[] = []
  const release = () => {
    for (const free of freed.splice(0)) free()
  }
  const store = sharedLimits()
  try {
    await paused(endpoint, options, clock, queued)
    // A pace set for its requests is the pace: what was learned from refusals is for the others.
    if (!applying.some((scope) => scope.requests)) await paced(state, endpoint, options, clock, queued)
    for (const scope of applying) {
      if (scope.slots) freed.push(await slot(scope, scope.slots, store, options, queued))
    }
    const estimate = applying.some((scope) => scope.tokens) ? tokens() : 0
    const now = clock.now()
    let wait = 0
    let longest: QueuedInfo | undefined
    const booked: [Scope, Bucket, 'requests' | 'tokens', number][] = []
    for (const scope of applying) {
      for (const [bucket, amount, kind] of [
        [scope.requests, 1, 'requests'],
        [scope.tokens, estimate, 'tokens'],
      ] as const) {
        if (!bucket) continue
        const ms = store
          ? await store.book(scope.name, kind, amount, bucket.perMs, bucket.capacity)
          : bucket.book(amount, now)
        booked.push([scope, bucket, kind, amount])
        if (ms > wait) {
          wait = ms
          longest = { scope: scope.name, reason: kind }
        }
      }
    }
    const give = (scope: Scope, bucket: Bucket, kind: 'requests' | 'tokens', amount: number) => {
      if (store) store.give(scope.name, kind, amount, bucket.perMs, bucket.capacity)
      else bucket.give(amount, clock.now())
    }
    const refund = () => {
      for (const [scope, bucket, kind, amount] of booked) give(scope, bucket, kind, amount)
    }
    if (longest && wait > 0) {
      const ms = Math.ceil(wait)
      if (options.deadline !== undefined && now + ms >= options.deadline) {
        refund()
        throw tooLong(endpoint, longest, ms)
      }
      queued(withFields(longest, { waitMs: ms }))
      await sleep(ms, options.signal, clock).catch((error: unknown) => {
        refund()
        throw error
      })
    }
    // A provider may have asked for a pause while this call waited its turn; a call that does
    // not go after all gives back what it booked.
    await paused(endpoint, options, clock, queued).catch((error: unknown) => {
      refund()
      throw error
    })
    let settled = false
    return {
      release,
      settle(used) {
        if (settled || estimate === 0) return
        settled = true
        for (const [scope, bucket, kind] of booked)
          if (kind === 'tokens') give(scope, bucket, kind, estimate - used)
      },
    }
  } catch (error) {
    release()
    throw error
  }
}

/** Takes a slot of a scope's calls in flight (the process's, or every process's); resolves with its release. */
async function slot(
  scope: Scope,
  slots: Slots,
  store: SharedLimits | undefined,
  options: GateOptions,
  queued: (info: QueuedInfo) => void,
): Promise<() => void> {
  if (!store) {
    if (!slots.tryTake()) {
      queued({ scope: scope.name, reason: 'concurrency' })
      const waiting = slots.wait()
      await abortable(waiting.taken, options.signal, waiting.cancel)
    }
    return () => slots.release()
  }
  for (;;) {
    const free = await store.takeSlot(scope.name, slots.max)
    if (free) return free
    queued({ scope: scope.name, reason: 'concurrency' })
    // Told when another process frees one; looked at again at least every quarter second.
    await abortable(store.slotFreed(scope.name, 250), options.signal, () => {})
  }
}

/** Waits out a pause the provider asked for, however many times it is renewed. */
async function paused(
  endpoint: Endpoint,
  options: GateOptions,
  clock: ModelClock,
  queued: (info: QueuedInfo) => void,
): Promise<void> {
  for (;;) {
    const state = endpointState(endpoint.key, clock)
    const ms = pauseLeft(state, clock)
    if (ms <= 0) return
    const info: QueuedInfo = {
      scope: endpoint.name ?? endpoint.scopes[0] ?? endpoint.label,
      reason: state.reason,
      waitMs: ms,
    }
    if (options.deadline !== undefined && clock.now() + ms >= options.deadline)
      throw tooLong(endpoint, info, ms)
    queued(info)
    await sleep(ms, options.signal, clock)
  }
}

function tooLong(endpoint: Endpoint, info: QueuedInfo, ms: number): BatonError {
  const why =
    info.reason === 'retry-after' || info.reason === 'provider-limit'
      ? 'its provider asks to wait'
      : `its ${info.reason} limit (${info.scope}) needs a wait of`
  return new BatonError(
    'MODEL_ERROR',
    `${endpoint.label}: rate limited: ${why} ${ms} ms (no wait: the wall-clock budget ends first)`,
    {
      details: { code: 'RATE_LIMITED', retryable: false, scope: info.scope, reason: info.reason, waitMs: ms },
    },
  )
}

function sleep(ms: number, signal: AbortSignal | undefined, clock: ModelClock): Promise<void> {
  let cancel: (() => void) | undefined
  const slept = new Promise<void>((resolve) => {
    cancel = clock.setTimeout(resolve, ms)
  })
  return abortable(slept, signal, () => cancel?.())
}

/** `promise`, or the signal's reason as soon as it aborts (then `onAbort` undoes the wait). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) {
    onAbort()
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const stop = () => {
      onAbort()
      reject(signal.reason)
    }
    signal.addEventListener('abort', stop, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', stop)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', stop)
        reject(error)
      },
    )
  })
}
