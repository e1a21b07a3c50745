/**
 * The process's memory of models that keep failing: after `failures` failures in a row a model
 * is skipped by every chain of the process for `coolDownMs`; then one call tries it again (the
 * others still skip it), and its success closes the circuit, its failure opens it once more.
 */

export interface BreakerOptions {
  /** Failures in a row that open the circuit. Default 3. */
  failures?: number
  /** How long an open circuit skips the model. Default 30 s. */
  coolDownMs?: number
}

export const DEFAULT_BREAKER: Required<BreakerOptions> = { failures: 3, coolDownMs: 30_000 }

interface Circuit {
  failures: number
  /** When the last failure was (epoch ms). */
  failedAt: number
  /** When a trial call after the cool-down started, while it is under way. */
  trialAt?: number
}

const circuits = new Map<string, Circuit>()

/** Whether calls to `model` are to be skipped now; when not, and it was open, this call is its trial. */
export function skips(model: string, now: number, options: Required<BreakerOptions>): boolean {
  const circuit = circuits.get(model)
  if (!circuit || circuit.failures < options.failures) return false
  if (now < circuit.failedAt + options.coolDownMs) return true
  // Cooled down: one call tries it; a trial that never reported back frees the slot after a cool-down.
  if (circuit.trialAt !== undefined && now < circuit.trialAt + options.coolDownMs) return true
  circuit.trialAt = now
  return false
}

/** When an open circuit lets calls through again (epoch ms), or undefined when it is closed. */
export function openUntil(model: string, options: Required<BreakerOptions>): number | undefined {
  const circuit = circuits.get(model)
  return circuit && circuit.failures >= options.failures ? circuit.failedAt + options.coolDownMs : undefined
}

export function succeeded(model: string): void {
  circuits.delete(model)
}

export function failed(model: string, now: number): void {
  const circuit = circuits.get(model)
  if (circuit) {
    circuit.failures++
    circuit.failedAt = now
    circuit.trialAt = undefined
  } else circuits.set(model, { failures: 1, failedAt: now })
}

/** Forgets every circuit (for tests, and for a process that knows its providers are back). */
export function resetCircuits(): void {
  circuits.clear()
}
