import { createHash } from 'node:crypto'
import { BatonError } from '../errors/index.js'
import type { ToolSpec } from '../model/types.js'
import type { Tool } from '../tool/index.js'
import { memoryTools } from '../tool/memory-tools.js'
import { type DelegationTool, delegationTool } from './delegation.js'
import { type PlanTool, planTool } from './plan-tool.js'
import type { Agent } from './types.js'

export { delegationToolName } from './delegation.js'

/** What the loop needs of an agent, computed once per agent value. */
export interface PreparedAgent {
  readonly agent: Agent
  /** Its tools and delegations by name (and, in plan mode, the plan tool). */
  readonly tools: ReadonlyMap<string, Tool | DelegationTool | PlanTool>
  /** What the model is offered: every tool and delegation, or in plan mode the plan tool alone. */
  readonly specs: readonly ToolSpec[]
  /** Hash of the tool specs and output schema: part of every model request hash. */
  readonly specHash: string
}

const prepared = new WeakMap<Agent, PreparedAgent>()

const MEMORY_READ = 'memory_read'
let memoryReadTool: Tool | undefined
const memoryRead = (): Tool => {
  memoryReadTool ??= memoryTools().find((tool) => tool.name === MEMORY_READ)!
  return memoryReadTool
}

/** Prepares an agent (cached): its tool table, the specs the model sees, and their hash. */
export function prepareAgent(agent: Agent): PreparedAgent {
  const cached = prepared.get(agent)
  if (cached) return cached
  const tools = new Map<string, Tool | DelegationTool | PlanTool>()
  for (const tool of agent.tools) tools.set(tool.name, tool)
  // Results that compaction takes out of the history are read back from memory.
  if (agent.context?.stub && !tools.has(MEMORY_READ)) tools.set(MEMORY_READ, memoryRead())
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
  const result: PreparedAgent = { agent, tools, specs, specHash }
  prepared.set(agent, result)
  return result
}

/** Refuses delegation cycles: an agent that is (or is named like) one of its own ancestors. */
export function checkAgentTree(root: Agent): void {
  const path: Agent[] = []
  const visit = (agent: Agent): void => {
    const again = path.findIndex((up) => up === agent || up.name === agent.name)
    if (again !== -1) {
      const cycle = [...path.slice(again), agent].map((a) => a.name).join(' → ')
      throw new BatonError('INVALID_DEFINITION', `agent "${root.name}": agents: delegation cycle ${cycle}`, {
        details: { field: 'agents', cycle },
      })
    }
    path.push(agent)
    for (const child of agent.agents) visit(child)
    path.pop()
  }
  visit(root)
}
