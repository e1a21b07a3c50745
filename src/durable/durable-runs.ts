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
 *
 * This file connects and answers the calls of any process (submit, wait, list, approve,
 * cancel); worker.ts serves, run-workflow.ts runs a run, queues.ts names the queues.
 */
import { randomUUID } from 'node:crypto'
import { userInfo } from 'node:os'
import { type Agent, isAgent } from '../agent/index.js'
import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import { follow } from './follow.js'
import { lostDatabase } from './outage.js'
import { cancelled, cancelledWaiting } from './outcomes.js'
import { agentQueues } from './queues.js'
import { APP_VERSION, type Dbos, type DbosClient, type Runner, WORKFLOW } from './runner.js'
import { DURABLE_STATUSES, ended } from './status.js'
import { DurableStore, type RunRow, workflowId } from './store.js'
import { databaseError, notFound, redactUrl } from './store-errors.js'
import type { RunFilter } from './store-runs.js'
import { treeHash } from './tree-hash.js'
import type { DurableOptions, DurableRun, DurableRuns, ListFilter } from './types.js'
import { durableWorker } from './worker.js'

const RUN_ID = /^[A-Za-z0-9_.:-]{1,200}$/
/** Runs deleted in one go by `prune`. */
const PRUNE_BATCH = 500

/** `list`'s filter checked, with its moment as a Date. */
function listFilter(given: unknown): RunFilter {
  const bad = (message: string) => new BatonError('INVALID_OPTIONS', `list: ${message}`)
  if (given === null || typeof given !== 'object')
    throw bad(`the filter must be an object, got ${describe(given)}`)
  const { status, agent, submittedBefore, limit, ...rest } = given as ListFilter
  const unknown = Object.keys(rest)
  if (unknown.length)
    throw bad(`unknown filter ${JSON.stringify(unknown[0])} (known: status, agent, submittedBefore, limit)`)
  const filter: RunFilter = {}
  if (status !== undefined) {
    if (!DURABLE_STATUSES.includes(status))
      throw bad(`status must be one of ${DURABLE_STATUSES.join(', ')}, got ${JSON.stringify(status)}`)
    filter.status = status
  }
  if (agent !== undefined) {
    if (typeof agent !== 'string' || agent === '')
      throw bad(`agent must be an agent's name, got ${describe(agent)}`)
    filter.agent = agent
  }
  if (submittedBefore !== undefined) {
    const at = submittedBefore instanceof Date ? submittedBefore.getTime() : submittedBefore
    if (typeof at !== 'number' || !Number.isFinite(at) || Math.abs(at) > 8.64e15)
      throw bad(`submittedBefore must be a Date or epoch milliseconds, got ${describe(submittedBefore)}`)
    filter.submittedBefore = new Date(at)
  }
  if (limit !== undefined) {
    if (!(Number.isSafeInteger(limit) && limit > 0))
      throw bad(`limit must be a whole number, 1 or more, got ${JSON.stringify(limit)}`)
    filter.limit = limit
  }
  return filter
}

/** `prune`'s options checked: the moment as a Date, and the most runs to delete. */
function pruneOptions(given: unknown): { endedBefore: Date; limit: number } {
  const bad = (message: string) => new BatonError('INVALID_OPTIONS', `prune: ${message}`)
  if (typeof given !== 'object' || given === null)
    throw bad(`options must be { endedBefore }, got ${describe(given)}`)
  const { endedBefore, limit, ...rest } = given as { endedBefore?: unknown; limit?: unknown }
  const unknown = Object.keys(rest)
  if (unknown.length) throw bad(`unknown option ${JSON.stringify(unknown[0])} (known: endedBefore, limit)`)
  const at =
    endedBefore instanceof Date
      ? endedBefore.getTime()
      : typeof endedBefore === 'number'
        ? endedBefore
        : Number.NaN
  if (!Number.isFinite(at) || Math.abs(at) > 8.64e15)
    throw bad(`endedBefore must be a Date or epoch milliseconds, got ${describe(endedBefore)}`)
  if (limit !== undefined && !(Number.isSafeInteger(limit) && (limit as number) >= 1))
    throw bad(`limit must be a whole number of runs, 1 or more, got ${describe(limit)}`)
  return { endedBefore: new Date(at), limit: (limit as number | undefined) ?? Number.MAX_SAFE_INTEGER }
}

/** How often a wait reads the database again without being told of a change. */
const POLL_MS = 1_000

// What durableRuns takes (DurableOptions): anything else is a mistake, never a silent no-op.
const OPTION_KEYS = ['database', 'agents', 'queue']

/**
 * Connects to the durable runs' database (making Baton's and DBOS's tables there if needed).
 *
 * @example
 * const runs = await durableRuns({ database: process.env.DATABASE_URL!, agents: [researcher] })
 * await runs.serve({ concurrency: 4 })
 * const id = await runs.submit('researcher', 'Compare three vector databases', { runId: 'req-42' })
 * console.log((await runs.result(id)).output)
 */
export async function durableRuns(options: DurableOptions): Promise<DurableRuns> {
  const fail = (message: string) => new BatonError('INVALID_OPTIONS', `durableRuns: ${message}`)
  if (typeof options !== 'object' || options === null)
    throw fail(`options must be an object { database, agents }, got ${describe(options)}`)
  for (const key of Object.keys(options))
    if (!OPTION_KEYS.includes(key))
      throw fail(`unknown option ${JSON.stringify(key)} (known: ${OPTION_KEYS.join(', ')})`)
  const { database } = options
  if (typeof database !== 'string' || !/^postgres(ql)?:\/\//.test(database))
    throw fail(
      `database must be a postgresql:// URL, got ${JSON.stringify(typeof database === 'string' ? redactUrl(database) : database)}`,
    )
  if (!URL.canParse(database))
    throw fail(
      `database is not a valid URL: ${redactUrl(database)} (check its host and port, and percent-encode the characters of the user name and password that a URL reserves: @ as %40, : as %3A, / as %2F, # as %23, ? as %3F)`,
    )
  if (options.agents !== undefined && !Array.isArray(options.agents))
    throw fail(`agents must be an array of agents made by defineAgent, got ${describe(options.agents)}`)
  const agents = new Map<string, Agent>()
  for (const [i, agent] of (options.agents ?? []).entries()) {
    if (!isAgent(agent))
      throw fail(`agents[${i}] must be an agent made by defineAgent, got ${describe(agent)}`)
    // Runs are submitted by agent name: two agents of one name would take each other's runs.
    if (agents.has(agent.name) && agents.get(agent.name) !== agent)
      throw fail(`agents[${i}]: two different agents are named ${JSON.stringify(agent.name)}`)
    agents.set(agent.name, agent)
  }
  if (options.queue !== undefined && (typeof options.queue !== 'string' || options.queue === ''))
    throw fail(`queue must be a non-empty string, got ${describe(options.queue)}`)
  const queue = options.queue ?? 'baton'
  const where = redactUrl(database)
  const dbos: Dbos = await import('@dbos-inc/dbos-sdk')
  await quietly(() => dbos.DBOS.migrate(database)).catch((error: unknown) => {
    throw databaseError(error, where, database)
  })
  const store = await DurableStore.open(database)
  let client: DbosClient | undefined
  const dbosClient = async () => (client ??= await dbos.DBOSClient.create({ systemDatabaseUrl: database }))
  const queues = agentQueues(queue)

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

  /** Puts round `round` of a run of `agent` on its queue (again: the same workflow id is one workflow). */
  const enqueue = async (runId: string, agent: string, round: number) => {
    await (await dbosClient()).enqueue(
      {
        queueName: queues.runQueue(agent),
        workflowName: WORKFLOW,
        workflowID: workflowId(runId, round),
        appVersion: APP_VERSION,
      },
      { runId, round },
    )
  }

  const runner: Runner = { database, where, agents, dbos, store, queues, dbosClient, row, enqueue }
  const worker = durableWorker(runner)

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
      // A timeout that is not a number would poll the database every millisecond, for ever.
      if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0))
        throw new BatonError(
          'INVALID_OPTIONS',
          `result: options.timeoutMs must be a number of milliseconds (0 or more), got ${describe(timeoutMs)}`,
          { details: { field: 'timeoutMs' } },
        )
      const started = Date.now()
      // Told when the run's status changes; read again at least every second regardless.
      const changes = store.changes(runId, ['status'])
      try {
        for (;;) {
          const left = timeoutMs === undefined ? POLL_MS : timeoutMs - (Date.now() - started)
          // A database restarted meanwhile is waited out, as the run itself waits it out.
          const found = await row(runId).catch((error: unknown) => {
            if (left < 0 || !lostDatabase(error)) throw error
            return undefined
          })
          if (found && ended(found.status) && found.result) return found.result
          if (left < 0)
            throw new BatonError(
              'ABORTED',
              `run ${runId} has not ended after ${timeoutMs} ms (it is ${found?.status ?? 'unknown: the database does not answer'})`,
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
      return (await store.list(listFilter(filter))).map(info)
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
        if (await store.finishWaiting(runId, result)) return worker.traceEnd(runId, result)
        return runs.cancel(runId)
      }
      // A queued run has no worker either (none may ever come for its agent): it ends here. A
      // worker that dequeues it afterwards finds it ended and leaves it.
      if (found.status === 'queued') {
        if (await store.finishQueued(runId, cancelled(runId, found.rounds > 1))) return
        return runs.cancel(runId)
      }
      if (ended(found.status) || !(await store.requestCancel(runId))) {
        const status = ended(found.status) ? found.status : (await row(runId)).status
        throw new BatonError(
          'RUN_FINISHED',
          `run ${runId} has already ended (${status}): there is nothing to cancel`,
          {
            details: { runId, status },
          },
        )
      }
    },

    async transcript(runId) {
      await row(runId)
      const attempt = await store.furthestAttempt(runId)
      if (attempt === undefined) return ''
      const lines = await store.lines(runId, attempt)
      return lines.length ? `${lines.join('\n')}\n` : ''
    },

    async prune(options) {
      const { endedBefore, limit } = pruneOptions(options)
      const runIds: string[] = []
      while (runIds.length < limit) {
        const batch = await store.prunable(endedBefore, Math.min(PRUNE_BATCH, limit - runIds.length))
        if (batch.length === 0) break
        // The engine's workflows first: a run whose rows outlive them is still a whole ended run.
        const workflows: string[] = []
        for (const { runId, rounds } of batch) {
          for (let round = 1; round <= rounds; round++) workflows.push(workflowId(runId, round))
          workflows.push(...(await store.branches(runId)))
        }
        await (await dbosClient()).deleteWorkflows(workflows, true)
        runIds.push(...(await store.deleteRuns(batch.map((run) => run.runId))))
        if (batch.length < PRUNE_BATCH) break
      }
      return { runIds }
    },

    serve: (serve) => worker.serve(serve),

    async close() {
      await worker.close()
      await client?.destroy().catch(() => {})
      await store.close()
    },
  }
  return runs
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
  const { log, warn } = console
  // Its warnings too: an unreachable database is the error this throws, said once.
  console.log = () => {}
  console.warn = () => {}
  try {
    return await work()
  } finally {
    console.log = log
    console.warn = warn
  }
}
