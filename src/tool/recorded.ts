import type { ToolOutcome } from './types.js'

const RECORDED = Symbol.for('baton.recordedOutcome')

/** A tool outcome taken from a transcript: the loop uses it as it is, without running the tool. */
export interface RecordedOutcome {
  readonly [RECORDED]: true
  readonly outcome: ToolOutcome
}

export function recordedOutcome(outcome: ToolOutcome): RecordedOutcome {
  return { [RECORDED]: true, outcome }
}

export function isRecorded(value: unknown): value is RecordedOutcome {
  return typeof value === 'object' && value !== null && (value as { [RECORDED]?: unknown })[RECORDED] === true
}
