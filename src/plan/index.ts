/**
 * @module plan
 * Plans as data: a graph of tool calls, delegations and nested plans whose inputs refer to other
 * tasks' results, checked before it runs and run by one executor, each task as soon as its
 * inputs are ready.
 */
export { criticalPath, type TimedTask } from './critical-path.js'
export { type ExecuteOptions, executePlan, type FilledTask, type RunTask } from './execute.js'
export { fill, PlanReferenceError, type Reference, referencesIn, resolveReference } from './refs.js'
export type {
  AgentTask,
  NestedPlanTask,
  Plan,
  PlannedTask,
  PlanScope,
  TaskResult,
  ToolTask,
} from './types.js'
export { type CheckedPlan, checkPlan, type PlanCheck } from './validate.js'
export { defineWorkflow, type WorkflowConfig, type WorkflowRound, type WorkflowStep } from './workflow.js'
