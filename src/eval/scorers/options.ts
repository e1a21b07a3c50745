import { BatonError } from '../../errors/index.js'
import { describe } from '../../schema/index.js'
import { type KeyHints, unknownKey } from '../../schema/known-keys.js'

/** Throws when a shipped scorer's options are not an object, or have a key it does not know. */
export function checkScorerOptions(
  scorer: string,
  options: unknown,
  known: ReadonlySet<string>,
  hints: KeyHints = {},
): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new BatonError(
      'INVALID_DEFINITION',
      `${scorer}: options must be an object, got ${describe(options)}`,
    )
  const unknown = unknownKey(Object.keys(options), known, `${scorer} option`, hints)
  if (unknown)
    throw new BatonError('INVALID_DEFINITION', `${scorer}: ${unknown.key} ${unknown.problem}`, {
      details: { field: unknown.key },
    })
}
