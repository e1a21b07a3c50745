/**
 * The worker side of a durable runner. `serve` makes this process a DBOS worker of its agents'
 * queues: it runs their runs' and sub-agents' workflows, keeps a sign of life in the database and
 * takes over the runs of workers that stopped showing one. A worker declared dead by the others
 * stops serving, and its runs go on elsewhere.
 */
import { randomUUID } from 'node:crypto'
import type { Agent } from '../agent/index.js'
import { BatonError } from '../errors/index.js'
import { shareRateLimits } from '../limits/index.js'
import type { RunResult } from '../run/types.js'
import { BRANCH_WORKFLOW, type BranchWorld, branchWorkflow } from './branches.js'
import { checkServe } from './check-serve.js'
import { DatabaseLimits } from './limits.js'
import { failed } from './outcomes.js'
import { registerQueues, servedQueues } from './queues.js'
import { runWorkflow } from './run-workflow.js'
import { APP_VERSION, type Runner, WORKFLOW } from './runner.js'
import { ended } from './status.js'
import type { RunRow } from './store.js'
import { traceRun } from './trace-run.js'
import { treeHash } from './tree-hash.js'
import type { DurableRuns, ServeOptions } from './types.js'
import { livenessTimers } from './worker-liveness.js'

let served = false

export interface DurableWorker {
  /** Makes this process a worker that runs queued runs (once per process). */
  serve: DurableRuns['serve']
  /** Traces a run this process ended (a pause for approval is not its end); never fails it. */
  traceEnd(runId: string, result: RunResult): Promise<void>
  /** Stops serving, if it serves: its runs under way are taken over at once. */
  close(): Promise<void>
}

export function durableWorker(runner: Runner): DurableWorker {
  const { database, where, agents, dbos, store, queues, dbosClient } = runner
  const { runQueue, depthQueue, spreadQueue } = queues
  const timers: NodeJS.Timeout[] = []
  let executor: string | undefined
  let tracer: ServeOptions['tracer']
  let limits: DatabaseLimits | undefined
  // The runs under way in this worker, and whether it was declared dead (they are someone else's now).
  const underWay = new Set<AbortController>()
  let disowned = false
  let closing = false
  let declaredDead: (error: BatonError) => void = (error) => process.stderr.write(`baton: ${error.message}\n`)
  const disown = () => {
    if (disowned) return
    disowned = true
    for (const timer of timers) clearInterval(timer)
    for (const controller of underWay) controller.abort(new Error('this worker was declared dead'))
    // No more runs come here; the ones under way never report (another worker runs them now).
    dbos.DBOS.shutdown().catch(() => {})
    declaredDead(
      new BatonError(
        'ABORTED',
        `worker ${executor} was declared dead by the other workers (silent for longer than staleMs): it stopped serving, and its runs go on elsewhere`,
      ),
    )
  }

  /** The agent a run was submitted for, as this worker has it; or why it cannot run it. */
  const rootOf = (run: RunRow): Agent | RunResult => {
    const agent = agents.get(run.agent)
    if (!agent)
      return failed(
        'UNKNOWN_AGENT',
        `worker ${executor} does not serve agent "${run.agent}" (it serves ${[...agents.keys()].join(', ') || 'none'}): start a worker with that agent's module`,
      )
    if (treeHash(agent) !== run.treeHash)
      return failed(
        'AGENT_CHANGED',
        `run ${run.runId} was submitted for another definition of agent "${agent.name}" than worker ${executor} has: serve it with the definition it started with, or cancel it and submit it again`,
      )
    return agent
  }
  /** Aborts when the run is cancelled, or this worker declared dead. */
  const watch = (runId: string) => {
    const controller = new AbortController()
    underWay.add(controller)
    const timer = setInterval(() => {
      store.cancelRequested(runId).then(
        (yes) => yes && controller.abort(),
        () => {},
      )
    }, 500)
    return {
      signal: controller.signal,
      done: () => {
        clearInterval(timer)
        underWay.delete(controller)
      },
    }
  }
  /** Traces a run this process ended (a pause for approval is not its end); never fails it. */
  const traceEnd = async (runId: string, result: RunResult): Promise<void> => {
    if (!tracer || !ended(result.status) || result.status === 'awaiting_approval') return
    try {
      await traceRun(store, runId, result, tracer)
    } catch (error) {
      const message = String((error as Error)?.message ?? error).split('\n')[0]
      process.stderr.write(`baton: run ${runId} ended, but its trace could not be made: ${message}\n`)
    }
  }
  const ids = (runId: string) => (kind: string) => (kind === 'run' ? runId : `${kind}_${randomUUID()}`)
  // Calls that wait for approval are decided by the answers stored for them; a call without
  // one waits, and the run pauses `awaiting_approval` until every waiting call has one.
  const approver = async (runId: string) => {
    const answers = await store.answers(runId)
    return (request: { path: string }) => answers.get(request.path)
  }
  const world: BranchWorld = {
    store,
    where,
    rootOf,
    enqueueBranch: async (runId, agent, branchId, depth) => {
      await (await dbosClient()).enqueue(
        {
          queueName: spreadQueue(agent, depth),
          queuePartitionKey: runId,
          workflowName: BRANCH_WORKFLOW,
          workflowID: branchId,
          appVersion: APP_VERSION,
        },
        { runId, branchId },
      )
    },
    unspread: (agent, branchId, depth) =>
      store.requeueWaiting(branchId, spreadQueue(agent, depth), depthQueue(agent, depth)),
    spreadMs: 500,
    ids,
    watch,
    disowned: () => disowned,
    closing: () => closing,
    approve: approver,
  }
  const workflow = runWorkflow({ world, row: runner.row, rootOf, traceEnd, executor: () => executor })

  async function serve(serve: ServeOptions = {}): Promise<{ executorId: string }> {
    checkServe(serve)
    if (served)
      throw new BatonError('INVALID_OPTIONS', 'serve: this process is already a worker (one per process)')
    served = true
    const executorId = serve.executorId ?? `worker_${randomUUID()}`
    executor = executorId
    if (serve.onDeclaredDead) declaredDead = serve.onDeclaredDead
    tracer = serve.tracer
    const { DBOS } = dbos
    DBOS.setConfig({
      name: 'baton',
      systemDatabaseUrl: database,
      applicationVersion: APP_VERSION,
      executorID: executorId,
      logLevel: 'error',
      runAdminServer: false,
      // DBOS would take work from every queue in the database: only the served agents' queues.
      listenQueues: servedQueues(agents.values(), queues),
    })
    DBOS.registerWorkflow(workflow, { name: WORKFLOW })
    DBOS.registerWorkflow(branchWorkflow(world), { name: BRANCH_WORKFLOW })
    await DBOS.launch()
    // Its model calls wait their turn under the same rate limits as every other worker's.
    limits = await DatabaseLimits.open(database)
    shareRateLimits(limits)
    await registerQueues(DBOS, agents.values(), queues, serve.concurrency ?? 8)
    // Runs queued by a Baton before each agent had queues of its own go on the agent's.
    for (const agent of agents.values())
      await store.adoptQueued(queues.queue, agent.name, runQueue(agent.name))
    await store.register(executorId, [...agents.keys()])
    const heartbeatMs = serve.heartbeatMs ?? 1_000
    const staleMs = serve.staleMs ?? 5_000
    timers.push(...livenessTimers({ runner, executorId, heartbeatMs, staleMs, disown }))
    for (const timer of timers) timer.unref()
    return { executorId }
  }

  async function close(): Promise<void> {
    closing = true
    for (const timer of timers) clearInterval(timer)
    if (executor) {
      await dbos.DBOS.shutdown().catch(() => {})
      // Its runs under way are taken over at once, not after staleMs.
      await store.retire(executor).catch(() => {})
      served = false
    }
    if (limits) {
      shareRateLimits(undefined)
      await limits.close()
      limits = undefined
    }
  }

  return { serve, traceEnd, close }
}
