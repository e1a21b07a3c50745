import type { Agent } from '../agent/index.js'
import { prepareAgent } from '../agent/index.js'
import type { AgentTree } from './types.js'

/** The agent tree as the header records it. */
export function agentTree(agent: Agent, model?: string): AgentTree {
  const tree: AgentTree = {
    name: agent.name,
    description: agent.description,
    model: model ?? (typeof agent.model === 'string' ? agent.model : agent.model.id),
    tools: agent.tools.map((tool) => ({ name: tool.name, description: tool.description })),
    specHash: prepareAgent(agent).specHash,
    agents: agent.agents.map((child) => agentTree(child)),
  }
  if (agent.output) tree.output = agent.output.jsonSchema
  return tree
}
