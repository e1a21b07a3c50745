import { resolve } from 'node:path'
import { type BudgetLimits, checkBudgetLimits, pricesProblem } from '../budget/index.js'
import { BatonError } from '../errors/index.js'
import type { Recording } from './recording.js'

/**
 * Checks what a replay, resume or fork is given beyond the transcript's lines, before anything
 * runs: the header's budget and prices (a hand-edited header must be reported as the
 * transcript's fault, not as a bad run option), the `budget` option, a fork's `from` against the
 * steps on record, and a `record` that would write over the transcript being replayed.
 */
export function checkGiven(
  recording: Recording,
  mode: 'replay' | 'resume' | 'fork',
  options: { budget?: BudgetLimits; from?: number; record?: string },
): void {
  const { header, path } = recording.transcript
  const bad = (what: string) =>
    new BatonError('TRANSCRIPT', `${path}:1: the header's ${what}`, { details: { path, line: 1 } })
  try {
    checkBudgetLimits(header.budget, 'budget')
  } catch (error) {
    throw bad((error as Error).message)
  }
  if (header.prices !== undefined) {
    const problem = pricesProblem(header.prices)
    if (problem) throw bad(`${problem.field} ${problem.problem}`)
  }
  checkBudgetLimits(options.budget, `${mode}: options.budget`, 'INVALID_OPTIONS')
  if (mode !== 'resume' && options.record !== undefined && resolve(options.record) === resolve(path)) {
    throw new BatonError(
      'INVALID_OPTIONS',
      `${mode}: options.record names the transcript being read (${path}); the ${mode}'s own transcript would write over it: record to another file`,
    )
  }
  if (mode === 'fork' && options.from !== undefined) {
    const last = lastRootStep(recording)
    if (options.from > last + 1 || (options.from > last && endedDone(recording))) {
      throw new BatonError(
        'INVALID_OPTIONS',
        `fork: from ${options.from} is past the recording, whose last root step is ${last} (${path}): fork from 1 to ${last}${endedDone(recording) ? '' : `, or ${last + 1} to go on live from where it stopped (as resume does)`}`,
        { details: { from: options.from, lastStep: last } },
      )
    }
  }
}

/** The highest root step number any recorded event belongs to (0 when none does). */
function lastRootStep(recording: Recording): number {
  let last = 0
  for (const event of recording.transcript.events) {
    const step = /^root\/(\d+)\//.exec(event.path)?.[1]
    if (step !== undefined) last = Math.max(last, Number(step))
  }
  return last
}

function endedDone(recording: Recording): boolean {
  const end = recording.transcript.events.at(-1)
  return end?.type === 'run.end' && end.status === 'done'
}
