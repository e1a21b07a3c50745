export { agentLoop } from './agent-loop.js'
export { type ApproveFn, createFrame, type Frame, type RunContext } from './frame.js'
export { type AgentOutcome, StopSignal, stoppedOutcome } from './outcome.js'
