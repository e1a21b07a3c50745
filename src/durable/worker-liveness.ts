/**
 * A worker's timers: its sign of life in the database, the takeover of the runs of workers that
 * stopped showing one (one living worker at a time), and the queueing again of runs whose
 * workflow never reached DBOS's queue.
 */
import { BRANCH_WORKFLOW } from './branches.js'
import { queueAfterTakeover } from './queues.js'
import { type Runner, WORKFLOW } from './runner.js'
import { workflowId } from './store.js'

export interface WorkerLiveness {
  readonly runner: Runner
  readonly executorId: string
  /** How often the worker says it is alive. */
  readonly heartbeatMs: number
  /** A worker silent for this long is dead: its runs are taken over. */
  readonly staleMs: number
  /** Called when this worker finds it was declared dead. */
  disown(): void
}

/** Starts the worker's timers (not yet unref'd); the caller clears them when it stops. */
export function livenessTimers({
  runner,
  executorId,
  heartbeatMs,
  staleMs,
  disown,
}: WorkerLiveness): NodeJS.Timeout[] {
  const { store, dbosClient, queues, enqueue } = runner
  // Since when (this process's monotonic clock) every sign of life of this worker reached the
  // database; undefined while they fail. Trusted from the start: the worker just registered.
  let connectedSince: number | undefined = performance.now() - staleMs
  const beat = async () => {
    let alive: boolean
    try {
      alive = await store.heartbeat(executorId)
    } catch (error) {
      connectedSince = undefined
      throw error
    }
    connectedSince ??= performance.now()
    // Declared dead (silent for too long): other workers run this one's runs now.
    if (!alive) disown()
  }
  // DBOS alone leaves a dead executor's workflows pending until it comes back under the
  // same id: one living worker at a time puts them back on the queue for any worker. A worker
  // that was cut off from the database judges nobody until it has been back for staleMs: the
  // others were cut off too, most likely, and need the time to show their signs of life again.
  const takeOver = async () => {
    if (connectedSince === undefined || performance.now() - connectedSince < staleMs) return
    await store.takeOver(executorId, staleMs, async (dead) => {
      const dbosNow = await dbosClient()
      const pending = await dbosNow.listWorkflows({
        status: 'PENDING',
        executorId: dead,
        workflowName: [WORKFLOW, BRANCH_WORKFLOW],
      })
      // Back on the queue each came from: a run's, or its depth's for a sub-agent.
      const byQueue = new Map<string, string[]>()
      for (const workflow of pending) {
        const name = await queueAfterTakeover(store, queues, workflow.workflowID, workflow.queueName)
        byQueue.set(name, [...(byQueue.get(name) ?? []), workflow.workflowID])
      }
      for (const [queueName, ids] of byQueue) await dbosNow.resumeWorkflows(ids, { queueName })
    })
  }
  // A run queued in the database whose workflow never reached DBOS's queue (the process that
  // queued it died in between) is queued again; enqueuing is idempotent by workflow id.
  const requeue = async () => {
    const waiting = await store.longQueued(staleMs)
    if (waiting.length === 0) return
    const ids = waiting.map(({ runId, rounds }) => workflowId(runId, rounds))
    const known = new Set(
      (await (await dbosClient()).listWorkflows({ workflowIDs: ids })).map((w) => w.workflowID),
    )
    for (const { runId, agent, rounds } of waiting)
      if (!known.has(workflowId(runId, rounds))) await enqueue(runId, agent, rounds)
  }
  return [
    setInterval(() => beat().catch(() => {}), heartbeatMs),
    setInterval(() => takeOver().catch(() => {}), heartbeatMs),
    setInterval(() => requeue().catch(() => {}), staleMs),
  ]
}
