import { MAX_DEPTH } from '../transcript/depth.js'

/**
 * JSON with object keys sorted, so equal arguments give equal strings whatever their key order.
 * What nests deeper than a transcript line may is written `"[too deep]"`, as the transcript
 * writes it: a model's arguments nested thousands deep must not overflow the stack.
 */
export function stableStringify(value: unknown, depth = 1): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined'
  if (depth > MAX_DEPTH) return TOO_DEEP
  if (isFlatAndSorted(value)) return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((item) => stableStringify(item, depth + 1)).join(',')}]`
  const keys = Object.keys(value).sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    out += `${i ? ',' : ''}${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key], depth + 1)}`
  }
  return `${out}}`
}

const TOO_DEEP = '"[too deep]"'

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
