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

export function cancelled(runId: string): RunResult {
  return {
    status: 'aborted',
    stopReason: 'signal',
    output: undefined,
    usage: { ...emptyUsage(), wallMs: 0 },
    memory: [],
    trajectory: [],
    runId,
    error: { code: 'ABORTED', message: `run ${runId} was cancelled before it started` },
  }
}
