/**
 * @module durable
 * Runs that outlive their process, on DBOS Transact over PostgreSQL. A durable run is a DBOS
 * workflow whose id is the run id, queued on a DBOS queue that workers serve. Its effects go
 * through the durable door: before each one, every line the run emitted so far is stored in the
 * database, so a run taken up again (its worker died) resumes from its stored transcript by step
 * key, without paying for a completed model call again. Steps are keyed by structure, not by
 * the order DBOS would number them in: concurrent tool calls and sub-agents finish in any order.
 * Workers keep a sign of life in the database; exactly one living worker takes over the runs of
 * a worker that stopped showing one.
 */
import { randomUUID } from 'node:crypto'
import { userInfo } from 'node:os'
import type { Agent } from '../agent/index.js'
import { liveEffects } from '../effects/index.js'
import { BatonError } from '../errors/index.js'
import type { Task } from '../goal/index.js'
import { shareRateLimits } from '../limits/index.js'
import { hashText } from '../loop/hash.js'
import { replayStream } from '../replay/replay.js'
import { foldMismatch } from '../run/fold.js'
import { streamRun } from '../run/run.js'
import type { InternalRunOptions, RunResult, RunStream } from '../run/types.js'
import { agentTree, parseTranscript } from '../transcript/index.js'
import {
  BRANCH_DEPTHS,
  BRANCH_WORKFLOW,
  type BranchWorld,
  branchDelegations,
  branchWorkflow,
  chargedKeys,
  endedAgents,
} from './branches.js'
import { follow } from './follow.js'
import { databaseLedger } from './ledger.js'
import { DatabaseLimits } from './limits.js'
import { cancelled, cancelledWaiting, failed, never, superseded } from './outcomes.js'
import { DURABLE_STATUSES, ended } from './status.js'
import { DurableStore, type RunRow, workflowId } from './store.js'
import { notFound, redactUrl } from './store-errors.js'
import { traceRun } from './trace-run.js'
import { databaseIo, durableDoor } from './transcript-io.js'
import type { DurableOptions, DurableRun, DurableRuns, ServeOptions, SubmitOptions } from './types.js'

type Dbos = typeof import('@dbos-inc/dbos-sdk')
type DbosClient = Awaited<ReturnType<Dbos['DBOSClient']['create']>>

const WORKFLOW = 'baton.run'
const APP_VERSION = 'baton-durable-1'
const RUN_ID = /^[A-Za-z0-9_.:-]{1,200}$/

let served = false

/**
 * Connects to the durable runs' database (making Baton's and DBOS's tables there if needed).
 *
 * @example
 * const runs = await durableRuns({ database: process.env.DATABASE_URL!, agents: [researcher] })
 * await runs.serve({ concurrency: 4 })
 * const id = await runs.submit('researcher', 'Compare three vector databases', { runId: 'req-42' })
 * console.log((await runs.result(id)).output)
 */
/** How often a wait reads the database again without being told of a change. */
const POLL_MS = 1_000

/** The end of a spread queue's name: its branches go back to the depth's queue when taken over. */
const SPREAD_QUEUE = /\.s(\d+)$/

export async function durableRuns(options: DurableOptions): Promise<DurableRuns> {
  const { database } = options
  if (typeof database !== 'string' || !/^postgres(ql)?:\/\//.test(database))
    throw new BatonError(
      'INVALID_OPTIONS',
      `durableRuns: database must be a postgresql:// URL, got ${JSON.stringify(database)}`,
    )
  const agents = new Map<string, Agent>()
  for (const agent of options.agents ?? []) agents.set(agent.name, agent)
  const queue = options.queue ?? 'baton'
  const where = redactUrl(database)
  const dbos: Dbos = await import('@dbos-inc/dbos-sdk')
  await quietly(() => dbos.DBOS.migrate(database)).catch((error: unknown) => {
    throw new BatonError('DATABASE', `${where}: ${(error as Error).message}`, { cause: error })
  })
  const store = await DurableStore.open(database)
  let client: DbosClient | undefined
  const dbosClient = async () => (client ??= await dbos.DBOSClient.create({ systemDatabaseUrl: database }))
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

  const agentFor = (agent: string | Agent): Agent => {
    const name = typeof agent === 'string' ? agent : agent.name
    const found = agents.get(name)
    if (!found)
      throw new BatonError(
        'UNKNOWN_AGENT',
        `no agent named ${JSON.stringify(name)} among this process's agents (${[...agents.keys()].join(', ') || 'none'})`,
        { details: { agent: name } },
      )
    return found
  }
  const row = async (runId: string): Promise<RunRow> => {
    const found = await store.get(runId)
    if (!found) throw notFound(runId)
    return found
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

  /** The workflow: one attempt at a run; a run that fails in its worker ends with the error. */
  const runWorkflow = async (input: { runId: string; round?: number }): Promise<RunResult> => {
    try {
      return await attemptRun(input)
    } catch (error) {
      if (disowned || closing) throw error
      const result = failed(
        'INTERNAL',
        `run ${input.runId} failed in worker ${executor}: ${(error as Error).message}`,
      )
      await store.finish(input.runId, result)
      await traceEnd(input.runId, result)
      return result
    }
  }

  /** One attempt at a run, from its stored transcript if an earlier one left any. */
  const attemptRun = async (input: { runId: string; round?: number }): Promise<RunResult> => {
    const { runId, round = 1 } = input
    const submitted = await row(runId)
    if (ended(submitted.status) && submitted.result) return submitted.result
    // A round that a later one replaced (its worker died after the run paused for approval, and
    // the approvals queued the next round): the later round carries the run on, not this one.
    if (round !== submitted.rounds) return superseded(runId, round, submitted.rounds)
    const finish = async (result: RunResult) => {
      await store.finish(runId, result)
      await traceEnd(runId, result)
      return result
    }
    const agent = rootOf(submitted)
    if (!('agents' in agent)) return finish(agent)
    if (submitted.cancelRequested) return finish(cancelled(runId))
    const from = await store.furthestAttempt(runId)
    const approve = await approver(runId)
    const attempt = await store.startAttempt(runId)
    const io = databaseIo(store, runId, attempt)
    if (disowned) return never()
    const watching = watch(runId)
    const signal = watching.signal
    const record = `${where}#${runId}/${attempt}`
    const { budget, vars, prices, model } = submitted.options as SubmitOptions
    const prefix =
      from === undefined
        ? undefined
        : parseTranscript(`${(await store.lines(runId, from)).join('\n')}\n`, `${where}#${runId}/${from}`)
    // A tree with sub-agents spreads them over the workers, and shares its budget through the database.
    const spread =
      agent.agents.length > 0
        ? {
            ledger: databaseLedger(store, runId, chargedKeys(prefix)),
            delegations: branchDelegations(world, runId, submitted.agent, endedAgents(prefix)),
          }
        : undefined
    const keys = spread && ((name: string) => store.nextDelegation(runId, name))
    try {
      let events: RunStream
      let result: Promise<RunResult>
      if (prefix === undefined) {
        const runOptions: InternalRunOptions = {
          record,
          transcriptIo: io,
          effects: durableDoor(liveEffects({ ids: ids(runId) }), io.drain, keys),
          signal,
          deltas: false,
          approve,
          ...spread,
        }
        if (budget) runOptions.budget = budget
        if (vars) runOptions.vars = vars
        if (prices) runOptions.prices = prices
        if (model) runOptions.model = model
        events = streamRun(agent, submitted.task as Task, runOptions)
        result = events.result
      } else {
        const resumed = replayStream(prefix, agent, 'resume', {
          record,
          transcriptIo: io,
          door: (effects) => durableDoor(effects, io.drain, keys),
          inFlightTools: 'report',
          ids: ids(runId),
          signal,
          deltas: false,
          approve,
          ...spread,
          ...(model ? { model } : {}),
        })
        events = resumed.events
        result = resumed.result.then(({ divergences: _, live: __, ...plain }) => plain)
      }
      for await (const _ of events);
      const outcome = await result
      // A worker declared dead stops here: the run's result is for the worker that took it over.
      if (disowned) return never()
      await io.drain()
      // A self-check (the test suite turns it on): the stored transcript says what the run returned.
      if (process.env.BATON_CHECK_FOLD === '1') {
        const stored = parseTranscript(`${(await store.lines(runId, attempt)).join('\n')}\n`, record)
        const problem = foldMismatch({ ...outcome, transcript: record }, stored)
        if (problem) return finish(failed('INTERNAL', problem))
      }
      return finish(JSON.parse(JSON.stringify(outcome)) as RunResult)
    } finally {
      watching.done()
    }
  }

  /** Puts round `round` of a run of `agent` on its queue (again: the same workflow id is one workflow). */
  const enqueue = async (runId: string, agent: string, round: number) => {
    await (await dbosClient()).enqueue(
      {
        queueName: runQueue(agent),
        workflowName: WORKFLOW,
        workflowID: workflowId(runId, round),
        appVersion: APP_VERSION,
      },
      { runId, round },
    )
  }

  // Each agent has its queues, served by the workers that serve it. Its sub-agents of each depth
  // have two: one a worker takes at most one branch of a run from at a time (so siblings go to
  // different workers), and one any worker takes from.
  const runQueue = (agent: string) => `${queue}:${agent}`
  const depthQueue = (agent: string, depth: number) => `${runQueue(agent)}.d${depth}`
  const spreadQueue = (agent: string, depth: number) => `${runQueue(agent)}.s${depth}`

  /** The queue a workflow taken over goes back on: its run's, or its depth's for a sub-agent. */
  const queueAfterTakeover = async (workflowId: string, queueName: string | undefined) => {
    const name = queueName ?? queue
    if (name.startsWith(`${queue}:`)) return name.replace(SPREAD_QUEUE, (_, depth) => `.d${depth}`)
    // A queue of a Baton before each agent had its own (`baton`, `baton.d1`): the agent's now.
    const agent = (await store.get(workflowId.split('>')[0]!.split('#')[0]!))?.agent
    if (agent === undefined) return name
    const depth = /\.[ds](\d+)$/.exec(name)?.[1]
    return depth ? depthQueue(agent, Number(depth)) : runQueue(agent)
  }

  /** The queues of the agents this process serves: their runs', and their sub-agents' of each depth. */
  const servedQueues = () =>
    [...agents.values()].flatMap((agent) => [
      runQueue(agent.name),
      ...Array.from({ length: branchDepths(agent) }, (_, i) => [
        depthQueue(agent.name, i + 1),
        spreadQueue(agent.name, i + 1),
      ]).flat(),
    ])

  const runs: DurableRuns = {
    async submit(agent, task, submit = {}) {
      const definition = agentFor(agent)
      const runId = submit.runId ?? `run_${randomUUID()}`
      if (typeof runId !== 'string' || !RUN_ID.test(runId))
        throw new BatonError(
          'INVALID_OPTIONS',
          `submit: runId must be 1-200 letters, digits, "_", ".", ":" or "-", got ${JSON.stringify(runId)}`,
        )
      const stored: Record<string, unknown> = {}
      for (const key of ['budget', 'vars', 'prices', 'model'] as const)
        if (submit[key] !== undefined) stored[key] = submit[key]
      await store.submit({
        runId,
        agent: definition.name,
        task,
        treeHash: treeHash(definition),
        options: stored,
      })
      // Enqueuing an id that is already there returns the run that has it: submitting twice is harmless.
      await enqueue(runId, definition.name, 1)
      return runId
    },

    async result(runId, { timeoutMs } = {}) {
      const started = Date.now()
      // Told when the run's status changes; read again at least every second regardless.
      const changes = store.changes(runId, ['status'])
      try {
        for (;;) {
          const found = await row(runId)
          if (ended(found.status) && found.result) return found.result
          const left = timeoutMs === undefined ? POLL_MS : timeoutMs - (Date.now() - started)
          if (left < 0)
            throw new BatonError(
              'ABORTED',
              `run ${runId} has not ended after ${timeoutMs} ms (it is ${found.status})`,
            )
          await changes.wait(Math.min(POLL_MS, left + 1))
        }
      } finally {
        changes.close()
      }
    },

    follow: (runId) => follow(store, runId),

    async get(runId) {
      const run = info(await row(runId))
      // A queued run that no living worker serves waits for one: say so.
      if (run.status === 'queued') run.workers = await store.serving(run.agent, 10_000)
      return run
    },
    async list(filter = {}) {
      if (filter.status !== undefined && !DURABLE_STATUSES.includes(filter.status))
        throw new BatonError(
          'INVALID_OPTIONS',
          `list: status must be one of ${DURABLE_STATUSES.join(', ')}, got ${JSON.stringify(filter.status)}`,
        )
      if (filter.limit !== undefined && !(Number.isInteger(filter.limit) && filter.limit > 0))
        throw new BatonError(
          'INVALID_OPTIONS',
          `list: limit must be a whole number, 1 or more, got ${JSON.stringify(filter.limit)}`,
        )
      return (await store.list(filter)).map(info)
    },

    async approve(runId, call, approved, options = {}) {
      if (typeof approved !== 'boolean')
        throw new BatonError(
          'INVALID_OPTIONS',
          `approve: the answer must be true (run the call) or false (refuse it), got ${JSON.stringify(approved)}`,
        )
      const by = options.by ?? userInfo().username
      const { waiting, rounds } = await store.answer(runId, call, approved, by)
      if (rounds !== undefined) await enqueue(runId, (await row(runId)).agent, rounds)
      return { waiting, resumed: rounds !== undefined }
    },

    async cancel(runId) {
      const found = await row(runId)
      // A run that waits for approval has no worker: it ends here, as cancelled.
      if (found.status === 'awaiting_approval' && found.result) {
        const result = cancelledWaiting(found.result)
        if (await store.finishWaiting(runId, result)) return traceEnd(runId, result)
        return runs.cancel(runId)
      }
      if (ended(found.status) || !(await store.requestCancel(runId)))
        throw new BatonError(
          'RUN_FINISHED',
          `run ${runId} has already ended (${found.status}): there is nothing to cancel`,
          {
            details: { runId, status: found.status },
          },
        )
    },

    async transcript(runId) {
      await row(runId)
      const attempt = await store.furthestAttempt(runId)
      if (attempt === undefined) return ''
      const lines = await store.lines(runId, attempt)
      return lines.length ? `${lines.join('\n')}\n` : ''
    },

    async serve(serve = {}) {
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
        listenQueues: servedQueues(),
      })
      DBOS.registerWorkflow(runWorkflow, { name: WORKFLOW })
      DBOS.registerWorkflow(branchWorkflow(world), { name: BRANCH_WORKFLOW })
      await DBOS.launch()
      // Its model calls wait their turn under the same rate limits as every other worker's.
      limits = await DatabaseLimits.open(database)
      shareRateLimits(limits)
      // A worker takes runs of the agents it serves, from their queues only: a run of an agent
      // no worker serves waits for one that does. Sub-agents of each depth have queues of their
      // own, so a parent that waits for its children never holds a place they need; they are
      // polled less often than the runs' queue (each poll is a query, on every worker): a
      // sub-agent starts up to 150 ms later, next to model calls of seconds.
      const workerConcurrency = serve.concurrency ?? 8
      for (const agent of agents.values()) {
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
      // Runs queued by a Baton before each agent had queues of its own go on the agent's.
      for (const agent of agents.values()) await store.adoptQueued(queue, agent.name, runQueue(agent.name))
      await store.register(executorId, [...agents.keys()])
      const heartbeatMs = serve.heartbeatMs ?? 1_000
      const staleMs = serve.staleMs ?? 5_000
      const beat = async () => {
        // Declared dead (silent for too long): other workers run this one's runs now.
        if (!(await store.heartbeat(executorId))) disown()
      }
      // DBOS alone leaves a dead executor's workflows pending until it comes back under the
      // same id: one living worker at a time puts them back on the queue for any worker.
      const takeOver = () =>
        store.takeOver(executorId, staleMs, async (dead) => {
          const dbosNow = await dbosClient()
          const pending = await dbosNow.listWorkflows({
            status: 'PENDING',
            executorId: dead,
            workflowName: [WORKFLOW, BRANCH_WORKFLOW],
          })
          // Back on the queue each came from: a run's, or its depth's for a sub-agent.
          const byQueue = new Map<string, string[]>()
          for (const workflow of pending) {
            const name = await queueAfterTakeover(workflow.workflowID, workflow.queueName)
            byQueue.set(name, [...(byQueue.get(name) ?? []), workflow.workflowID])
          }
          for (const [queueName, ids] of byQueue) await dbosNow.resumeWorkflows(ids, { queueName })
        })
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
      timers.push(
        setInterval(() => beat().catch(() => {}), heartbeatMs),
        setInterval(() => takeOver().catch(() => {}), heartbeatMs),
        setInterval(() => requeue().catch(() => {}), staleMs),
      )
      for (const timer of timers) timer.unref()
      return { executorId }
    },

    async close() {
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
      await client?.destroy().catch(() => {})
      await store.close()
    },
  }
  return runs
}

/** How many levels of an agent's sub-agents run as branches of their own. */
const branchDepths = (agent: Agent): number => Math.min(BRANCH_DEPTHS, treeDepth(agent))

/** How many levels of sub-agents an agent has (0: none). */
function treeDepth(agent: Agent): number {
  return agent.agents.length === 0 ? 0 : 1 + Math.max(...agent.agents.map(treeDepth))
}

/** A hash of the agent tree (names, instructions, tools, schemas, models): what a run was submitted for. */
export function treeHash(agent: Agent): string {
  const instructions = (node: Agent): unknown => [node.instructions, node.agents.map(instructions)]
  return hashText(JSON.stringify([agentTree(agent), instructions(agent)]))
}

function info(row: RunRow): DurableRun {
  const run: DurableRun = {
    runId: row.runId,
    agent: row.agent,
    task: row.task,
    status: row.status,
    attempts: row.attempts,
    submittedAt: row.submittedAt,
    updatedAt: row.updatedAt,
  }
  if (row.result) run.result = row.result
  if (row.status === 'awaiting_approval' && row.result?.pending) run.pending = row.result.pending
  return run
}

/** Runs `work` with DBOS's progress lines to the console held back (a CLI's output stays its own). */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log
  console.log = () => {}
  try {
    return await work()
  } finally {
    console.log = log
  }
}
