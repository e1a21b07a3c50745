import { deeperThan, MAX_DEPTH } from '../transcript/depth.js'

/**
 * How deep a tool call's arguments may nest: the transcript's limit for a whole line, less the
 * levels of the line around them (the event, its message, its list of calls, the call).
 */
export const ARGS_MAX_DEPTH = MAX_DEPTH - 10

const TOO_DEEP = '[too deep]'

/**
 * A model's tool call arguments as the run uses them: as given, or, when they nest deeper than
 * `ARGS_MAX_DEPTH`, a copy with what lies deeper written `"[too deep]"`, as the transcript writes
 * it. JSON parses such values, but writing them back (to the provider, a transcript, a trace)
 * overflows the stack; cut here, the run, its transcript and its replay all see the same value.
 */
export function fitArgs(args: unknown): unknown {
  if (typeof args !== 'object' || args === null || flat(args) || !deeperThan(args, ARGS_MAX_DEPTH))
    return args
  return cut(args, 1)
}

/** Arguments of plain values only (the usual ones): nothing to walk. */
function flat(args: object): boolean {
  for (const key in args) {
    const item = (args as Record<string, unknown>)[key]
    if (typeof item === 'object' && item !== null) return false
  }
  return true
}

function cut(value: unknown, level: number): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (level > ARGS_MAX_DEPTH) return TOO_DEEP
  if (Array.isArray(value)) return value.map((item) => cut(item, level + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = cut(item, level + 1)
  return out
}
