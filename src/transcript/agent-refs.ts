import type { AgentNode, AgentRef, AgentTree } from './types.js'

/** Whether a node of a recorded tree refers to an agent written whole elsewhere in it. */
export function isAgentRef(node: unknown): node is AgentRef {
  return typeof node === 'object' && node !== null && Array.isArray((node as AgentRef).ref)
}

/** A tree whose nodes may be references (a header's) or not (an agent definition). */
interface Named {
  readonly name: string
  readonly agents?: readonly Named[]
  readonly ref?: readonly string[]
}

/**
 * The sub-agent `name` of `node`, in the tree under `root`: a reference is followed to the agent
 * it names. Undefined when there is none.
 */
export function childAgent<T extends Named>(root: T, node: T | undefined, name: string): T | undefined {
  const child = node?.agents?.find((each) => each.name === name) as T | undefined
  return child && isAgentRef(child) ? (referredAgent(root, child.ref) as T | undefined) : child
}

/** The agent written whole at the names `ref` below `root`; undefined when the path leads nowhere or through a reference. */
function referredAgent(root: Named, ref: readonly string[]): Named | undefined {
  let node: Named | undefined = root
  for (const name of ref) {
    node = node?.agents?.find((each) => each.name === name)
    if (!node || isAgentRef(node)) return undefined
  }
  return node
}

/**
 * The first reference in a recorded tree that names no agent written whole (a hand-edited
 * header), as the field and what is wrong; undefined when every one does.
 */
export function agentRefProblem(root: AgentTree): { field: string; problem: string } | undefined {
  const visit = (node: AgentNode, field: string): { field: string; problem: string } | undefined => {
    if (isAgentRef(node)) {
      const found = referredAgent(root, node.ref)
      if (!found)
        return { field, problem: `refers to ${JSON.stringify(node.ref)}, where no agent is written whole` }
      if (found.name !== node.name)
        return { field, problem: `is named "${node.name}" but refers to agent "${found.name}"` }
      return undefined
    }
    for (const [i, child] of (node.agents ?? []).entries()) {
      const wrong = visit(child, `${field}.agents.${i}`)
      if (wrong) return wrong
    }
    return undefined
  }
  return visit(root, 'agent')
}
