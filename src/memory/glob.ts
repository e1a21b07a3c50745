/**
 * Key globs for memory scopes and file searches, segment by segment (`/` separates segments):
 * `*` matches within one segment, and a `**` segment matches any number of segments, none
 * included. `notes/*` matches `notes/a` but not `notes/a/b`; `notes/**` matches both; `a/**` + `/z`
 * matches `a/z` and `a/b/c/z`. Every other character stands for itself.
 *
 * Globs may come from a model, so matching never backtracks: no regular expression is built.
 * A key is matched in O(glob segments × key segments) segment tests, each a prefix, a suffix and
 * one left-to-right `indexOf` per literal between stars.
 */
import { BatonError } from '../errors/index.js'

export function compileGlob(glob: string): (key: string) => boolean {
  if (typeof glob !== 'string')
    throw new BatonError(
      'INVALID_OPTIONS',
      `compileGlob: expected a glob such as "notes/*", got ${glob === null ? 'null' : typeof glob}`,
    )
  if (glob === '**') return () => true
  const segments = glob.split('/').map(compileSegment)
  return (key) => matchSegments(segments, key.split('/'))
}

/** One matcher for a list of globs; an empty list matches nothing. */
export function compileGlobs(globs: readonly string[]): (key: string) => boolean {
  const matchers = globs.map(compileGlob)
  return (key) => matchers.some((match) => match(key))
}

/** `**`, or the literal parts of a segment between its stars (one part: no star). */
type Segment = '**' | string[]

function compileSegment(segment: string): Segment {
  return segment === '**' ? '**' : segment.split(/\*+/)
}

/**
 * Which key segments each glob segment can reach, as a set of positions carried forward: a plain
 * segment moves each position on by one when it matches there, a `**` between segments reaches
 * every later position, and a final `**` needs at least one segment left (it stands for `/…`).
 */
function matchSegments(glob: readonly Segment[], key: readonly string[]): boolean {
  let at = new Uint8Array(key.length + 1)
  at[0] = 1
  for (let g = 0; g < glob.length; g++) {
    const segment = glob[g]!
    const next = new Uint8Array(key.length + 1)
    let any = false
    if (segment === '**') {
      const first = at.indexOf(1)
      if (first === -1) return false
      if (g === glob.length - 1) return first < key.length
      next.fill(1, first)
      any = true
    } else {
      for (let k = 0; k < key.length; k++) {
        if (at[k] && matchSegment(segment, key[k]!)) {
          next[k + 1] = 1
          any = true
        }
      }
    }
    if (!any) return false
    at = next
  }
  return at[key.length] === 1
}

/** A segment's literal parts against one key segment: first is a prefix, last a suffix. */
function matchSegment(parts: readonly string[], text: string): boolean {
  if (parts.length === 1) return parts[0] === text
  const head = parts[0]!
  const tail = parts[parts.length - 1]!
  if (text.length < head.length + tail.length) return false
  if (!text.startsWith(head) || !text.endsWith(tail)) return false
  const end = text.length - tail.length
  let from = head.length
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!
    // The leftmost place each literal fits leaves the most room for the ones after it.
    const found = text.indexOf(part, from)
    if (found === -1 || found + part.length > end) return false
    from = found + part.length
  }
  return true
}
