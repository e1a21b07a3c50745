/**
 * A branch: one sub-agent of a run (and its own sub-agents), run on its own in another process,
 * as a durable run's worker runs a delegation another worker made. It is the same loop at the
 * same path: its step keys, events and requests are the ones the sub-agent would have in its
 * parent's process, so they join the parent's transcript as if it had run there.
 */
import type { Agent } from '../agent/index.js'
import { type Budget, DEFAULT_PRICES, layerPrices, type PriceTable } from '../budget/index.js'
import type { Effects } from '../effects/index.js'
import { BatonError } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import type { Task } from '../goal/index.js'
import {
  type AgentOutcome,
  agentLoop,
  type BudgetLedger,
  createFrame,
  type Delegations,
  StopSignal,
} from '../loop/index.js'
import { onAbort } from '../loop/on-abort.js'
import { errorOutcome } from '../loop/outcome.js'
import { Stopper } from '../loop/stopper.js'
import { Memory, type MemoryEntry } from '../memory/index.js'
import { resolveModel } from '../providers/resolve.js'
import { runContext } from './context.js'
import type { RunOptions } from './types.js'

export interface BranchOptions {
  /** The run's root agent: the sub-agent is found in its tree by `path`. */
  root: Agent
  /** The sub-agent's path (`root/2/agent:researcher#0`). */
  path: string
  task: Task
  memoryKeys: string[] | undefined
  handed: MemoryEntry[]
  /** The run's memory when the delegation was made. */
  memory: MemoryEntry[]
  /** The budget node of the sub-agent's parent, with the ancestors above it. */
  parentBudget: Budget
  effects: Effects
  /** Where the branch's events go, with their `seq` and `t` (from the branch's start). */
  emit: (event: BatonEvent, seq: number, t: number) => void
  signal?: AbortSignal
  approve?: RunOptions['approve']
  prices?: PriceTable
  vars?: Record<string, unknown>
  model?: string
  ledger?: BudgetLedger
  delegations?: Delegations
}

/** Runs the sub-agent at `path` to its end and returns how it ended (never throws for a failure inside). */
export async function runBranch(options: BranchOptions): Promise<AgentOutcome> {
  const { effects, path } = options
  const { clock } = effects
  const startedAt = clock.now()
  const agents = agentsOnPath(options.root, path)
  const agent = agents.at(-1)!
  const stopper = new Stopper()
  const unlink = options.signal
    ? onAbort(options.signal, () =>
        stopper.stop(
          new StopSignal({
            status: 'aborted',
            stopReason: 'signal',
            error: { code: 'ABORTED', message: 'the run was cancelled' },
          }),
        ),
      )
    : undefined
  const memory = new Memory(() => clock.now())
  for (const entry of options.memory) memory.set(entry.key, entry.value, entry.by, entry.step, entry.at)
  let seq = 0
  // Never going back, as in a whole run: a clock set back mid-run gives no earlier `t`.
  let last = 0
  const emit = (event: BatonEvent): void => {
    last = Math.max(last, clock.now() - startedAt)
    const t = last
    const delta = event.type === 'model.delta' || event.type === 'model.restart'
    if (!delta) options.emit(event, seq, t)
    event.seq = delta ? seq : seq++
    event.t = t
  }
  try {
    const models = new Map<Agent, Awaited<ReturnType<typeof resolveModel>>>()
    const shared = options.model === undefined ? undefined : await resolveModel(options.model)
    for (const each of subtree(agent)) models.set(each, shared ?? (await resolveModel(each.model)))
    const run = runContext({
      effects,
      clock,
      memory,
      resolveModel,
      models,
      stop: (reason) => stopper.stop(reason),
      emit,
      observed: true,
      deltas: false,
      options,
    })
    // The prices of the agents above it apply to it, as they would in its parent's process.
    let agentPrices: PriceTable = DEFAULT_PRICES
    for (const above of agents.slice(0, -1))
      if (above.prices) agentPrices = layerPrices(agentPrices, above.prices)
    const parent = { onStop: (fn: (reason: unknown) => void) => stopper.onStop(fn), agentPrices }
    const budget = options.parentBudget.child(path, agent.budget, startedAt)
    const frame = createFrame(run, agent, path, budget, parent, options.task, options.memoryKeys)
    return await agentLoop(frame, options.handed)
  } catch (error) {
    return errorOutcome(error)
  } finally {
    unlink?.()
  }
}

/** The agents from the root down to the one at `path` (`root/2/agent:a#0/1/agent:b#0` → root, a, b). */
export function agentsOnPath(root: Agent, path: string): Agent[] {
  const agents = [root]
  for (const [, name] of path.matchAll(/\/agent:([^/#]+)#\d+/g)) {
    const found = agents.at(-1)!.agents.find((each) => each.name === name)
    if (!found)
      throw new BatonError(
        'UNKNOWN_AGENT',
        `no sub-agent "${name}" under "${agents.at(-1)!.name}" for the path ${path}`,
        { details: { path } },
      )
    agents.push(found)
  }
  return agents
}

/** The agent and every agent below it, each once however many parents it has. */
function* subtree(agent: Agent, seen = new Set<Agent>()): Generator<Agent> {
  if (seen.has(agent)) return
  seen.add(agent)
  yield agent
  for (const child of agent.agents) yield* subtree(child, seen)
}
