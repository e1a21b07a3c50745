export { agentLoop } from './agent-loop.js'
export {
  type ApprovalAnswer,
  type ApproveFn,
  type BudgetLedger,
  createFrame,
  type DelegationRequest,
  type Delegations,
  type ElicitFn,
  type Frame,
  type RunContext,
} from './frame.js'
export { type AgentOutcome, StopSignal, stoppedOutcome } from './outcome.js'
