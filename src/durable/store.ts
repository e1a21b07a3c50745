/**
 * Baton's tables in the durable runs' database (schema `baton`), beside DBOS's own: the runs as
 * submitted, their transcripts line by line (one set of lines per attempt: a run taken up again
 * after its worker died writes a new, complete transcript), and the workers' signs of life.
 */
import type { Pool, PoolClient } from 'pg'
import { type BudgetState, type BudgetUsage, emptyUsage, type Reservation } from '../budget/budget.js'
import { BatonError } from '../errors/index.js'
import type { PendingApproval } from '../events/index.js'
import type { RunResult } from '../run/types.js'
import { ChangeFeed, type ChangeKind, type Changes } from './change-feed.js'
import { META, SCHEMA, SCHEMA_VERSION } from './schema.js'
import type { DurableStatus } from './status.js'
import { databaseError, noSuchApproval, notFound, redactUrl } from './store-errors.js'
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

/** A sub-agent's branch of a run: what its parent asked for, and how it ended. */
export interface BranchRow {
  branchId: string
  runId: string
  path: string
  request: unknown
  /** Set once it has ended. */
  outcome: unknown
  attempts: number
}

export class DurableStore {
  /** Told of changes to runs (see `changes`); made at the first wait. */
  private feed: ChangeFeed | undefined

  private constructor(
    readonly pool: Pool,
    /** Connections of their own for signs of life: busy runs must not hold them up. */
    private readonly liveness: Pool,
    private readonly where: string,
    private readonly url: string,
  ) {}

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
      await store.transaction(pool, async (client) => {
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
      throw databaseError(error, store.where)
    }
    return store
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.liveness.end(), this.feed?.close()])
  }

  /** Stores a new run; false when a run with this id exists (submitting twice is harmless). */
  async submit(run: RunSubmission): Promise<boolean> {
    const inserted = await this.query(
      `INSERT INTO baton.runs (run_id, agent, task, tree_hash, options) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run_id) DO NOTHING`,
      [run.runId, run.agent, JSON.stringify(run.task), run.treeHash, JSON.stringify(run.options)],
    )
    return inserted.rowCount === 1
  }

  async get(runId: string): Promise<RunRow | undefined> {
    const found = await this.query(`SELECT * FROM baton.runs WHERE run_id = $1`, [runId])
    return found.rows[0] ? rowOf(found.rows[0]) : undefined
  }

  /** Runs, newest first. */
  async list(filter: { status?: DurableStatus; limit?: number } = {}): Promise<RunRow[]> {
    const limit = filter.limit ?? 100
    const found = filter.status
      ? await this.query(`SELECT * FROM baton.runs WHERE status = $1 ORDER BY submitted_at DESC LIMIT $2`, [
          filter.status,
          limit,
        ])
      : await this.query(`SELECT * FROM baton.runs ORDER BY submitted_at DESC LIMIT $1`, [limit])
    return found.rows.map(rowOf)
  }

  /** Marks the run as taken up by a worker and numbers this attempt (1 for the first). */
  async startAttempt(runId: string): Promise<number> {
    const updated = await this.query(
      `UPDATE baton.runs SET status = 'running', attempts = attempts + 1, updated_at = now()
       WHERE run_id = $1 RETURNING attempts`,
      [runId],
    )
    const attempt = updated.rows[0]?.attempts as number | undefined
    if (attempt === undefined) throw notFound(runId)
    return attempt
  }

  async finish(runId: string, result: RunResult): Promise<void> {
    await this.query(`UPDATE baton.runs SET status = $2, result = $3, updated_at = now() WHERE run_id = $1`, [
      runId,
      result.status,
      JSON.stringify(result),
    ])
  }

  /**
   * Stores the answer to a call waiting for approval (by its call id or step key) and, when no
   * call waits any more, puts the run back on the queue: `rounds` is then its new round.
   */
  async answer(
    runId: string,
    call: string,
    approved: boolean,
    by: string,
  ): Promise<{ waiting: PendingApproval[]; rounds: number | undefined }> {
    return this.transaction(this.pool, async (client) => {
      const found = await client.query(`SELECT status, result FROM baton.runs WHERE run_id = $1 FOR UPDATE`, [
        runId,
      ])
      const run = found.rows[0] as { status: DurableStatus; result: RunResult | null } | undefined
      if (!run) throw notFound(runId)
      if (run.status !== 'awaiting_approval')
        throw noSuchApproval(runId, `run ${runId} is not waiting for approval (it is ${run.status})`)
      const pending = run.result?.pending ?? []
      const matches = pending.filter((p) => p.callId === call || p.path === call)
      const listed = pending.map((p) => `${p.callId} (${p.tool}, ${p.path})`).join(', ')
      if (matches.length === 0)
        throw noSuchApproval(
          runId,
          `run ${runId} has no call ${JSON.stringify(call)} waiting for approval; waiting: ${listed}`,
        )
      if (matches.length > 1)
        throw noSuchApproval(
          runId,
          `run ${runId} has more than one call ${JSON.stringify(call)} waiting (in different agents): answer by step key, one of ${matches.map((p) => p.path).join(', ')}`,
        )
      const target = matches[0]!
      await client.query(
        `INSERT INTO baton.approvals (run_id, path, call_id, approved, decided_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (run_id, path) DO UPDATE
         SET approved = excluded.approved, decided_by = excluded.decided_by, decided_at = now()`,
        [runId, target.path, target.callId, approved, by],
      )
      const answered = await client.query(
        `SELECT path FROM baton.approvals WHERE run_id = $1 AND path = ANY($2::text[])`,
        [runId, pending.map((p) => p.path)],
      )
      const done = new Set(answered.rows.map((row) => row.path as string))
      const waiting = pending.filter((p) => !done.has(p.path))
      if (waiting.length) return { waiting, rounds: undefined }
      const queued = await client.query(
        `UPDATE baton.runs SET status = 'queued', result = NULL, rounds = rounds + 1, updated_at = now()
         WHERE run_id = $1 RETURNING rounds`,
        [runId],
      )
      return { waiting, rounds: queued.rows[0]?.rounds as number }
    })
  }

  /** The answers given to a run's calls that waited for approval, by step key. */
  /** The answers given to a run's waiting calls, by step key, with who gave each. */
  async answers(runId: string): Promise<Map<string, { approved: boolean; by: string }>> {
    const found = await this.query(
      `SELECT path, approved, decided_by FROM baton.approvals WHERE run_id = $1`,
      [runId],
    )
    return new Map(
      found.rows.map((row) => [
        row.path as string,
        { approved: row.approved as boolean, by: row.decided_by as string },
      ]),
    )
  }

  /**
   * Runs queued for longer than `olderThanMs`: the ones whose workflow never reached the queue
   * (the process that queued them died in between) are among them.
   */
  async longQueued(olderThanMs: number): Promise<{ runId: string; agent: string; rounds: number }[]> {
    const found = await this.query(
      `SELECT run_id, agent, rounds FROM baton.runs
       WHERE status = 'queued' AND updated_at < now() - make_interval(secs => $1::float / 1000)
       ORDER BY updated_at LIMIT 100`,
      [olderThanMs],
      this.liveness,
    )
    return found.rows.map((row) => ({
      runId: row.run_id as string,
      agent: row.agent as string,
      rounds: row.rounds as number,
    }))
  }

  /**
   * Moves a workflow that still waits on queue `from` to queue `to`; false when a worker took it
   * first. DBOS claims a queued workflow under a row lock, so the two never both happen.
   */
  async requeueWaiting(workflowId: string, from: string, to: string): Promise<boolean> {
    const moved = await this.query(
      `UPDATE dbos.workflow_status SET queue_name = $3, queue_partition_key = NULL
       WHERE workflow_uuid = $1 AND queue_name = $2 AND status = 'ENQUEUED' RETURNING workflow_uuid`,
      [workflowId, from, to],
    )
    return moved.rowCount === 1
  }

  /**
   * Moves the workflows of `agent`'s runs still waiting on the queues of a Baton before each
   * agent had queues of its own (`<prefix>`, `<prefix>.d<n>`, `<prefix>.s<n>`) to the agent's
   * (`<to>`, `<to>.d<n>`); returns how many moved.
   */
  async adoptQueued(prefix: string, agent: string, to: string): Promise<number> {
    const moved = await this.query(
      `UPDATE dbos.workflow_status w
       SET queue_name = $3 || replace(substring(w.queue_name FROM length($1) + 1), '.s', '.d'),
           queue_partition_key = NULL
       FROM baton.runs r
       WHERE w.status = 'ENQUEUED' AND left(w.queue_name, length($1)) = $1
         AND substring(w.queue_name FROM length($1) + 1) ~ '^([.][ds][0-9]+)?$'
         AND r.run_id = split_part(split_part(w.workflow_uuid, '>', 1), '#', 1) AND r.agent = $2`,
      [prefix, agent, to],
    )
    return moved.rowCount ?? 0
  }

  /** Ends a run that waits for approval with `result` (it was cancelled); false when it no longer waits. */
  async finishWaiting(runId: string, result: RunResult): Promise<boolean> {
    const updated = await this.query(
      `UPDATE baton.runs SET status = $2, result = $3, updated_at = now()
       WHERE run_id = $1 AND status = 'awaiting_approval' RETURNING run_id`,
      [runId, result.status, JSON.stringify(result)],
    )
    return updated.rowCount === 1
  }

  /** Stores a sub-agent's branch as its parent asked for it; false when it is there already. */
  async addBranch(branchId: string, runId: string, path: string, request: unknown): Promise<boolean> {
    const inserted = await this.query(
      `INSERT INTO baton.branches (branch_id, run_id, path, request) VALUES ($1, $2, $3, $4)
       ON CONFLICT (branch_id) DO NOTHING`,
      [branchId, runId, path, JSON.stringify(request)],
    )
    return inserted.rowCount === 1
  }

  async branch(branchId: string): Promise<BranchRow | undefined> {
    const found = await this.query(`SELECT * FROM baton.branches WHERE branch_id = $1`, [branchId])
    const row = found.rows[0]
    if (!row) return undefined
    return {
      branchId: row.branch_id as string,
      runId: row.run_id as string,
      path: row.path as string,
      request: row.request,
      outcome: (row.outcome ?? undefined) as unknown,
      attempts: row.attempts as number,
    }
  }

  /** The ids of a run's branches, oldest first. */
  async branches(runId: string): Promise<string[]> {
    const found = await this.query(
      `SELECT branch_id FROM baton.branches WHERE run_id = $1 ORDER BY created_at, branch_id`,
      [runId],
    )
    return found.rows.map((row) => row.branch_id as string)
  }

  /** The branches of a run with whether each has ended, oldest first. */
  async branchStates(runId: string): Promise<{ branchId: string; ended: boolean }[]> {
    const found = await this.query(
      `SELECT branch_id, outcome IS NOT NULL AS ended FROM baton.branches WHERE run_id = $1 ORDER BY created_at, branch_id`,
      [runId],
    )
    return found.rows.map((row) => ({ branchId: row.branch_id as string, ended: row.ended as boolean }))
  }

  /** Numbers an attempt at a branch (1 for the first). */
  async startBranchAttempt(branchId: string): Promise<number> {
    const updated = await this.query(
      `UPDATE baton.branches SET attempts = attempts + 1 WHERE branch_id = $1 RETURNING attempts`,
      [branchId],
    )
    return updated.rows[0]?.attempts as number
  }

  async finishBranch(branchId: string, outcome: unknown): Promise<void> {
    await this.query(`UPDATE baton.branches SET outcome = $2 WHERE branch_id = $1`, [
      branchId,
      JSON.stringify(outcome),
    ])
  }

  /** The next number of `agents/<name>/<n>` in a run, shared by every worker that runs its agents. */
  async nextDelegation(runId: string, name: string): Promise<number> {
    const found = await this.query(
      `INSERT INTO baton.counters (run_id, name, next) VALUES ($1, $2, 1)
       ON CONFLICT (run_id, name) DO UPDATE SET next = baton.counters.next + 1 RETURNING next`,
      [runId, name],
    )
    return (found.rows[0]?.next as number) - 1
  }

  /**
   * Runs `work` on a run's budget, one process at a time: `load` gets, for each of `paths`,
   * what that agent and every agent below it have used and hold (from every worker); `work`
   * then says what step `key` of agent `path` used and holds now.
   */
  async ledger<T>(
    runId: string,
    paths: readonly string[],
    work: (loaded: Map<string, BudgetState>) => LedgerChange<T>,
  ): Promise<T> {
    return this.transaction(this.pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(7160247, hashtext($1))`, [runId])
      const found = await client.query(
        `SELECT p.path,
           (SELECT coalesce(jsonb_agg(c.used), '[]') FROM baton.charges c
            WHERE c.run_id = $1 AND (c.path = p.path OR starts_with(c.path, p.path || '/'))) AS used,
           (SELECT coalesce(jsonb_agg(h.held), '[]') FROM baton.holds h
            WHERE h.run_id = $1 AND (h.path = p.path OR starts_with(h.path, p.path || '/'))) AS held
         FROM unnest($2::text[]) AS p(path)`,
        [runId, paths],
      )
      const loaded = new Map<string, BudgetState>()
      for (const row of found.rows)
        loaded.set(row.path as string, {
          used: sum(emptyUsage(), row.used as BudgetUsage[]),
          reserved: sum({ steps: 0, tokens: 0, costUsd: 0 }, row.held as Reservation[]),
        })
      const { result, path, key, used, held } = work(loaded)
      if (used)
        await client.query(
          `INSERT INTO baton.charges (run_id, key, path, used) VALUES ($1, $2, $3, $4)
           ON CONFLICT (run_id, key) DO NOTHING`,
          [runId, key, path, JSON.stringify(used)],
        )
      if (held === null)
        await client.query(`DELETE FROM baton.holds WHERE run_id = $1 AND key = $2`, [runId, key])
      else if (held)
        await client.query(
          `INSERT INTO baton.holds (run_id, key, path, held) VALUES ($1, $2, $3, $4)
           ON CONFLICT (run_id, key) DO UPDATE SET held = excluded.held`,
          [runId, key, path, JSON.stringify(held)],
        )
      return result
    }).catch((error: unknown) => {
      throw databaseError(error, this.where)
    })
  }

  /** Asks the run to stop; false when it has already ended. */
  async requestCancel(runId: string): Promise<boolean> {
    const updated = await this.query(
      `UPDATE baton.runs SET cancel_requested = true, updated_at = now()
       WHERE run_id = $1 AND status IN ('queued', 'running') RETURNING run_id`,
      [runId],
    )
    return updated.rowCount === 1
  }

  async cancelRequested(runId: string): Promise<boolean> {
    const found = await this.query(`SELECT cancel_requested FROM baton.runs WHERE run_id = $1`, [runId])
    return found.rows[0]?.cancel_requested === true
  }

  /** The attempt whose transcript got furthest (most lines), if any wrote one. */
  async furthestAttempt(runId: string): Promise<number | undefined> {
    const found = await this.query(
      `SELECT attempt FROM baton.lines WHERE run_id = $1 GROUP BY attempt ORDER BY count(*) DESC, attempt DESC LIMIT 1`,
      [runId],
    )
    return found.rows[0]?.attempt as number | undefined
  }

  /** The newest attempt that wrote lines, if any. */
  async latestAttempt(runId: string): Promise<number | undefined> {
    const found = await this.query(`SELECT max(attempt) AS attempt FROM baton.lines WHERE run_id = $1`, [
      runId,
    ])
    return (found.rows[0]?.attempt as number | null) ?? undefined
  }

  /** An attempt's lines from line `from` on (0 is the header), in order. */
  async lines(runId: string, attempt: number, from = 0): Promise<string[]> {
    const found = await this.query(
      `SELECT line FROM baton.lines WHERE run_id = $1 AND attempt = $2 AND n >= $3 ORDER BY n`,
      [runId, attempt, from],
    )
    return found.rows.map((row) => row.line as string)
  }

  /** Every attempt's transcript of a run and of each of its sub-agents' branches, each in order. */
  async everyAttempt(runId: string): Promise<{ id: string; attempt: number; lines: string[] }[]> {
    const found = await this.query(
      `SELECT run_id, attempt, line FROM baton.lines
       WHERE run_id = $1 OR run_id IN (SELECT branch_id FROM baton.branches WHERE run_id = $1)
       ORDER BY run_id, attempt, n`,
      [runId],
    )
    const attempts: { id: string; attempt: number; lines: string[] }[] = []
    for (const row of found.rows) {
      const last = attempts.at(-1)
      if (last && last.id === row.run_id && last.attempt === row.attempt) last.lines.push(row.line as string)
      else
        attempts.push({
          id: row.run_id as string,
          attempt: row.attempt as number,
          lines: [row.line as string],
        })
    }
    return attempts
  }

  /** Appends lines `first`, `first + 1`, … of an attempt's transcript. */
  async appendLines(runId: string, attempt: number, first: number, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return
    await this.query(
      `INSERT INTO baton.lines (run_id, attempt, n, line)
       SELECT $1, $2, $3 + i - 1, line FROM unnest($4::text[]) WITH ORDINALITY AS t(line, i)`,
      [runId, attempt, first, lines],
    )
  }

  /** Registers a worker as alive. */
  async register(executorId: string, agents: readonly string[]): Promise<void> {
    await this.query(
      `INSERT INTO baton.workers (executor_id, agents) VALUES ($1, $2)
       ON CONFLICT (executor_id) DO UPDATE SET seen_at = now(), started_at = now(), agents = $2`,
      [executorId, agents],
    )
  }

  /** How many workers serving `agent` showed a sign of life in the last `withinMs`. */
  async serving(agent: string, withinMs: number): Promise<number> {
    const found = await this.query(
      `SELECT count(*)::int AS n FROM baton.workers
       WHERE $1 = ANY(agents) AND seen_at > now() - make_interval(secs => $2::float / 1000)`,
      [agent, withinMs],
    )
    return found.rows[0].n as number
  }

  /** Says this worker is still alive; false when it was declared dead (its runs were taken over). */
  async heartbeat(executorId: string): Promise<boolean> {
    const updated = await this.query(
      `UPDATE baton.workers SET seen_at = now() WHERE executor_id = $1`,
      [executorId],
      this.liveness,
    )
    return updated.rowCount === 1
  }

  /**
   * Takes over the runs of the workers not seen for `staleMs`, one caller at a time: `resume`
   * gets their executor ids, and once it has moved their runs the dead workers are forgotten. A
   * caller that dies half-way leaves them for the next one.
   */
  async takeOver(by: string, staleMs: number, resume: (dead: string[]) => Promise<void>): Promise<string[]> {
    return this.transaction(this.liveness, async (client) => {
      const locked = await client.query(`SELECT pg_try_advisory_xact_lock(7160246) AS locked`)
      if (!locked.rows[0]?.locked) return []
      const stale = await client.query(
        `SELECT executor_id FROM baton.workers
         WHERE executor_id <> $1 AND seen_at < now() - make_interval(secs => $2::float / 1000)`,
        [by, staleMs],
      )
      const dead = stale.rows.map((row) => row.executor_id as string)
      if (dead.length === 0) return []
      await resume(dead)
      await client.query(`DELETE FROM baton.workers WHERE executor_id = ANY($1::text[])`, [dead])
      return dead
    })
  }

  /** A worker that stops: marked silent since forever, so a living worker takes over its runs at once. */
  async retire(executorId: string): Promise<void> {
    await this.query(`UPDATE baton.workers SET seen_at = 'epoch' WHERE executor_id = $1`, [executorId])
  }

  private transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(pool, work)
  }

  private async query(text: string, values: unknown[], pool = this.pool) {
    try {
      return await pool.query(text, values)
    } catch (error) {
      throw databaseError(error, this.where)
    }
  }
}

function rowOf(row: Record<string, unknown>): RunRow {
  return {
    runId: row.run_id as string,
    agent: row.agent as string,
    task: row.task,
    treeHash: row.tree_hash as string,
    options: (row.options ?? {}) as Record<string, unknown>,
    status: row.status as DurableStatus,
    result: (row.result ?? undefined) as RunResult | undefined,
    attempts: row.attempts as number,
    rounds: row.rounds as number,
    cancelRequested: row.cancel_requested as boolean,
    submittedAt: row.submitted_at as Date,
    updatedAt: row.updated_at as Date,
  }
}

/** The DBOS workflow of a run's round: the run id for the first, `<run id>#<round>` after approvals. */
export const workflowId = (runId: string, rounds: number): string =>
  rounds === 1 ? runId : `${runId}#${rounds}`

/** What a step did to the budget tree: stored by its step key under the agent's path. */
export interface LedgerChange<T> {
  result: T
  path: string
  key: string
  used?: BudgetUsage
  /** A hold made (a call starts), or released (null: it ended). */
  held?: Reservation | null
}

/** Adds up usages (or holds) field by field onto `into`. */
function sum<T extends object>(into: T, parts: readonly T[]): T {
  const total = into as Record<string, number>
  for (const part of parts)
    for (const [field, value] of Object.entries(part)) total[field] = (total[field] ?? 0) + (value as number)
  return into
}
