/**
 * The command that goes on with a run that ran out of budget or crashed, printed at the end of
 * its output: `baton run <module>[#export] --resume <transcript> [--max-… <more>]`.
 */
import type { RunResult } from '../run/index.js'
import { shortPath } from './print-events.js'

/** The agent module a run came from. */
export interface ResumeTarget {
  module: string
  exportName?: string | undefined
}

const LIMIT_FLAGS: Record<string, string> = {
  maxSteps: '--max-steps',
  maxTokens: '--max-tokens',
  maxCostUsd: '--max-cost-usd',
  maxWallMs: '--max-wall-ms',
  maxToolCalls: '--max-tool-calls',
  maxDepth: '--max-depth',
}

// Errors that resuming the same agent would only meet again: its requests left the recording.
const NOT_RESUMABLE = new Set(['REPLAY_DIVERGENCE', 'REPLAY_MISSING', 'TRANSCRIPT'])

/** The resume command for a run that can go on, or undefined (done, aborted, no transcript…). */
export function resumeCommand(result: RunResult, target: ResumeTarget): string | undefined {
  if (!result.transcript) return undefined
  const budget = result.status === 'budget_exceeded'
  if (!budget && (result.status !== 'error' || NOT_RESUMABLE.has(result.stopReason))) return undefined
  const words = [
    'baton',
    'run',
    `${target.module}${target.exportName ? `#${target.exportName}` : ''}`,
    '--resume',
    shortPath(result.transcript),
  ]
  const flag = LIMIT_FLAGS[result.stopReason]
  const max = (result.error?.details as { max?: unknown } | undefined)?.max
  if (budget && flag && typeof max === 'number') words.push(flag, String(raised(result.stopReason, max)))
  return words.map(shellWord).join(' ')
}

/** A limit with room to go on: one more level of depth, else twice as much (at least one more). */
function raised(limit: string, max: number): number {
  if (limit === 'maxDepth') return max + 1
  if (limit === 'maxCostUsd') return max > 0 ? Number((max * 2).toPrecision(6)) : 0.01
  return Math.max(max * 2, max + 1)
}

/** A word as a POSIX shell reads it back: quoted when it holds anything but safe characters. */
export function shellWord(word: string): string {
  if (/^[\w@%+=:,./-][\w@%+=:,./#-]*$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** `1 model call`, `2 model calls`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
