import type { Agent } from '../agent/index.js'
import { prepareAgent } from '../agent/index.js'
import type { AgentNode, AgentTree } from './types.js'

/**
 * The agent tree as the header records it, with the model each agent actually runs on. An
 * agent shared by several parents (a diamond: two sub-agents that both delegate to one
 * searcher) is written whole where it is first met, depth first, and as a reference to that
 * place everywhere else: the header grows with the distinct agents, not with the paths to them.
 * A tree where no agent is shared is written as it always was.
 */
export function agentTree(agent: Agent, models?: ReadonlyMap<Agent, { id: string }>): AgentTree {
  const written = new Map<Agent, readonly string[]>()
  const modelOf = (each: Agent) =>
    models?.get(each)?.id ?? (typeof each.model === 'string' ? each.model : each.model.id)
  const write = (each: Agent, at: readonly string[]): AgentTree => {
    written.set(each, at)
    // An agent with live tool sets: its tools as they are when the run starts.
    const prepared = prepareAgent(each)
    const tree: AgentTree = {
      name: each.name,
      description: each.description,
      model: modelOf(each),
      tools: prepared.own.map((tool) => ({
        name: tool.name,
        description: tool.description,
        parameters: tool.spec.parameters,
      })),
      specHash: prepared.specHash,
      agents: each.agents.map((child): AgentNode => {
        const first = written.get(child)
        return first
          ? { name: child.name, model: modelOf(child), ref: [...first] }
          : write(child, [...at, child.name])
      }),
    }
    if (each.output) tree.output = each.output.jsonSchema
    return tree
  }
  return write(agent, [])
}
