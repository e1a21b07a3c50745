import type { Agent } from '../agent/index.js'
import { prepareAgent } from '../agent/index.js'
import type { AgentTree } from './types.js'

/** The agent tree as the header records it, with the model each agent actually runs on. */
export function agentTree(agent: Agent, models?: ReadonlyMap<Agent, { id: string }>): AgentTree {
  // An agent with live tool sets: its tools as they are when the run starts.
  const prepared = prepareAgent(agent)
  const tree: AgentTree = {
    name: agent.name,
    description: agent.description,
    model: models?.get(agent)?.id ?? (typeof agent.model === 'string' ? agent.model : agent.model.id),
    tools: prepared.own.map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.spec.parameters,
    })),
    specHash: prepared.specHash,
    agents: agent.agents.map((child) => agentTree(child, models)),
  }
  if (agent.output) tree.output = agent.output.jsonSchema
  return tree
}
