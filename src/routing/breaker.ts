/**
 * The process's memory of models that keep failing: after `failures` failures in a row a model
 * is skipped by every chain of the process for `coolDownMs`; then one call tries it again (the
 * others still skip it), and its success closes the circuit, its failure opens it once more.
 *
 * Times are read on the run's clock, and a time is only ever compared with times of the same
 * clock: the circuits are kept per clock, as the shared rate limits keep a provider's pause on
 * the clock it was counted on (`src/limits/pace.ts`). Every run on the system clock shares one
 * memory; a run on another clock (a `fakeClock` in tests) has its own, and neither is kept
 * open, or let through, by times of the other (epoch ms of today against a fake clock's 0 would
 * be a cool-down that never ends, or one that is always over).
 */
import type { ModelClock } from '../model/types.js'

export interface BreakerOptions {
  /** Failures in a row that open the circuit. Default 3. */
  failures?: number
  /** How long an open circuit skips the model. Default 30 s. */
  coolDownMs?: number
}

export const DEFAULT_BREAKER: Required<BreakerOptions> = { failures: 3, coolDownMs: 30_000 }

interface Circuit {
  failures: number
  /** When the last failure was (on the circuit's clock). */
  failedAt: number
  /** When a trial call after the cool-down started, while it is under way. */
  trialAt?: number
}

/** The circuits of each clock, by model id; a clock no run holds any more takes its circuits with it. */
let circuitsByClock = new WeakMap<ModelClock, Map<string, Circuit>>()

function circuitsOf(clock: ModelClock): Map<string, Circuit> {
  let circuits = circuitsByClock.get(clock)
  if (!circuits) {
    circuits = new Map()
    circuitsByClock.set(clock, circuits)
  }
  return circuits
}

/**
 * The circuit of `model` on `clock`, its times no later than `now`: a clock set back (the system
 * clock corrected, say) counts what was left of a cool-down from `now`, so a circuit stays open
 * at most one cool-down, never until the clock catches up with a time it has left behind.
 */
function circuitAt(model: string, clock: ModelClock, now: number): Circuit | undefined {
  const circuit = circuitsByClock.get(clock)?.get(model)
  if (circuit) {
    circuit.failedAt = Math.min(circuit.failedAt, now)
    if (circuit.trialAt !== undefined) circuit.trialAt = Math.min(circuit.trialAt, now)
  }
  return circuit
}

/** Whether calls to `model` are to be skipped now; when not, and it was open, this call is its trial. */
export function skips(model: string, clock: ModelClock, options: Required<BreakerOptions>): boolean {
  const now = clock.now()
  const circuit = circuitAt(model, clock, now)
  if (!circuit || circuit.failures < options.failures) return false
  if (now < circuit.failedAt + options.coolDownMs) return true
  // Cooled down: one call tries it; a trial that never reported back frees the slot after a cool-down.
  if (circuit.trialAt !== undefined && now < circuit.trialAt + options.coolDownMs) return true
  circuit.trialAt = now
  return false
}

/** When an open circuit lets calls through again (on `clock`), or undefined when it is closed. */
export function openUntil(
  model: string,
  clock: ModelClock,
  options: Required<BreakerOptions>,
): number | undefined {
  const circuit = circuitAt(model, clock, clock.now())
  return circuit && circuit.failures >= options.failures ? circuit.failedAt + options.coolDownMs : undefined
}

export function succeeded(model: string, clock: ModelClock): void {
  circuitsByClock.get(clock)?.delete(model)
}

export function failed(model: string, clock: ModelClock): void {
  const now = clock.now()
  const circuit = circuitAt(model, clock, now)
  if (circuit) {
    circuit.failures++
    circuit.failedAt = now
    circuit.trialAt = undefined
  } else circuitsOf(clock).set(model, { failures: 1, failedAt: now })
}

/** Forgets every circuit (for tests, and for a process that knows its providers are back). */
export function resetCircuits(): void {
  circuitsByClock = new WeakMap()
}
