/**
 * Definitions refuse keys they do not know: a misspelt option, or one a user brings from another
 * agent framework, would otherwise be dropped without a word. The message points to Baton's name.
 */

/** What other frameworks call an option of Baton's, or a common misspelling: key → Baton's option. */
export type KeyHints = Readonly<Record<string, string>>

/**
 * The first of `keys` that is not in `known`, with what is wrong with it: `is not a known <what>
 * option (did you mean <x>?) (known: …)`, listing `listed` (default: `known`). Undefined when
 * every key is known.
 */
export function unknownKey(
  keys: readonly string[],
  known: ReadonlySet<string>,
  what: string,
  hints: KeyHints = {},
  listed: Iterable<string> = known,
): { key: string; problem: string } | undefined {
  const key = keys.find((k) => !known.has(k))
  if (key === undefined) return undefined
  const hint = Object.hasOwn(hints, key) ? hints[key] : sameLetters(key, known)
  return {
    key,
    problem: `is not a known ${what} option${hint ? ` (did you mean ${hint}?)` : ''} (known: ${[...listed].join(', ')})`,
  }
}

/** A known key spelt the same but for case, `_` and `-` (`max_result_chars` → maxResultChars). */
function sameLetters(key: string, known: ReadonlySet<string>): string | undefined {
  const plain = (s: string) => s.toLowerCase().replace(/[-_]/g, '')
  return [...known].find((k) => plain(k) === plain(key))
}
