import type { ModelEffect } from '../effects/index.js'
import type { ModelRequestEvent } from '../events/index.js'
import { redactor } from '../transcript/redact.js'
import { transcriptJson } from '../transcript/transcript-json.js'
import type { Recording } from './recording.js'
import { agentPathOf } from './recording.js'

const MAX_LINES = 24

/**
 * Says how a request differs from the recorded one: the tools or output schema, or the first
 * new message that is not the same, as a line diff (`-` recorded, `+` now).
 */
export function describeDivergence(
  recording: Recording,
  recorded: ModelRequestEvent,
  effect: ModelEffect,
): string {
  const lines: string[] = []
  if (recorded.specHash !== effect.specHash) lines.push(...specChanges(recording, effect))
  const before = recorded.messages
  // The recording holds messages redacted (at depth 3 of their line): compare like with like.
  const redact = redactor()
  const now = effect.fresh.map((message) => JSON.parse(transcriptJson(message, redact, 3)) as unknown)
  const at = firstDifference(
    before.length,
    now.length,
    (i) => JSON.stringify(before[i]) === JSON.stringify(now[i]),
  )
  if (at !== undefined) {
    const message = before[at] ?? (now[at] as { role?: string } | undefined)
    lines.push(`new message ${at + 1} (${message?.role ?? '?'}) differs:`)
    lines.push(...lineDiff(pretty(before[at]), pretty(now[at])))
    if (before.length !== now.length)
      lines.push(`(the recording has ${before.length} new message(s) here, the replay ${now.length})`)
  }
  if (lines.length === 0) lines.push('the history before this step differs from the recording')
  return `${effect.key}: the request differs from the recording: ${lines.join('\n')}`
}

function specChanges(recording: Recording, effect: ModelEffect): string[] {
  const tree = recording.agentAt(agentPathOf(effect.key))
  const recorded = new Map((tree?.tools ?? []).map((tool) => [tool.name, tool]))
  const current = effect.request.tools.filter((tool) => !tool.name.startsWith('delegate_'))
  const out: string[] = []
  for (const tool of current) {
    const before = recorded.get(tool.name)
    if (!before) out.push(`tool "${tool.name}" is new`)
    else if (before.description !== tool.description)
      out.push(`tool "${tool.name}": description changed`, ...lineDiff(before.description, tool.description))
    else if (JSON.stringify(before.parameters) !== JSON.stringify(tool.parameters)) {
      out.push(
        `tool "${tool.name}": input schema changed`,
        ...lineDiff(pretty(before.parameters), pretty(tool.parameters)),
      )
    }
    recorded.delete(tool.name)
  }
  for (const name of recorded.keys()) out.push(`tool "${name}" was removed`)
  const output = effect.request.output?.schema
  if (JSON.stringify(tree?.output) !== JSON.stringify(output))
    out.push('the output schema changed', ...lineDiff(pretty(tree?.output), pretty(output)))
  return out.length ? out : ['the tools or the output schema changed']
}

function firstDifference(a: number, b: number, same: (i: number) => boolean): number | undefined {
  for (let i = 0; i < Math.max(a, b); i++) if (!same(i)) return i
  return undefined
}

function pretty(value: unknown): string {
  return value === undefined ? '(nothing)' : JSON.stringify(value, null, 2)
}

/** A small line diff (longest common subsequence), `-` for the recording and `+` for now. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n')
  const b = after.split('\n')
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i]}`)
      i++
      j++
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! > lcs[i + 1]![j]!)) out.push(`+ ${b[j++]}`)
    else out.push(`- ${a[i++]}`)
  }
  // Show the changed lines with a little context, not the whole message.
  const changed = out.map((line, k) => (line.startsWith('  ') ? -1 : k)).filter((k) => k >= 0)
  const keep = new Set(changed.flatMap((k) => [k - 1, k, k + 1]))
  const shown = out.filter((_, k) => keep.has(k))
  return shown.length > MAX_LINES
    ? [...shown.slice(0, MAX_LINES), `  … (${shown.length - MAX_LINES} more lines)`]
    : shown
}
