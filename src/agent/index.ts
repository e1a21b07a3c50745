export {
  AGENT_NAME,
  type AgentConfig,
  defineAgent,
  isAgent,
  MAX_REPLANS,
  MAX_TOOL_CONCURRENCY,
} from './define-agent.js'
export { type DelegationInput, type DelegationTool, delegationToolName } from './delegation.js'
export { fillTemplate, loadInstructions, openPlaceholders, varsProblem } from './instructions.js'
export { PLAN_TOOL_NAME, type PlanMode, type PlanTool } from './plan-tool.js'
export { checkAgentTree, type PreparedAgent, prepareAgent, prepareWith } from './prepare-agent.js'
export { hasToolCall, type StepInfo, type StopWhen, stepCountIs } from './stop-when.js'
export type { Agent, StallOptions } from './types.js'
