/**
 * Where an event sits in the live tree: the agent it belongs to, the agent above that one, and
 * whether it is one of an agent's own model calls.
 */
import { isSideCall } from '../events/index.js'

/**
 * Whether a step key is one of an agent's own model calls (`…/3/model`), not a side call (a goal
 * scorer's judge, a compaction's summary).
 */
export const isStepCall = (path: string): boolean => /(^|\/)\d+\/model$/.test(path) && !isSideCall(path)

/**
 * The agent an event belongs to: its path up to the last `<step>/agent:<name>#<k>` segment
 * (`root/2/agent:researcher#0/1/tool/call_1` → `root/2/agent:researcher#0`), else the root.
 */
export function agentPathOf(path: string): string {
  const parts = path.split('/')
  for (let i = parts.length - 1; i > 1; i--)
    if (parts[i]!.startsWith('agent:') && /^\d+$/.test(parts[i - 1]!)) return parts.slice(0, i + 1).join('/')
  return parts[0]!
}

/** The agent that delegated to the agent at `path`, or undefined for the root. */
export function parentPathOf(path: string): string | undefined {
  const parts = path.split('/')
  return parts.length > 2 ? agentPathOf(parts.slice(0, -2).join('/')) : undefined
}
