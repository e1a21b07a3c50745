/** JSON with object keys sorted, so equal arguments give equal strings whatever their key order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined'
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`
  const keys = Object.keys(value).sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    out += `${i ? ',' : ''}${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`
  }
  return `${out}}`
}
