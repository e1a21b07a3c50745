/**
 * A run's budget tree in the database (tables `baton.charges` and `baton.holds`): what each step
 * used and holds, stored by its step key under its agent's path, and loaded up each agent's
 * subtree under the run's lock.
 */
import { type BudgetState, type BudgetUsage, emptyUsage, type Reservation } from '../budget/budget.js'
import type { StoreDb } from './store-db.js'
import { databaseError } from './store-errors.js'
import { inTransaction } from './transaction.js'

/** What a step did to the budget tree: stored by its step key under the agent's path. */
export interface LedgerChange<T> {
  result: T
  path: string
  key: string
  used?: BudgetUsage
  /** A hold made (a call starts), or released (null: it ended). */
  held?: Reservation | null
}

/**
 * Runs `work` on a run's budget, one process at a time: `load` gets, for each of `paths`,
 * what that agent and every agent below it have used and hold (from every worker); `work`
 * then says what step `key` of agent `path` used and holds now.
 */
export async function updateLedger<T>(
  db: StoreDb,
  runId: string,
  paths: readonly string[],
  work: (loaded: Map<string, BudgetState>) => LedgerChange<T>,
): Promise<T> {
  return inTransaction(db.pool, async (client) => {
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
    throw databaseError(error, db.where)
  })
}

/** Adds up usages (or holds) field by field onto `into`. */
function sum<T extends object>(into: T, parts: readonly T[]): T {
  const total = into as Record<string, number>
  for (const part of parts)
    for (const [field, value] of Object.entries(part)) total[field] = (total[field] ?? 0) + (value as number)
  return into
}
