/**
 * The hash of an agent tree that a durable run is submitted for: a worker runs it only with the
 * same definition.
 */
import type { Agent } from '../agent/index.js'
import { hashText } from '../loop/hash.js'
import { agentTree } from '../transcript/index.js'

/** A hash of the agent tree (names, instructions, tools, schemas, models): what a run was submitted for. */
export function treeHash(agent: Agent): string {
  const instructions = (node: Agent): unknown => [node.instructions, node.agents.map(instructions)]
  return hashText(JSON.stringify([agentTree(agent), instructions(agent)]))
}
