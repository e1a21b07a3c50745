/**
 * Plan mode: the one tool a planning agent is offered. Its argument is a whole plan, a graph of
 * calls to the agent's tools and sub-agents whose inputs refer to other calls' results, which
 * Baton runs (each call as soon as its inputs are ready) before the model sees all the results
 * at once and answers, or plans again.
 */
import type { ToolSpec } from '../model/types.js'
import type { Tool } from '../tool/index.js'
import type { DelegationTool } from './delegation.js'

export const PLAN_TOOL_NAME = 'plan'

/** The plan tool of an agent in plan mode. */
export interface PlanTool {
  readonly kind: 'baton.plan'
  readonly name: typeof PLAN_TOOL_NAME
  readonly spec: ToolSpec
  /** Plans after the first that the agent may make (each sees the results of the one before). */
  readonly maxReplans: number
}

/** Plan mode's settings: `true`, or the number of plans after the first. */
export interface PlanMode {
  maxReplans: number
}

/** The plan tool for an agent whose tools and sub-agents (as delegations) are `callable`. */
export function planTool(callable: readonly (Tool | DelegationTool)[], mode: PlanMode): PlanTool {
  const tools = callable.filter((tool): tool is Tool => tool.kind !== 'baton.delegation')
  const agents = callable.filter((tool): tool is DelegationTool => tool.kind === 'baton.delegation')
  const lines = [
    'Run a plan: the tasks it takes to reach the goal, all at once. Tasks run as soon as the tasks',
    'they need have ended, in parallel where they can; then you see every result (or error) and',
    'either answer or make another plan with what you learned.',
    "Refer to another task's result in any string of a task's inputs with ${id}, or to a field",
    'of it with ${id.field} (list items by index: ${id.items.0}). A string that is only a',
    'reference becomes the value itself. Use "after" for a task that must wait for another whose',
    'result it does not use. A task whose input failed is skipped.',
  ]
  if (tools.length) {
    lines.push('', 'Tools (a task {"id", "tool", "args"}):')
    for (const tool of tools)
      lines.push(
        `- ${tool.name}: ${tool.spec.description} Arguments: ${JSON.stringify(tool.spec.parameters)}`,
      )
  }
  if (agents.length) {
    lines.push(
      '',
      'Sub-agents (a task {"id", "agent", "task"}: the task is the complete brief it works from):',
    )
    for (const agent of agents) lines.push(`- ${agent.agent.name}: ${agent.agent.description}`)
  }
  const task: Record<string, unknown> = {
    id: { type: 'string', description: 'Unique in the plan: letters, digits, "_" or "-".' },
    after: { type: 'array', items: { type: 'string' }, description: 'Ids of tasks to wait for.' },
  }
  if (tools.length) {
    task.tool = { type: 'string', enum: tools.map((tool) => tool.name) }
    task.args = { type: 'object', description: "The tool's arguments; strings may hold ${id} references." }
  }
  if (agents.length) {
    task.agent = { type: 'string', enum: agents.map((agent) => agent.agent.name) }
    task.task = { type: 'string', description: 'The brief; it may hold ${id} references.' }
  }
  return {
    kind: 'baton.plan',
    name: PLAN_TOOL_NAME,
    maxReplans: mode.maxReplans,
    spec: {
      name: PLAN_TOOL_NAME,
      description: lines.join('\n'),
      parameters: {
        type: 'object',
        properties: {
          tasks: {
            type: 'array',
            items: { type: 'object', properties: task, required: ['id'] },
            minItems: 1,
          },
        },
        required: ['tasks'],
      },
    },
  }
}
