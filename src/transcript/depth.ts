/** How deep a transcript line may nest objects and arrays; deeper is damage, not data. */
export const MAX_DEPTH = 1000

/**
 * True when `value` nests objects and arrays more than `limit` levels deep (`value` itself is
 * level 1), as JSON.stringify would see it. Iterative: it must not overflow the stack on the very
 * values it is there to refuse. `value` must have no cycles.
 */
export function deeperThan(value: unknown, limit: number): boolean {
  const values: unknown[] = [value]
  const levels: number[] = [1]
  while (values.length > 0) {
    let v = values.pop()
    const level = levels.pop()!
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function')
      v = (v as { toJSON: () => unknown }).toJSON()
    if (typeof v !== 'object' || v === null) continue
    if (level > limit) return true
    for (const item of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof item !== 'object' || item === null) continue
      values.push(item)
      levels.push(level + 1)
    }
  }
  return false
}
