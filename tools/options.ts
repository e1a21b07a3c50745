import { constants } from 'node:buffer'
import { BatonError } from 'baton'

/**
 * A ready-made tool's options, checked before anything else: an object with only the fields
 * the tool knows (a misspelt `allowHosts` must not be a silent no-op).
 */
export function knownOptions<T extends object>(tool: string, given: unknown, known: readonly (keyof T)[]): T {
  const fail = (message: string) => new BatonError('INVALID_DEFINITION', `${tool}: ${message}`)
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw fail(
      `options must be an object, got ${given === null ? 'null' : Array.isArray(given) ? 'an array' : typeof given}`,
    )
  for (const key of Object.keys(given))
    if (!(known as readonly string[]).includes(key))
      throw fail(`unknown option ${JSON.stringify(key)} (known: ${known.join(', ')})`)
  return given as T
}

/** `value` when it is a boolean or absent; else an error naming the option. */
export function checkBoolean(tool: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    throw new BatonError(
      'INVALID_DEFINITION',
      `${tool}: ${name} must be true or false, got ${JSON.stringify(value) ?? typeof value}`,
    )
}

/**
 * A whole number of at least 1 and at most `max`, or `fallback` when absent; else an error naming
 * the option. A fraction is refused too: a timer given one throws when the call is made, and
 * a byte limit given one counts half bytes.
 */
export function checkCount(
  tool: string,
  name: string,
  value: unknown,
  fallback: number,
  max: { limit: number; why: string },
): number {
  const fail = (message: string) => new BatonError('INVALID_DEFINITION', `${tool}: ${name} ${message}`)
  const given = value ?? fallback
  if (typeof given !== 'number' || !Number.isFinite(given) || given <= 0)
    throw fail(`must be a positive number, got ${typeof given === 'number' ? given : JSON.stringify(given)}`)
  if (!Number.isInteger(given)) throw fail(`must be a whole number, got ${given}`)
  if (given > max.limit) throw fail(`must be at most ${max.limit}${max.why}, got ${given}`)
  return given
}

/** The most bytes a limit may allow: what is read becomes one string. */
export const MAX_BYTES = { limit: constants.MAX_STRING_LENGTH, why: ' (the longest string)' }
/** The most milliseconds a timer holds (Node fires a longer one after 1 ms). */
export const MAX_MS = { limit: 2 ** 31 - 1, why: '' }
