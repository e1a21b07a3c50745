/**
 * Sub-agents of durable runs on any worker. A delegation becomes a DBOS workflow of its own (a
 * branch, id `<run id>><sub-agent path>`), on the queue of its depth, so a parent waiting for
 * its children never holds the place they need: concurrent delegations run on whichever workers
 * are free. The parent waits for the branch's end in the database (a parent taken over by
 * another worker finds the same branch by its id, finished or under way), then takes its
 * events into its own stream and transcript, so the run's transcript is the one an in-process
 * run would have written. Budgets are shared through the database ledger.
 */
import type { Agent } from '../agent/index.js'
import { Budget } from '../budget/budget.js'
import type { BudgetLimits } from '../budget/index.js'
import { type Effects, liveEffects } from '../effects/index.js'
import type { BatonEvent } from '../events/index.js'
import type { Task } from '../goal/index.js'
import type { AgentOutcome, Delegations } from '../loop/index.js'
import type { MemoryEntry } from '../memory/index.js'
import { Recording } from '../replay/recording.js'
import { replayEffects } from '../replay/replay-effects.js'
import { runBranch } from '../run/branch.js'
import {
  agentTree,
  lineRecord,
  parseTranscript,
  TRANSCRIPT_VERSION,
  TranscriptWriter,
} from '../transcript/index.js'
import type { Transcript } from '../transcript/types.js'
import { VERSION } from '../version.js'
import { databaseLedger } from './ledger.js'
import { OUTAGE_ATTEMPTS, outage, stored } from './outage.js'
import type { DurableStore, RunRow } from './store.js'
import { isTakenOver } from './store-errors.js'
import { databaseIo, durableDoor } from './transcript-io.js'
import type { SubmitOptions } from './types.js'

/** Sub-agents this deep or less run as branches; deeper ones run in their parent's worker. */
export const BRANCH_DEPTHS = 4

export const BRANCH_WORKFLOW = 'baton.branch'

/** What a parent stores for a branch: all a worker needs to run the sub-agent as it would have. */
interface BranchRequest {
  key: string
  task: Task
  memoryKeys: string[] | undefined
  handed: MemoryEntry[]
  memory: MemoryEntry[]
  /** The budget nodes above the sub-agent, from the root down. */
  above: { path: string; limits: BudgetLimits; startedAt: number }[]
}

/** What the branches need from the worker that runs them. */
export interface BranchWorld {
  store: DurableStore
  where: string
  /** The run's root agent, checked against what the run was submitted for; or why not. */
  rootOf(run: RunRow): Agent | AgentOutcome
  /**
   * Queues a branch of a run of `agent` where a worker serving that agent and not yet running
   * one of the run's branches takes it first.
   */
  enqueueBranch(runId: string, agent: string, branchId: string, depth: number): Promise<void>
  /** Lets any worker serving `agent` take a branch nobody took to spread it (false: it was taken meanwhile). */
  unspread(agent: string, branchId: string, depth: number): Promise<boolean>
  /** How long a branch waits for a worker free of the run's branches before any may take it. */
  spreadMs: number
  ids(runId: string): (kind: string) => string
  /** A signal aborted when the run is cancelled or this worker is declared dead; `done` releases it. */
  watch(runId: string): { signal: AbortSignal; done(): void }
  /** Whether this worker was declared dead: what it runs now is another worker's to finish. */
  disowned(): boolean
  /** Whether this worker is stopping: what it runs now is taken over by another one. */
  closing(): boolean
  /** Decides the calls that need approval by the answers stored for them. */
  approve(
    runId: string,
  ): Promise<(request: { path: string }) => { approved: boolean; by: string } | undefined>
}

/** The sub-agents of `runId` that run as branches, except those its stored transcript already holds. */
export function branchDelegations(
  world: BranchWorld,
  runId: string,
  agent: string,
  recorded: ReadonlySet<string>,
): Delegations {
  return {
    async run(request, frame) {
      const depth = request.budget.depth
      if (depth > BRANCH_DEPTHS || recorded.has(request.path)) return undefined
      const branchId = `${runId}>${request.path}`
      const stored: BranchRequest = {
        key: request.key,
        task: request.task,
        memoryKeys: request.memoryKeys,
        handed: request.handed,
        memory: frame.run.memory.list(),
        above: request.budget
          .chain()
          .slice(1)
          .reverse()
          .map((node) => ({ path: node.path, limits: node.limits, startedAt: node.startedAt })),
      }
      // The same branch id again (the parent was taken over) finds the branch that is there.
      await world.store.addBranch(branchId, runId, request.path, JSON.parse(JSON.stringify(stored)))
      // Told when a sub-agent of the run ends; read again at least every second regardless.
      const changes = world.store.changes(runId, ['branch'])
      try {
        await world.enqueueBranch(runId, agent, branchId, depth)
        const queuedAt = Date.now()
        let spreading = true
        for (;;) {
          const branch = await world.store.branch(branchId)
          if (branch?.outcome)
            return {
              outcome: branch.outcome as AgentOutcome,
              events: await branchEvents(world.store, branchId),
            }
          const waited = Date.now() - queuedAt
          // No other worker was free for it: any worker may take it now, this one too.
          if (spreading && waited >= world.spreadMs) {
            spreading = false
            await world.unspread(agent, branchId, depth)
          }
          await frame.race(changes.wait(spreading ? Math.max(1, world.spreadMs - waited) : 1_000))
        }
      } finally {
        changes.close()
      }
    },
  }
}

/** The events a branch emitted, as its furthest attempt stored them. */
async function branchEvents(store: DurableStore, branchId: string): Promise<BatonEvent[]> {
  const attempt = await store.furthestAttempt(branchId)
  if (attempt === undefined) return []
  return (await store.lines(branchId, attempt, 1)).map((line) => lineRecord<BatonEvent>(line))
}

/** The workflow of a branch: one attempt at it, from its stored transcript if an earlier one left any. */
export function branchWorkflow(world: BranchWorld) {
  const attempt = attemptBranch(world)
  const stop = () => world.disowned() || world.closing()
  const reachable = () => world.store.reachable()
  return async (input: { runId: string; branchId: string }): Promise<AgentOutcome> => {
    for (let attempts = 1; ; attempts++) {
      // The attempt this workflow makes, once numbered: what it stores is fenced by it.
      const started: { attempt?: number } = {}
      try {
        return await attempt(input, started)
      } catch (error) {
        // A branch that fails in its worker ends with the error, so its parent does not wait for ever.
        if (stop()) throw error
        const outcome: AgentOutcome = {
          status: 'error',
          stopReason: 'INTERNAL',
          error: {
            code: 'INTERNAL',
            message: `sub-agent ${input.branchId} failed in its worker: ${(error as Error).message}`,
          },
        }
        // Taken over (this worker was silent, and woke up): the branch is the newer attempt's.
        if (isTakenOver(error)) return outcome
        // The database went away under it: once it is back, it goes on from its transcript.
        if (attempts < OUTAGE_ATTEMPTS && (await outage(error, reachable, stop))) continue
        const { branchId } = input
        await stored(() => world.store.finishBranch(branchId, outcome, started.attempt), reachable, stop)
        return outcome
      }
    }
  }
}

function attemptBranch(world: BranchWorld) {
  return async (
    input: { runId: string; branchId: string },
    started: { attempt?: number },
  ): Promise<AgentOutcome> => {
    const { runId, branchId } = input
    const { store } = world
    const branch = await store.branch(branchId)
    if (!branch) throw new Error(`branch ${branchId} is not in the database`)
    if (branch.outcome) return branch.outcome as AgentOutcome
    const finish = async (outcome: AgentOutcome) => {
      await store.finishBranch(branchId, JSON.parse(JSON.stringify(outcome)), started.attempt)
      return outcome
    }
    const run = await store.get(runId)
    if (!run) throw new Error(`run ${runId} is not in the database`)
    const root = world.rootOf(run)
    if (!('agents' in root)) return finish(root)
    const request = branch.request as BranchRequest
    const from = await store.furthestAttempt(branchId)
    const attempt = await store.startBranchAttempt(branchId)
    started.attempt = attempt
    const io = databaseIo(store, branchId, attempt)
    const ids = world.ids(runId)
    let effects: Effects = liveEffects({ ids })
    let prefix: Transcript | undefined
    if (from !== undefined) {
      const lines = await store.lines(branchId, from)
      prefix = parseTranscript(`${lines.join('\n')}\n`, `${world.where}#${branchId}/${from}`)
      effects = replayEffects(
        new Recording(prefix),
        { onMissing: 'live', onDivergence: 'error', liveTools: false, inFlightTools: 'report' },
        { ids },
      )
    }
    const { signal, done } = world.watch(runId)
    const options = run.options as SubmitOptions
    let writer: TranscriptWriter | undefined
    try {
      writer = new TranscriptWriter(
        `${world.where}#${branchId}/${attempt}`,
        {
          type: 'header',
          version: TRANSCRIPT_VERSION,
          baton: VERSION,
          runId: branchId,
          startedAt: new Date(effects.clock.now()).toISOString(),
          task: request.task,
          agent: agentTree(root),
          budget: request.above[0]?.limits ?? {},
        },
        () => {},
        io,
        { eager: false },
      )
      let parent: Budget | undefined
      for (const [depth, node] of request.above.entries())
        parent = new Budget(node.path, node.limits, node.startedAt, depth, parent)
      const outcome = await runBranch({
        root,
        path: branch.path,
        task: request.task,
        memoryKeys: request.memoryKeys,
        handed: request.handed,
        memory: request.memory,
        parentBudget: parent!,
        effects: durableDoor(effects, io.drain, (agent) => store.nextDelegation(runId, agent)),
        emit: (event, seq, t) => writer!.write(event, seq, t),
        signal,
        approve: await world.approve(runId),
        ...(options.prices ? { prices: options.prices } : {}),
        ...(options.vars ? { vars: options.vars } : {}),
        ...(options.model ? { model: options.model } : {}),
        ledger: databaseLedger(store, runId, chargedKeys(prefix)),
        delegations: branchDelegations(world, runId, run.agent, endedAgents(prefix)),
      })
      // A worker declared dead stops here: the branch is for the worker that took it over.
      if (world.disowned()) return new Promise<never>(() => {})
      const lost = await writer.close()
      await io.drain()
      if (lost) throw lost
      return await finish(outcome)
    } finally {
      done()
    }
  }
}

/** The steps a stored transcript shows charged: model calls answered, tool calls counted. */
export function chargedKeys(transcript: Transcript | undefined): Set<string> {
  const keys = new Set<string>()
  for (const event of transcript?.events ?? [])
    if (event.type === 'model.response' || event.type === 'tool.call') keys.add(event.path)
  return keys
}

/** The sub-agents a stored transcript shows ended (a resumed run replays them where it runs). */
export function endedAgents(transcript: Transcript | undefined): Set<string> {
  const paths = new Set<string>()
  for (const event of transcript?.events ?? []) if (event.type === 'agent.end') paths.add(event.path)
  return paths
}
