/**
 * JSON.stringify that never throws: a value a tool or memory write produced must not change
 * how a run ends just because it is being recorded. BigInts become strings, cycles and
 * functions become markers.
 */
export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch {
    const seen = new WeakSet<object>()
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString()
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]'
        seen.add(v)
      }
      return v
    })
  }
}
