import type { BudgetRefusal } from '../budget/index.js'
import { type ErrorInfo, toErrorInfo } from '../errors/index.js'
import type { PendingApproval, RunStatus, StopReason } from '../events/index.js'
import type { Stopper } from './stopper.js'

/** How one agent's loop ended. */
export interface AgentOutcome {
  status: RunStatus
  stopReason: StopReason
  output?: unknown
  error?: ErrorInfo
  pending?: PendingApproval[]
}

/** The reason an agent's signal is aborted with, when Baton itself stops a run or an agent. */
export class StopSignal extends Error {
  constructor(readonly outcome: AgentOutcome) {
    super(`stopped: ${outcome.status} (${outcome.stopReason})`)
    this.name = 'StopSignal'
  }
}

export function budgetOutcome(refusal: BudgetRefusal): AgentOutcome {
  const used = refusal.limit === 'maxCostUsd' ? `$${refusal.used.toFixed(4)}` : String(refusal.used)
  return {
    status: 'budget_exceeded',
    stopReason: refusal.limit,
    error: {
      code: 'BUDGET_EXCEEDED',
      message: `${refusal.limit} reached at ${refusal.at}: used ${used} of ${refusal.max}`,
      details: { ...refusal },
    },
  }
}

export function errorOutcome(error: unknown): AgentOutcome {
  const info = toErrorInfo(error)
  return { status: 'error', stopReason: info.code, error: info }
}

/** The outcome a stopped agent stands for, or undefined while it has not stopped. */
export function stoppedOutcome(agent: Pick<Stopper, 'stopped' | 'reason'>): AgentOutcome | undefined {
  if (!agent.stopped) return undefined
  const reason: unknown = agent.reason
  if (reason instanceof StopSignal) return reason.outcome
  return {
    status: 'aborted',
    stopReason: 'signal',
    error: { code: 'ABORTED', message: reason instanceof Error ? reason.message : 'the run was aborted' },
  }
}
