/**
 * Baton's tables in the durable runs' database (schema `baton`), beside DBOS's own: the runs as
 * submitted, their transcripts line by line (one set of lines per attempt: a run taken up again
 * after its worker died writes a new, complete transcript), and the workers' signs of life.
 *
 * `DurableStore` is the one door to them: it connects, makes (or checks) the tables and hands
 * each call to the queries of its table, one file each (store-runs.ts, store-approvals.ts,
 * store-queues.ts, store-branches.ts, store-ledger.ts, store-lines.ts, store-workers.ts).
 */
import type { Pool } from 'pg'
import type { BudgetState } from '../budget/budget.js'
import { BatonError } from '../errors/index.js'
import type { PendingApproval } from '../events/index.js'
import type { RunResult } from '../run/types.js'
import { ChangeFeed, type ChangeKind, type Changes } from './change-feed.js'
import { META, SCHEMA, SCHEMA_VERSION } from './schema.js'
import { answerApproval, approvalAnswers } from './store-approvals.js'
import {
  addBranch,
  type BranchRow,
  branchIds,
  branchStates,
  finishBranch,
  getBranch,
  nextDelegation,
  startBranchAttempt,
} from './store-branches.js'
import { type StoreDb, storeDb } from './store-db.js'
import { databaseError, redactUrl } from './store-errors.js'
import { type LedgerChange, updateLedger } from './store-ledger.js'
import { appendLines, attemptLines, everyAttempt, furthestAttempt, latestAttempt } from './store-lines.js'
import { adoptQueued, requeueWaiting } from './store-queues.js'
import {
  cancelRequested,
  deleteRuns,
  finishQueued,
  finishRun,
  finishWaiting,
  getRun,
  listRuns,
  longQueued,
  prunableRuns,
  type RunFilter,
  type RunRow,
  type RunSubmission,
  requestCancel,
  startAttempt,
  submitRun,
} from './store-runs.js'
import { heartbeat, registerWorker, retireWorker, servingWorkers, takeOver } from './store-workers.js'
import { inTransaction } from './transaction.js'

export type { BranchRow } from './store-branches.js'
export type { LedgerChange } from './store-ledger.js'
export { type RunRow, type RunSubmission, workflowId } from './store-runs.js'

export class DurableStore {
  /** Told of changes to runs (see `changes`); made at the first wait. */
  private feed: ChangeFeed | undefined
  /** The pools and the query each table's queries use. */
  private readonly db: StoreDb

  private constructor(
    readonly pool: Pool,
    /** Connections of their own for signs of life: busy runs must not hold them up. */
    private readonly liveness: Pool,
    private readonly where: string,
    private readonly url: string,
  ) {
    this.db = storeDb(pool, liveness, where)
  }

  /**
   * Changes of run `runId` and of its sub-agents from now on, of the kinds asked for, as
   * PostgreSQL tells them (`LISTEN`): `wait(ms)` resolves at the next one, or after `ms` (a
   * notification can be missed while the listening connection is down, so callers read again
   * at least that often).
   */
  changes(runId: string, kinds: readonly ChangeKind[]): Changes {
    this.feed ??= new ChangeFeed(this.url)
    return this.feed.subscribe(runId, kinds)
  }

  /** Connects and makes (or checks) Baton's tables. */
  static async open(url: string): Promise<DurableStore> {
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ connectionString: url, max: 8 })
    const liveness = new pg.Pool({ connectionString: url, max: 2 })
    // An idle connection the server drops must not take the process down with it.
    pool.on('error', () => {})
    liveness.on('error', () => {})
    const store = new DurableStore(pool, liveness, redactUrl(url), url)
    try {
      await inTransaction(pool, async (client) => {
        // Workers starting together make the tables one at a time.
        await client.query('SELECT pg_advisory_xact_lock(7160245)')
        await client.query(META)
        const found = await client.query<{ value: string }>(
          `SELECT value FROM baton.meta WHERE key = 'schema'`,
        )
        const version = found.rows[0]?.value
        if (version !== undefined && !(Number(version) <= SCHEMA_VERSION))
          throw new BatonError(
            'DATABASE',
            `${store.where}: Baton's tables there are at schema version ${version}, and this Baton uses version ${SCHEMA_VERSION}: use the Baton version that made them, or another database`,
            { details: { found: version, expected: SCHEMA_VERSION } },
          )
        await client.query(SCHEMA)
        await client.query(
          `INSERT INTO baton.meta (key, value) VALUES ('schema', $1)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [String(SCHEMA_VERSION)],
        )
      })
    } catch (error) {
      await Promise.all([pool.end(), liveness.end()]).catch(() => {})
      throw databaseError(error, store.where, url)
    }
    return store
  }

  /** Whether the database answers now. */
  async reachable(): Promise<boolean> {
    return this.pool.query('SELECT 1').then(
      () => true,
      () => false,
    )
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.liveness.end(), this.feed?.close()])
  }

  // The runs (store-runs.ts).

  /** Stores a new run; false when a run with this id exists (submitting twice is harmless). */
  submit(run: RunSubmission): Promise<boolean> {
    return submitRun(this.db, run)
  }

  get(runId: string): Promise<RunRow | undefined> {
    return getRun(this.db, runId)
  }

  /** Runs, newest first. */
  list(filter: RunFilter = {}): Promise<RunRow[]> {
    return listRuns(this.db, filter)
  }

  /** Up to `limit` runs that ended for good before `endedBefore`, the oldest first. */
  prunable(endedBefore: Date, limit: number): Promise<{ runId: string; rounds: number }[]> {
    return prunableRuns(this.db, endedBefore, limit)
  }

  /** Deletes ended runs and all that is stored for them; returns the ids deleted. */
  deleteRuns(runIds: string[]): Promise<string[]> {
    return deleteRuns(this.db, runIds)
  }

  /** Marks the run as taken up by a worker and numbers this attempt (1 for the first); undefined when it has ended. */
  startAttempt(runId: string): Promise<number | undefined> {
    return startAttempt(this.db, runId)
  }

  /** Stores the run's result; with `attempt`, only while that attempt is the run's newest. */
  finish(runId: string, result: RunResult, attempt?: number): Promise<void> {
    return finishRun(this.db, runId, result, attempt)
  }

  /** Ends a run still queued with `result` (it was cancelled); false when it is queued no more. */
  finishQueued(runId: string, result: RunResult): Promise<boolean> {
    return finishQueued(this.db, runId, result)
  }

  /** Runs queued for longer than `olderThanMs` (their workflow may never have reached the queue). */
  longQueued(olderThanMs: number): Promise<{ runId: string; agent: string; rounds: number }[]> {
    return longQueued(this.db, olderThanMs)
  }

  /** Ends a run that waits for approval with `result` (it was cancelled); false when it no longer waits. */
  finishWaiting(runId: string, result: RunResult): Promise<boolean> {
    return finishWaiting(this.db, runId, result)
  }

  /** Asks the run to stop; false when it has already ended. */
  requestCancel(runId: string): Promise<boolean> {
    return requestCancel(this.db, runId)
  }

  cancelRequested(runId: string): Promise<boolean> {
    return cancelRequested(this.db, runId)
  }

  // The answers to calls waiting for approval (store-approvals.ts).

  /** Stores the answer to a waiting call; when none waits any more, queues the run's next round. */
  answer(
    runId: string,
    call: string,
    approved: boolean,
    by: string,
  ): Promise<{ waiting: PendingApproval[]; rounds: number | undefined }> {
    return answerApproval(this.db, runId, call, approved, by)
  }

  /** The answers given to a run's waiting calls, by step key, with who gave each. */
  answers(runId: string): Promise<Map<string, { approved: boolean; by: string }>> {
    return approvalAnswers(this.db, runId)
  }

  // Workflows waiting on DBOS's queues (store-queues.ts).

  /** Moves a workflow that still waits on queue `from` to queue `to`; false when a worker took it first. */
  requeueWaiting(workflowId: string, from: string, to: string): Promise<boolean> {
    return requeueWaiting(this.db, workflowId, from, to)
  }

  /** Moves `agent`'s runs waiting on the queues of an older Baton (`<prefix>…`) to its own; how many moved. */
  adoptQueued(prefix: string, agent: string, to: string): Promise<number> {
    return adoptQueued(this.db, prefix, agent, to)
  }

  // Sub-agents' branches (store-branches.ts).

  /** Stores a sub-agent's branch as its parent asked for it; false when it is there already. */
  addBranch(branchId: string, runId: string, path: string, request: unknown): Promise<boolean> {
    return addBranch(this.db, branchId, runId, path, request)
  }

  branch(branchId: string): Promise<BranchRow | undefined> {
    return getBranch(this.db, branchId)
  }

  /** The ids of a run's branches, oldest first. */
  branches(runId: string): Promise<string[]> {
    return branchIds(this.db, runId)
  }

  /** The branches of a run with whether each has ended, oldest first. */
  branchStates(runId: string): Promise<{ branchId: string; ended: boolean }[]> {
    return branchStates(this.db, runId)
  }

  /** Numbers an attempt at a branch (1 for the first). */
  startBranchAttempt(branchId: string): Promise<number> {
    return startBranchAttempt(this.db, branchId)
  }

  /** Stores how a branch ended; with `attempt`, only while that attempt is the branch's newest. */
  finishBranch(branchId: string, outcome: unknown, attempt?: number): Promise<void> {
    return finishBranch(this.db, branchId, outcome, attempt)
  }

  /** The next number of `agents/<name>/<n>` in a run, shared by every worker that runs its agents. */
  nextDelegation(runId: string, name: string): Promise<number> {
    return nextDelegation(this.db, runId, name)
  }

  // The run's budget tree (store-ledger.ts).

  /** Runs `work` on a run's budget under the run's lock, with what each of `paths` has used and holds. */
  ledger<T>(
    runId: string,
    paths: readonly string[],
    work: (loaded: Map<string, BudgetState>) => LedgerChange<T>,
  ): Promise<T> {
    return updateLedger(this.db, runId, paths, work)
  }

  // Transcripts, line by line (store-lines.ts).

  /** The attempt whose transcript got furthest (most lines), if any wrote one. */
  furthestAttempt(runId: string): Promise<number | undefined> {
    return furthestAttempt(this.db, runId)
  }

  /** The newest attempt that wrote lines, if any. */
  latestAttempt(runId: string): Promise<number | undefined> {
    return latestAttempt(this.db, runId)
  }

  /** An attempt's lines from line `from` on (0 is the header), in order. */
  lines(runId: string, attempt: number, from = 0): Promise<string[]> {
    return attemptLines(this.db, runId, attempt, from)
  }

  /** Every attempt's transcript of a run and of each of its sub-agents' branches, each in order. */
  everyAttempt(runId: string): Promise<{ id: string; attempt: number; lines: string[] }[]> {
    return everyAttempt(this.db, runId)
  }

  /** Appends lines `first`, `first + 1`, … of an attempt's transcript. */
  appendLines(runId: string, attempt: number, first: number, lines: readonly string[]): Promise<void> {
    return appendLines(this.db, runId, attempt, first, lines)
  }

  // The workers' signs of life (store-workers.ts).

  /** Registers a worker as alive. */
  register(executorId: string, agents: readonly string[]): Promise<void> {
    return registerWorker(this.db, executorId, agents)
  }

  /** How many workers serving `agent` showed a sign of life in the last `withinMs`. */
  serving(agent: string, withinMs: number): Promise<number> {
    return servingWorkers(this.db, agent, withinMs)
  }

  /** Says this worker is still alive; false when it was declared dead (its runs were taken over). */
  heartbeat(executorId: string): Promise<boolean> {
    return heartbeat(this.db, executorId)
  }

  /** Takes over the runs of the workers not seen for `staleMs`, one caller at a time: `resume` gets their ids. */
  takeOver(by: string, staleMs: number, resume: (dead: string[]) => Promise<void>): Promise<string[]> {
    return takeOver(this.db, by, staleMs, resume)
  }

  /** A worker that stops: marked silent since forever, so a living worker takes over its runs at once. */
  retire(executorId: string): Promise<void> {
    return retireWorker(this.db, executorId)
  }
}
