/**
 * Moves of workflows still waiting on a DBOS queue (DBOS's table `dbos.workflow_status`): a
 * branch nobody took to spread it, and runs queued by a Baton before each agent had its queues.
 */
import type { StoreDb } from './store-db.js'

/**
 * Moves a workflow that still waits on queue `from` to queue `to`; false when a worker took it
 * first. DBOS claims a queued workflow under a row lock, so the two never both happen.
 */
export async function requeueWaiting(
  db: StoreDb,
  workflowId: string,
  from: string,
  to: string,
): Promise<boolean> {
  const moved = await db.query(
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
export async function adoptQueued(db: StoreDb, prefix: string, agent: string, to: string): Promise<number> {
  const moved = await db.query(
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
