import { createHash } from 'node:crypto'
import { BatonError } from '../errors/index.js'
import type { ToolSpec } from '../model/types.js'
import type { Tool } from '../tool/index.js'
import { isMemoryTool, memoryTools } from '../tool/memory-tools.js'
import { type DelegationTool, delegationTool } from './delegation.js'
import { type PlanTool, planTool } from './plan-tool.js'
import type { Agent } from './types.js'

export { delegationToolName } from './delegation.js'

/** What the loop needs of an agent, computed once per agent value (and per change of its tool sets). */
export interface PreparedAgent {
  readonly agent: Agent
  /** Its tools and delegations by name (and, in plan mode, the plan tool). */
  readonly tools: ReadonlyMap<string, Tool | DelegationTool | PlanTool>
  /** What the model is offered: every tool and delegation, or in plan mode the plan tool alone. */
  readonly specs: readonly ToolSpec[]
  /** Hash of the tool specs and output schema: part of every model request hash. */
  readonly specHash: string
  /** Its own tools as offered: `agent.tools`, then its tool sets' tools as they were. */
  readonly own: readonly Tool[]
  /** The lists of its tool sets it was made from (a set that changed makes another one). */
  readonly lists: readonly (readonly Tool[])[]
}

const prepared = new WeakMap<Agent, PreparedAgent>()

const MEMORY_READ = 'memory_read'
let memoryReadTool: Tool | undefined
const memoryRead = (): Tool => {
  memoryReadTool ??= memoryTools().find((tool) => tool.name === MEMORY_READ)!
  return memoryReadTool
}

/**
 * Prepares an agent (cached): its tool table, the specs the model sees, and their hash. An
 * agent with live tool sets gets a new one when a set's list changed.
 */
export function prepareAgent(agent: Agent): PreparedAgent {
  const cached = prepared.get(agent)
  const sets = agent.toolSets
  if (cached && (sets === undefined || sets.every((set, i) => set.tools === cached.lists[i]))) return cached
  const lists = sets?.map((set) => set.tools) ?? []
  const result = prepareWith(agent, lists.length ? ownTools(agent.tools, lists) : agent.tools, lists)
  prepared.set(agent, result)
  return result
}

/**
 * The agent prepared to offer `own` as its own tools (a replay offers what its recording says
 * the run offered), with its memory, delegation and plan tools as always.
 */
export function prepareWith(
  agent: Agent,
  own: readonly Tool[],
  lists: readonly (readonly Tool[])[] = [],
): PreparedAgent {
  const tools = new Map<string, Tool | DelegationTool | PlanTool>()
  for (const tool of own) tools.set(tool.name, tool)
  // Results that compaction takes out of the history are read back from memory, with Baton's
  // own memory_read (a tool set's tool of that name is left out, as any other clash is).
  if (agent.context?.stub && !isMemoryTool(tools.get(MEMORY_READ))) tools.set(MEMORY_READ, memoryRead())
  for (const child of agent.agents) {
    const delegation = delegationTool(child)
    tools.set(delegation.name, delegation)
  }
  let specs = [...tools.values()].map((tool) => tool.spec)
  if (agent.plan) {
    const plan = planTool([...tools.values()] as (Tool | DelegationTool)[], agent.plan)
    tools.set(plan.name, plan)
    specs = [plan.spec]
  }
  const specHash = createHash('sha256')
    .update(JSON.stringify({ specs, output: agent.output?.jsonSchema ?? null }))
    .digest('hex')
    .slice(0, 16)
  return { agent, tools, specs, specHash, own, lists }
}

/** The agent's own tools, then each set's; a set's tool whose name is taken already is left out. */
function ownTools(tools: readonly Tool[], lists: readonly (readonly Tool[])[]): Tool[] {
  const own = [...tools]
  const taken = new Set(tools.map((tool) => tool.name))
  for (const list of lists)
    for (const tool of list) {
      if (taken.has(tool.name)) continue
      taken.add(tool.name)
      own.push(tool)
    }
  return own
}

/**
 * Refuses delegation cycles: an agent that is (or is named like) one of its own ancestors. Each
 * agent is visited once, however many paths lead to it (a sub-agent shared by many parents).
 */
export function checkAgentTree(root: Agent): void {
  // For each agent checked: the names of every agent below it.
  const below = new Map<Agent, Set<string>>()
  const path: Agent[] = []
  const onPath = new Set<Agent>()
  const refuse = (chain: readonly Agent[]): never => {
    const cycle = chain.map((a) => a.name).join(' → ')
    throw new BatonError('INVALID_DEFINITION', `agent "${root.name}": agents: delegation cycle ${cycle}`, {
      details: { field: 'agents', cycle },
    })
  }
  const visit = (agent: Agent): Set<string> => {
    const known = below.get(agent)
    if (known) return known
    if (onPath.has(agent)) refuse([...path.slice(path.indexOf(agent)), agent])
    path.push(agent)
    onPath.add(agent)
    const names = new Set<string>()
    for (const child of agent.agents) {
      names.add(child.name)
      for (const name of visit(child)) names.add(name)
    }
    if (names.has(agent.name)) refuse([agent, ...chainTo(agent, agent.name)])
    path.pop()
    onPath.delete(agent)
    below.set(agent, names)
    return names
  }
  visit(root)
}

/** The agents from a child of `from` down to the first one named `name` (each agent tried once). */
function chainTo(from: Agent, name: string): Agent[] {
  const tried = new Set<Agent>()
  const search = (agent: Agent): Agent[] | undefined => {
    for (const child of agent.agents) {
      if (child.name === name) return [child]
      if (tried.has(child)) continue
      tried.add(child)
      const rest = search(child)
      if (rest) return [child, ...rest]
    }
    return undefined
  }
  return search(from) ?? []
}
