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
