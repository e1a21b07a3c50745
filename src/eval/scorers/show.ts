/** Short, quoted forms of values for scorer reasons: what was expected and what came. */

const MAX = 160

/** A value as compact JSON, cut to a readable length. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > MAX ? `${text.slice(0, MAX)}…` : text
}

/** A piece of answer text, quoted, cut to a readable length. */
export function excerpt(text: string): string {
  const flat = text.trim().replace(/\s+/g, ' ')
  return JSON.stringify(flat.length > MAX ? `${flat.slice(0, MAX)}…` : flat)
}

/** Parses text as JSON, accepting a fenced ```json block. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const trimmed = text.trim()
  const body = /^```(?:json|JSON)?\s*\n([\s\S]*?)\n?```$/.exec(trimmed)?.[1] ?? trimmed
  try {
    return { ok: true, value: JSON.parse(body) }
  } catch {
    return { ok: false }
  }
}
