import { editDistance } from '../schema/known-keys.js'

/** `; did you mean --model?` for a word close to one of `known` (a typo, a prefix), else undefined. */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  const bare = (w: string) => w.replace(/^-+/, '').toLowerCase()
  const typed = bare(word)
  if (typed === '') return undefined
  const prefixed = known.filter((k) => typed.length >= 3 && bare(k).startsWith(typed))
  if (prefixed.length === 1) return `; did you mean ${prefixed[0]}?`
  let best: string | undefined
  let bestDistance = Math.min(2, Math.floor(typed.length / 3))
  for (const candidate of known) {
    const distance = editDistance(typed, bare(candidate))
    if (distance <= bestDistance && (best === undefined || distance < editDistance(typed, bare(best)))) {
      best = candidate
      bestDistance = distance
    }
  }
  return best === undefined ? undefined : `; did you mean ${best}?`
}
