/**
 * The hash of an agent tree that a durable run is submitted for: a worker runs it only with the
 * same definition.
 */
import type { Agent } from '../agent/index.js'
import { hashText } from '../loop/hash.js'
import { agentTree } from '../transcript/index.js'

/** A hash of the agent tree (names, instructions, tools, schemas, models): what a run was submitted for. */
export function treeHash(agent: Agent): string {
  // A shared sub-agent's instructions are listed once, as the header writes it once: a diamond
  // of agents hashes in time linear in its distinct agents. A tree without one hashes as before.
  const seen = new Set<Agent>()
  const instructions = (node: Agent): unknown => {
    seen.add(node)
    return [
      node.instructions,
      node.agents.map((child) => (seen.has(child) ? { ref: child.name } : instructions(child))),
    ]
  }
  return hashText(JSON.stringify([agentTree(agent), instructions(agent)]))
}
