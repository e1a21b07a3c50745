/**
 * The runs as submitted (table `baton.runs`): what `submit` stores, each run's status, rounds,
 * attempts and result, and whether it was asked to stop.
 */
import type { RunResult } from '../run/types.js'
import { fromJsonb, toJsonb } from './jsonb.js'
import type { DurableStatus } from './status.js'
import type { StoreDb } from './store-db.js'
import { databaseError, notFound } from './store-errors.js'
import { inTransaction } from './transaction.js'

/** What `submit` stores: plain data a worker on another machine can run. */
export interface RunSubmission {
  runId: string
  agent: string
  task: unknown
  /** A hash of the agent tree the run was submitted for (see `treeHash`). */
  treeHash: string
  options: Record<string, unknown>
}

export interface RunRow extends RunSubmission {
  status: DurableStatus
  /** 1, and one more each time its approvals put it back on the queue (see `workflowId`). */
  rounds: number
  result: RunResult | undefined
  attempts: number
  cancelRequested: boolean
  submittedAt: Date
  updatedAt: Date
}

/** The DBOS workflow of a run's round: the run id for the first, `<run id>#<round>` after approvals. */
export const workflowId = (runId: string, rounds: number): string =>
  rounds === 1 ? runId : `${runId}#${rounds}`

/** Stores a new run; false when a run with this id exists (submitting twice is harmless). */
export async function submitRun(db: StoreDb, run: RunSubmission): Promise<boolean> {
  const inserted = await db.query(
    `INSERT INTO baton.runs (run_id, agent, task, tree_hash, options) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (run_id) DO NOTHING`,
    [run.runId, run.agent, toJsonb(run.task), run.treeHash, toJsonb(run.options)],
  )
  return inserted.rowCount === 1
}

export async function getRun(db: StoreDb, runId: string): Promise<RunRow | undefined> {
  const found = await db.query(`SELECT * FROM baton.runs WHERE run_id = $1`, [runId])
  return found.rows[0] ? rowOf(found.rows[0]) : undefined
}

/** What `list` picks runs by (every field optional). */
export interface RunFilter {
  status?: DurableStatus
  agent?: string
  /** Only runs submitted before this moment: the next page after the oldest run of a page. */
  submittedBefore?: Date
  limit?: number
}

/** Runs, newest first. */
export async function listRuns(db: StoreDb, filter: RunFilter = {}): Promise<RunRow[]> {
  const where: string[] = []
  const values: unknown[] = []
  if (filter.status !== undefined) where.push(`status = $${values.push(filter.status)}`)
  if (filter.agent !== undefined) where.push(`agent = $${values.push(filter.agent)}`)
  if (filter.submittedBefore !== undefined)
    where.push(`submitted_at < $${values.push(filter.submittedBefore)}`)
  const limit = `$${values.push(filter.limit ?? 100)}`
  const found = await db.query(
    `SELECT * FROM baton.runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY submitted_at DESC, run_id DESC LIMIT ${limit}`,
    values,
  )
  return found.rows.map(rowOf)
}

/**
 * Marks the run as taken up by a worker and numbers this attempt (1 for the first); undefined
 * when the run has ended meanwhile (it was cancelled while queued): an ended run never runs again.
 */
export async function startAttempt(db: StoreDb, runId: string): Promise<number | undefined> {
  const updated = await db.query(
    `UPDATE baton.runs SET status = 'running', attempts = attempts + 1, updated_at = now()
     WHERE run_id = $1 AND status IN ('queued', 'running') RETURNING attempts`,
    [runId],
  )
  const attempt = updated.rows[0]?.attempts as number | undefined
  if (attempt === undefined && !(await getRun(db, runId))) throw notFound(runId)
  return attempt
}

/**
 * Stores the run's result. With `attempt`, only while that attempt is the run's newest: one
 * that another worker took over leaves the run to it.
 */
export async function finishRun(
  db: StoreDb,
  runId: string,
  result: RunResult,
  attempt?: number,
): Promise<void> {
  await db.query(
    `UPDATE baton.runs SET status = $2, result = $3, updated_at = now()
     WHERE run_id = $1 AND ($4::int IS NULL OR attempts = $4)`,
    [runId, result.status, toJsonb(result), attempt ?? null],
  )
}

/** Ends a run still queued (no worker has taken it) with `result`; false when it is queued no more. */
export async function finishQueued(db: StoreDb, runId: string, result: RunResult): Promise<boolean> {
  const updated = await db.query(
    `UPDATE baton.runs SET status = $2, result = $3, cancel_requested = true, updated_at = now()
     WHERE run_id = $1 AND status = 'queued' RETURNING run_id`,
    [runId, result.status, toJsonb(result)],
  )
  return updated.rowCount === 1
}

/**
 * Runs queued for longer than `olderThanMs`: the ones whose workflow never reached the queue
 * (the process that queued them died in between) are among them.
 */
export async function longQueued(
  db: StoreDb,
  olderThanMs: number,
): Promise<{ runId: string; agent: string; rounds: number }[]> {
  const found = await db.query(
    `SELECT run_id, agent, rounds FROM baton.runs
     WHERE status = 'queued' AND updated_at < now() - make_interval(secs => $1::float / 1000)
     ORDER BY updated_at LIMIT 100`,
    [olderThanMs],
    db.liveness,
  )
  return found.rows.map((row) => ({
    runId: row.run_id as string,
    agent: row.agent as string,
    rounds: row.rounds as number,
  }))
}

/** Ends a run that waits for approval with `result` (it was cancelled); false when it no longer waits. */
export async function finishWaiting(db: StoreDb, runId: string, result: RunResult): Promise<boolean> {
  const updated = await db.query(
    `UPDATE baton.runs SET status = $2, result = $3, updated_at = now()
     WHERE run_id = $1 AND status = 'awaiting_approval' RETURNING run_id`,
    [runId, result.status, toJsonb(result)],
  )
  return updated.rowCount === 1
}

/** Asks the run to stop; false when it has already ended. */
export async function requestCancel(db: StoreDb, runId: string): Promise<boolean> {
  const updated = await db.query(
    `UPDATE baton.runs SET cancel_requested = true, updated_at = now()
     WHERE run_id = $1 AND status IN ('queued', 'running') RETURNING run_id`,
    [runId],
  )
  return updated.rowCount === 1
}

export async function cancelRequested(db: StoreDb, runId: string): Promise<boolean> {
  const found = await db.query(`SELECT cancel_requested FROM baton.runs WHERE run_id = $1`, [runId])
  return found.rows[0]?.cancel_requested === true
}

function rowOf(row: Record<string, unknown>): RunRow {
  return {
    runId: row.run_id as string,
    agent: row.agent as string,
    task: fromJsonb(row.task),
    treeHash: row.tree_hash as string,
    options: fromJsonb<Record<string, unknown> | null>(row.options) ?? {},
    status: row.status as DurableStatus,
    result: fromJsonb<RunResult | null>(row.result) ?? undefined,
    attempts: row.attempts as number,
    rounds: row.rounds as number,
    cancelRequested: row.cancel_requested as boolean,
    submittedAt: row.submitted_at as Date,
    updatedAt: row.updated_at as Date,
  }
}

/** Statuses of runs that are over for good (a run waiting for approval may still go on). */
const PRUNABLE: DurableStatus[] = ['done', 'goal_failed', 'budget_exceeded', 'stalled', 'aborted', 'error']

/** Up to `limit` runs that ended before `endedBefore`, the oldest first, with their rounds. */
export async function prunableRuns(
  db: StoreDb,
  endedBefore: Date,
  limit: number,
): Promise<{ runId: string; rounds: number }[]> {
  const found = await db.query(
    `SELECT run_id, rounds FROM baton.runs WHERE status = ANY($1) AND updated_at < $2
     ORDER BY updated_at, run_id LIMIT $3`,
    [PRUNABLE, endedBefore, limit],
  )
  return found.rows.map((row) => ({ runId: row.run_id as string, rounds: row.rounds as number }))
}

/**
 * Deletes ended runs and everything stored for them: their lines and their sub-agents' (branches),
 * approvals, charges, holds and counters. A run that is no longer ended (none can be, but the
 * check is in the statement) is kept. Returns the ids deleted.
 */
export async function deleteRuns(db: StoreDb, runIds: string[]): Promise<string[]> {
  if (runIds.length === 0) return []
  return inTransaction(db.pool, async (client) => {
    const gone = await client.query(
      `DELETE FROM baton.runs WHERE run_id = ANY($1) AND status = ANY($2) RETURNING run_id`,
      [runIds, PRUNABLE],
    )
    const ids = gone.rows.map((row) => row.run_id as string)
    if (ids.length === 0) return ids
    const branches = await client.query(
      `DELETE FROM baton.branches WHERE run_id = ANY($1) RETURNING branch_id`,
      [ids],
    )
    const lineIds = [...ids, ...branches.rows.map((row) => row.branch_id as string)]
    await client.query(`DELETE FROM baton.lines WHERE run_id = ANY($1)`, [lineIds])
    for (const table of ['approvals', 'charges', 'holds', 'counters'])
      await client.query(`DELETE FROM baton.${table} WHERE run_id = ANY($1)`, [ids])
    return ids
  }).catch((error: unknown) => {
    throw databaseError(error, db.where)
  })
}
