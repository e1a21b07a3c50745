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
import { Bucket, Slots } from './buckets.js'
import { askedPause } from './headers.js'

/** Limits for one scope: a provider (`openai`), a model (`openai:gpt-4o`) or a server's base URL. */
export interface RateLimit {
  /** Requests a minute, spread evenly (a second's worth may go at once). */
  requestsPerMinute?: number
  /** Tokens a minute: each call counts its input estimate and its maximum output, corrected by its real usage. */
  tokensPerMinute?: number
  /** Calls in flight at once (a local server serves one or a few at a time). */
  maxConcurrent?: number
}

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

interface Scope {
  readonly name: string
  readonly limit: RateLimit
  readonly requests: Bucket | undefined
  readonly tokens: Bucket | undefined
  readonly slots: Slots | undefined
}

interface EndpointState {
  /** The clock of the latest call to it: what a pause its provider asks for is counted on. */
  clock: ModelClock
  /** Until when its provider asked it to pause (on `pauseClock`), and why. */
  pausedUntil: number
  pauseClock: ModelClock | undefined
  reason: 'retry-after' | 'provider-limit'
  /** When its latest calls were answered (the newest last, a few dozen at most). */
  readonly answered: number[]
  /** The pace it was learned to take, from its refusals; undefined until it refuses a call. */
  learned: Learned | undefined
}

/**
 * The pace a provider that refused calls (429) takes, learned as TCP learns a link: after a
 * refusal, at most as many calls a second as it answered in the second before (and at least
 * halving the pace at each refusal), then a little faster with each answer; forgotten after a
 * quiet minute. So calls that all waited for the end of one pause do not all go at once into
 * the next refusal.
 */
interface Learned {
  /** Milliseconds between two calls. */
  interval: number
  /** When the next call may go (on the endpoint's clock). */
  nextAt: number
  refusedAt: number
}

/** A provider that refused nothing for this long is no longer held to what it was learned to take. */
const LEARNED_FOR_MS = 60_000
/** How many answer times an endpoint keeps, to learn its pace from. */
const ANSWERS_KEPT = 64
/** What each answer takes off the learned interval between calls. */
const SPEED_UP = 0.97

/** No pause asked for is longer: a provider asking for more is asked again after this. */
export const MAX_PAUSE_MS = 60_000

const FIELDS = ['requestsPerMinute', 'tokensPerMinute', 'maxConcurrent'] as const
const SCOPE = /^(?:[a-z][a-z0-9-]*|[a-z][a-z0-9-]*:\S+|https?:\/\/\S+)$/

const scopes = new Map<string, Scope>()
const endpoints = new Map<string, EndpointState>()

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

/** A pause another process was told of, until an epoch time: it holds the calls of this one too. */
export function pausedElsewhere(
  endpointKey: string,
  untilEpochMs: number,
  reason: 'retry-after' | 'provider-limit',
): void {
  const state = endpointState(endpointKey, systemClock)
  const until = state.clock.now() + Math.min(untilEpochMs - Date.now(), MAX_PAUSE_MS)
  if (state.pauseClock !== state.clock || until > state.pausedUntil) {
    state.pausedUntil = until
    state.pauseClock = state.clock
    state.reason = reason
  }
}

/**
 * Sets the limits of some scopes for every model call of the process (`null` removes one). A
 * scope is a provider (`openai`, `anthropic`, `compatible`), a model (`openai:gpt-4o`) or a
 * server's base URL (`http://localhost:11434/v1`); every limit whose scope matches a call applies.
 *
 * @example
 * setRateLimits({ openai: { requestsPerMinute: 500, tokensPerMinute: 200_000 }, 'http://localhost:11434/v1': { maxConcurrent: 1 } })
 */
export function setRateLimits(spec: Readonly<Record<string, RateLimit | null>>): void {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw invalid('setRateLimits: expected an object of scopes and their limits')
  const made = new Map<string, Scope | null>()
  for (const [name, limit] of Object.entries(spec))
    made.set(normalScope(name), limit === null ? null : scopeOf(name, limit))
  for (const [name, scope] of made) {
    if (scope) scopes.set(name, scope)
    else scopes.delete(name)
  }
}

/** Forgets every limit and every pause (for tests). */
export function resetRateLimits(): void {
  scopes.clear()
  endpoints.clear()
}

/** The limits set for a scope, as given. */
export function rateLimitOf(scope: string): RateLimit | undefined {
  return scopes.get(normalScope(scope))?.limit
}

function scopeOf(name: string, limit: RateLimit): Scope {
  const where = `setRateLimits: scope ${JSON.stringify(name)}`
  if (!SCOPE.test(normalScope(name)))
    throw invalid(
      `${where}: expected a provider (openai), a model (openai:gpt-4o) or a base URL (http://host:port/v1)`,
    )
  if (typeof limit !== 'object' || limit === null || Array.isArray(limit))
    throw invalid(`${where}: expected { requestsPerMinute?, tokensPerMinute?, maxConcurrent? } or null`)
  for (const key of Object.keys(limit))
    if (!(FIELDS as readonly string[]).includes(key))
      throw invalid(`${where}: unknown field ${JSON.stringify(key)}; expected one of ${FIELDS.join(', ')}`)
  for (const field of FIELDS) {
    const value = limit[field]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw invalid(
        `${where}: ${field} must be a positive number, got ${JSON.stringify(value) ?? String(value)}`,
      )
    if (field === 'maxConcurrent' && !Number.isInteger(value))
      throw invalid(`${where}: maxConcurrent must be a whole number, got ${value}`)
  }
  const { requestsPerMinute: rpm, tokensPerMinute: tpm, maxConcurrent } = limit
  return {
    name: normalScope(name),
    limit: { ...limit },
    // Real APIs enforce a minute's rate over short windows: a second's worth may go at once.
    requests: rpm === undefined ? undefined : new Bucket(rpm / 60_000, Math.max(1, rpm / 60)),
    tokens: tpm === undefined ? undefined : new Bucket(tpm / 60_000, Math.max(1, tpm / 60)),
    slots: maxConcurrent === undefined ? undefined : new Slots(maxConcurrent),
  }
}

/** Base URLs name the same server with or without a trailing slash. */
const normalScope = (name: string): string => (/^https?:\/\//.test(name) ? name.replace(/\/+$/, '') : name)

function invalid(message: string): BatonError {
  return new BatonError('INVALID_OPTIONS', message)
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
  let applying: Scope[] | undefined
  for (const name of endpoint.scopes) {
    const scope = scopes.get(name)
    if (!scope) continue
    applying ??= []
    applying.push(scope)
  }
  const state = endpointState(endpoint.key, clock)
  state.clock = clock
  if (state.learned && clock.now() - state.learned.refusedAt > LEARNED_FOR_MS) state.learned = undefined
  if (!applying && !state.learned && pauseLeft(state, clock) <= 0) return undefined
  return turn(endpoint, state, applying ?? [], tokens, options, clock)
}

function endpointState(key: string, clock: ModelClock): EndpointState {
  let state = endpoints.get(key)
  if (!state) {
    state = {
      clock,
      pausedUntil: 0,
      pauseClock: undefined,
      reason: 'retry-after',
      answered: [],
      learned: undefined,
    }
    endpoints.set(key, state)
  }
  return state
}

/** What is left of a pause, on `clock` (a pause counted on another clock, another run's fake one, holds nothing). */
function pauseLeft(state: EndpointState, clock: ModelClock): number {
  return state.pauseClock === clock ? Math.ceil(state.pausedUntil - clock.now()) : 0
}

/** What a response of `endpoint` says about the next calls: a pause its provider asks for. */
export function observe(endpointKey: string, status: number, get: (name: string) => string | null): void {
  const state = endpointState(endpointKey, systemClock)
  const asked = askedPause(status, get, Date.now())
  if (status === 429) refused(state, asked?.reason === 'retry-after' ? asked.ms : undefined)
  else if (status < 300) {
    const now = state.clock.now()
    state.answered.push(now)
    if (state.answered.length > ANSWERS_KEPT) state.answered.shift()
    // A little faster with each answer.
    if (state.learned) state.learned.interval *= SPEED_UP
  }
  if (!asked) return
  const ms = Math.min(asked.ms, MAX_PAUSE_MS)
  const until = state.clock.now() + ms
  if (state.pauseClock !== state.clock || until > state.pausedUntil) {
    state.pausedUntil = until
    state.pauseClock = state.clock
    state.reason = asked.reason
  }
  shared?.pause(endpointKey, Date.now() + ms, asked.reason)
}

/**
 * The endpoint refused a call: from now on one call per `retryAfterMs` (the provider says when
 * it takes the next one), or as many a second as it answered in the last one, whichever is
 * faster. A refusal after the pace was set halves it; refusals of calls that were sent together
 * count once.
 */
function refused(state: EndpointState, retryAfterMs: number | undefined): void {
  const now = state.clock.now()
  const recent = state.answered.filter((at) => at > now - 1_000 && at <= now).length
  const guesses = [
    recent > 0 ? 1_000 / recent : undefined,
    retryAfterMs && retryAfterMs > 0 ? retryAfterMs : undefined,
  ]
  const known = guesses.filter((ms): ms is number => ms !== undefined)
  const pace = known.length ? Math.min(...known) : 1_000
  const learned = state.learned
  if (!learned) {
    state.learned = { interval: Math.min(pace, MAX_PAUSE_MS), nextAt: now, refusedAt: now }
    return
  }
  // Sent before the pace was set (or in the same turn): the same refusal.
  if (now - learned.refusedAt >= learned.interval)
    learned.interval = Math.min(MAX_PAUSE_MS, Math.max(learned.interval * 2, pace))
  learned.refusedAt = now
}

/** Waits for the call's turn at the pace the endpoint was learned to take. */
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
  learned.nextAt = at + learned.interval
  const ms = Math.ceil(at - now)
  if (ms <= 0) return
  queued({ scope: endpoint.name ?? endpoint.label, reason: 'provider-limit', waitMs: ms })
  await sleep(ms, options.signal, clock)
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
  const store = shared
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
      queued({ ...longest, waitMs: ms })
      await sleep(ms, options.signal, clock).catch((error: unknown) => {
        refund()
        throw error
      })
    }
    // A provider may have asked for a pause while this call waited its turn.
    await paused(endpoint, options, clock, queued)
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
    const state = endpoints.get(endpoint.key)
    const ms = state ? pauseLeft(state, clock) : 0
    if (!state || ms <= 0) return
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
