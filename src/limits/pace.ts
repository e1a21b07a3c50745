/**
 * What the limits know of each endpoint (a provider's server and key): the pause its provider
 * asked for, the answers it gave lately, and the pace it was learned to take after refusing calls.
 */
import { systemClock } from '../effects/clock.js'
import type { ModelClock } from '../model/types.js'
import { askedPause } from './headers.js'
import { sharedLimits } from './shared.js'

export interface EndpointState {
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
export const LEARNED_FOR_MS = 60_000
/** How many answer times an endpoint keeps, to learn its pace from. */
const ANSWERS_KEPT = 64
/** What each answer takes off the learned interval between calls. */
const SPEED_UP = 0.97

/** No pause asked for is longer: a provider asking for more is asked again after this. */
export const MAX_PAUSE_MS = 60_000

const endpoints = new Map<string, EndpointState>()

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

export function endpointState(key: string, clock: ModelClock): EndpointState {
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
export function pauseLeft(state: EndpointState, clock: ModelClock): number {
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
  sharedLimits()?.pause(endpointKey, Date.now() + ms, asked.reason)
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

/** Forgets every endpoint's pauses and pace. */
export function clearEndpoints(): void {
  endpoints.clear()
}
