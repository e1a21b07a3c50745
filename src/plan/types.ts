/**
 * A plan: a graph of tasks, each a tool call, a delegation to a sub-agent, or a nested plan,
 * whose inputs may refer to other tasks' results. The same data whether a planning model wrote
 * it (plan mode) or code did (a workflow).
 *
 * A reference is written `${id}` (the task's whole result) or `${id.field.0}` (a field of it,
 * array indexes included) inside any string of a task's inputs. A string that is nothing but one
 * reference becomes the value itself, whatever its type; a reference inside a longer string is
 * written into it (a string as it is, anything else as JSON). `after` orders tasks that share no
 * data.
 */

interface TaskBase {
  /** Unique in its plan: letters, digits, `_` and `-`. It names the task's step key and its result. */
  id: string
  /** Tasks that must end first although no input refers to them. */
  after?: string[]
}

/** A call of one of the agent's tools. */
export interface ToolTask extends TaskBase {
  tool: string
  args?: unknown
}

/** A delegation to one of the agent's sub-agents, with its brief. */
export interface AgentTask extends TaskBase {
  agent: string
  task: string
}

/** A plan run as one task: its result is the object of its tasks' results by id. */
export interface NestedPlanTask extends TaskBase {
  plan: Plan
}

export type PlannedTask = ToolTask | AgentTask | NestedPlanTask

export interface Plan {
  tasks: PlannedTask[]
}

/** How a task ended. A skipped task never ran: a task it needed failed or was skipped. */
export type TaskResult =
  | { status: 'done'; value: unknown }
  | { status: 'failed'; error: { code: string; message: string } }
  | { status: 'skipped'; error: { code: 'PLAN_SKIPPED'; message: string } }

/** What the tasks can call: the agent's tools and sub-agents, by name. */
export interface PlanScope {
  tools: ReadonlySet<string>
  agents: ReadonlySet<string>
  /**
   * The JSON Schemas of the tools' results, when they declare one: references into them are
   * checked. `strips`: the result is parsed by it and keeps only the properties it names (a zod
   * object), so an object without `additionalProperties` has no others.
   */
  outputs?: ReadonlyMap<string, { schema: Record<string, unknown>; strips: boolean }>
}
