/**
 * The small updates `reduceTree` makes to one agent of the tree: its fields changed, a note
 * added, its model call in flight ended, a task of its plan moved on.
 */
import { oneLine } from './terminal-text.js'
import type { AgentNode, PlanTaskView, PlanView, TreeState } from './tree-state.js'

/** Notes kept per agent. */
const NOTES = 2

/** An agent with no model call in flight: nothing sent, written, retried, queued or switched. */
export const NO_CALL = {
  modelSince: undefined,
  writing: undefined,
  retry: undefined,
  queued: undefined,
  via: undefined,
  compacting: undefined,
} as const

/** The plan with the task called `callId` changed, when it is one of its tasks. */
export function planTask(
  plan: PlanView | undefined,
  callId: string,
  update: () => Partial<PlanTaskView>,
): { plan?: PlanView } {
  if (!plan || plan.endedAt !== undefined || !callId.startsWith(`${plan.callId}.`)) return {}
  const id = callId.slice(plan.callId.length + 1)
  const at = plan.tasks.findIndex((task) => task.id.replaceAll('/', '.') === id)
  if (at < 0) return {}
  const tasks = [...plan.tasks]
  tasks[at] = { ...tasks[at]!, ...update() }
  return { plan: { ...plan, tasks } }
}

/** The tree with some fields of one agent changed. */
export function change(state: TreeState, node: AgentNode, fields: Partial<AgentNode>): TreeState {
  return { ...state, nodes: { ...state.nodes, [node.path]: { ...node, ...fields } } }
}

/** The tree with a warning added to an agent's notes (on one line, once, the latest `NOTES` kept). */
export function note(state: TreeState, node: AgentNode, text: string): TreeState {
  const line = oneLine(text)
  if (node.notes.at(-1) === line) return state
  return change(state, node, { notes: [...node.notes.filter((n) => n !== line), line].slice(-NOTES) })
}
