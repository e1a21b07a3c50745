import { emptyUsage } from '../budget/index.js'
import type { RunResult } from '../run/types.js'

/** What a run of a worker declared dead returns: nothing, ever (its workflow is another worker's now). */
export const never = (): Promise<never> => new Promise(() => {})

export function failed(code: 'UNKNOWN_AGENT' | 'AGENT_CHANGED' | 'INTERNAL', message: string): RunResult {
  return {
    status: 'error',
    stopReason: code,
    output: undefined,
    usage: { ...emptyUsage(), wallMs: 0 },
    memory: [],
    trajectory: [],
    runId: '',
    error: { code, message },
  }
}

/** A run cancelled while it waited on the queue: before it started, or (`paused`) before it went on after a pause. */
export function cancelled(runId: string, paused = false): RunResult {
  return {
    status: 'aborted',
    stopReason: 'signal',
    output: undefined,
    usage: { ...emptyUsage(), wallMs: 0 },
    memory: [],
    trajectory: [],
    runId,
    error: {
      code: 'ABORTED',
      message: `run ${runId} was cancelled ${paused ? 'while queued to go on after its approvals' : 'before it started'}`,
    },
  }
}

/** A run that waited for approval, cancelled: it ends `aborted`, with what it had done. */
export function cancelledWaiting(paused: RunResult): RunResult {
  const { pending: _, ...result } = paused
  return {
    ...result,
    status: 'aborted',
    stopReason: 'signal',
    error: { code: 'ABORTED', message: `run ${paused.runId} was cancelled while it waited for approval` },
  }
}

/** What a round of a run returns when a later round has replaced it (it does nothing). */
export function superseded(runId: string, round: number, current: number): RunResult {
  return failed('INTERNAL', `round ${round} of run ${runId} was replaced by round ${current}`)
}
