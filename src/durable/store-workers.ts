/**
 * The workers' signs of life (table `baton.workers`): registering, beating, retiring, and taking
 * over the runs of the workers not seen for too long.
 */
import type { StoreDb } from './store-db.js'
import { inTransaction } from './transaction.js'

/** Registers a worker as alive. */
export async function registerWorker(
  db: StoreDb,
  executorId: string,
  agents: readonly string[],
): Promise<void> {
  await db.query(
    `INSERT INTO baton.workers (executor_id, agents) VALUES ($1, $2)
     ON CONFLICT (executor_id) DO UPDATE SET seen_at = now(), started_at = now(), agents = $2`,
    [executorId, agents],
  )
}

/** How many workers serving `agent` showed a sign of life in the last `withinMs`. */
export async function servingWorkers(db: StoreDb, agent: string, withinMs: number): Promise<number> {
  const found = await db.query(
    `SELECT count(*)::int AS n FROM baton.workers
     WHERE $1 = ANY(agents) AND seen_at > now() - make_interval(secs => $2::float / 1000)`,
    [agent, withinMs],
  )
  return found.rows[0].n as number
}

/** Says this worker is still alive; false when it was declared dead (its runs were taken over). */
export async function heartbeat(db: StoreDb, executorId: string): Promise<boolean> {
  const updated = await db.query(
    `UPDATE baton.workers SET seen_at = now() WHERE executor_id = $1`,
    [executorId],
    db.liveness,
  )
  return updated.rowCount === 1
}

/**
 * Takes over the runs of the workers not seen for `staleMs`, one caller at a time: `resume`
 * gets their executor ids, and once it has moved their runs the dead workers are forgotten. A
 * caller that dies half-way leaves them for the next one.
 */
export async function takeOver(
  db: StoreDb,
  by: string,
  staleMs: number,
  resume: (dead: string[]) => Promise<void>,
): Promise<string[]> {
  return inTransaction(db.liveness, async (client) => {
    const locked = await client.query(`SELECT pg_try_advisory_xact_lock(7160246) AS locked`)
    if (!locked.rows[0]?.locked) return []
    // A database that started less than staleMs ago heard nobody while it was down: its
    // workers are judged by the signs of life they give once it is up, not by their silence.
    const stale = await client.query(
      `SELECT executor_id FROM baton.workers
       WHERE executor_id <> $1 AND seen_at < now() - make_interval(secs => $2::float / 1000)
         AND pg_postmaster_start_time() < now() - make_interval(secs => $2::float / 1000)`,
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
export async function retireWorker(db: StoreDb, executorId: string): Promise<void> {
  await db.query(`UPDATE baton.workers SET seen_at = 'epoch' WHERE executor_id = $1`, [executorId])
}
