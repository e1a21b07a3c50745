/**
 * The DBOS queues of a durable runner's agents: their names, the ones a worker serves and
 * registers, and the one a workflow taken over from a dead worker goes back on.
 */
import type { Agent } from '../agent/index.js'
import { BRANCH_DEPTHS } from './branches.js'
import type { Dbos } from './runner.js'
import type { DurableStore } from './store.js'

/** The end of a spread queue's name: its branches go back to the depth's queue when taken over. */
const SPREAD_QUEUE = /\.s(\d+)$/

/** The names of a runner's queues. */
export interface AgentQueues {
  /** What every queue's name starts with (the runner's `queue` option; `baton` by default). */
  readonly queue: string
  /** The queue of the runs of `agent`. */
  runQueue(agent: string): string
  /** The queue of `agent`'s sub-agents at `depth` that any worker takes from. */
  depthQueue(agent: string, depth: number): string
  /** The queue of `agent`'s sub-agents at `depth` that a worker takes one branch of a run from at a time. */
  spreadQueue(agent: string, depth: number): string
}

export function agentQueues(queue: string): AgentQueues {
  // Each agent has its queues, served by the workers that serve it. Its sub-agents of each depth
  // have two: one a worker takes at most one branch of a run from at a time (so siblings go to
  // different workers), and one any worker takes from.
  const runQueue = (agent: string) => `${queue}:${agent}`
  const depthQueue = (agent: string, depth: number) => `${runQueue(agent)}.d${depth}`
  const spreadQueue = (agent: string, depth: number) => `${runQueue(agent)}.s${depth}`
  return { queue, runQueue, depthQueue, spreadQueue }
}

/** The queue a workflow taken over goes back on: its run's, or its depth's for a sub-agent. */
export async function queueAfterTakeover(
  store: DurableStore,
  { queue, runQueue, depthQueue }: AgentQueues,
  workflowId: string,
  queueName: string | undefined,
): Promise<string> {
  const name = queueName ?? queue
  if (name.startsWith(`${queue}:`)) return name.replace(SPREAD_QUEUE, (_, depth) => `.d${depth}`)
  // A queue of a Baton before each agent had its own (`baton`, `baton.d1`): the agent's now.
  const agent = (await store.get(workflowId.split('>')[0]!.split('#')[0]!))?.agent
  if (agent === undefined) return name
  const depth = /\.[ds](\d+)$/.exec(name)?.[1]
  return depth ? depthQueue(agent, Number(depth)) : runQueue(agent)
}

/** The queues of the agents this process serves: their runs', and their sub-agents' of each depth. */
export const servedQueues = (
  agents: Iterable<Agent>,
  { runQueue, depthQueue, spreadQueue }: AgentQueues,
): string[] =>
  [...agents].flatMap((agent) => [
    runQueue(agent.name),
    ...Array.from({ length: branchDepths(agent) }, (_, i) => [
      depthQueue(agent.name, i + 1),
      spreadQueue(agent.name, i + 1),
    ]).flat(),
  ])

/** Registers the queues of `agents` with DBOS, each running up to `workerConcurrency` workflows in this worker. */
export async function registerQueues(
  DBOS: Dbos['DBOS'],
  agents: Iterable<Agent>,
  { runQueue, depthQueue, spreadQueue }: AgentQueues,
  workerConcurrency: number,
): Promise<void> {
  // A worker takes runs of the agents it serves, from their queues only: a run of an agent
  // no worker serves waits for one that does. Sub-agents of each depth have queues of their
  // own, so a parent that waits for its children never holds a place they need; they are
  // polled less often than the runs' queue (each poll is a query, on every worker): a
  // sub-agent starts up to 150 ms later, next to model calls of seconds.
  for (const agent of agents) {
    await DBOS.registerQueue(runQueue(agent.name), { workerConcurrency, minPollingIntervalMs: 50 })
    for (let depth = 1; depth <= branchDepths(agent); depth++) {
      await DBOS.registerQueue(depthQueue(agent.name, depth), {
        workerConcurrency,
        minPollingIntervalMs: 150,
      })
      await DBOS.registerQueue(spreadQueue(agent.name, depth), {
        workerConcurrency,
        partitionWorkerConcurrency: 1,
        minPollingIntervalMs: 150,
      })
    }
  }
}

/** How many levels of an agent's sub-agents run as branches of their own. */
const branchDepths = (agent: Agent): number => Math.min(BRANCH_DEPTHS, treeDepth(agent))

/** How many levels of sub-agents an agent has (0: none). */
function treeDepth(agent: Agent, known = new Map<Agent, number>()): number {
  // Each agent once: a sub-agent shared by several parents would be measured once per path.
  let depth = known.get(agent)
  if (depth === undefined) {
    depth =
      agent.agents.length === 0 ? 0 : 1 + Math.max(...agent.agents.map((child) => treeDepth(child, known)))
    known.set(agent, depth)
  }
  return depth
}
