/** JSON with object keys sorted, so equal arguments give equal strings whatever their key order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined'
  if (isFlatAndSorted(value)) return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`
  const keys = Object.keys(value).sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    out += `${i ? ',' : ''}${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`
  }
  return `${out}}`
}

// The usual arguments: one level of primitives with keys in order. Nothing to sort.
function isFlatAndSorted(value: object): boolean {
  if (Array.isArray(value)) return false
  let previous = ''
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key]
    if ((typeof item === 'object' && item !== null) || key < previous) return false
    previous = key
  }
  return true
}
