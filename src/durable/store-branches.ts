/**
 * Sub-agents' branches of a run (table `baton.branches`): what each parent asked for, each
 * branch's attempts and how it ended; and the numbering of delegations (table `baton.counters`).
 */
import { fromJsonb, toJsonb } from './jsonb.js'
import type { StoreDb } from './store-db.js'

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

/** Stores a sub-agent's branch as its parent asked for it; false when it is there already. */
export async function addBranch(
  db: StoreDb,
  branchId: string,
  runId: string,
  path: string,
  request: unknown,
): Promise<boolean> {
  const inserted = await db.query(
    `INSERT INTO baton.branches (branch_id, run_id, path, request) VALUES ($1, $2, $3, $4)
     ON CONFLICT (branch_id) DO NOTHING`,
    [branchId, runId, path, toJsonb(request)],
  )
  return inserted.rowCount === 1
}

export async function getBranch(db: StoreDb, branchId: string): Promise<BranchRow | undefined> {
  const found = await db.query(`SELECT * FROM baton.branches WHERE branch_id = $1`, [branchId])
  const row = found.rows[0]
  if (!row) return undefined
  return {
    branchId: row.branch_id as string,
    runId: row.run_id as string,
    path: row.path as string,
    request: fromJsonb(row.request),
    outcome: fromJsonb(row.outcome) ?? undefined,
    attempts: row.attempts as number,
  }
}

/** The ids of a run's branches, oldest first. */
export async function branchIds(db: StoreDb, runId: string): Promise<string[]> {
  const found = await db.query(
    `SELECT branch_id FROM baton.branches WHERE run_id = $1 ORDER BY created_at, branch_id`,
    [runId],
  )
  return found.rows.map((row) => row.branch_id as string)
}

/** The branches of a run with whether each has ended, oldest first. */
export async function branchStates(
  db: StoreDb,
  runId: string,
): Promise<{ branchId: string; ended: boolean }[]> {
  const found = await db.query(
    `SELECT branch_id, outcome IS NOT NULL AS ended FROM baton.branches WHERE run_id = $1 ORDER BY created_at, branch_id`,
    [runId],
  )
  return found.rows.map((row) => ({ branchId: row.branch_id as string, ended: row.ended as boolean }))
}

/** Numbers an attempt at a branch (1 for the first). */
export async function startBranchAttempt(db: StoreDb, branchId: string): Promise<number> {
  const updated = await db.query(
    `UPDATE baton.branches SET attempts = attempts + 1 WHERE branch_id = $1 RETURNING attempts`,
    [branchId],
  )
  return updated.rows[0]?.attempts as number
}

/** Stores how a branch ended; with `attempt`, only while that attempt is the branch's newest. */
export async function finishBranch(
  db: StoreDb,
  branchId: string,
  outcome: unknown,
  attempt?: number,
): Promise<void> {
  await db.query(
    `UPDATE baton.branches SET outcome = $2 WHERE branch_id = $1 AND ($3::int IS NULL OR attempts = $3)`,
    [branchId, toJsonb(outcome), attempt ?? null],
  )
}

/** The next number of `agents/<name>/<n>` in a run, shared by every worker that runs its agents. */
export async function nextDelegation(db: StoreDb, runId: string, name: string): Promise<number> {
  const found = await db.query(
    `INSERT INTO baton.counters (run_id, name, next) VALUES ($1, $2, 1)
     ON CONFLICT (run_id, name) DO UPDATE SET next = baton.counters.next + 1 RETURNING next`,
    [runId, name],
  )
  return (found.rows[0]?.next as number) - 1
}
