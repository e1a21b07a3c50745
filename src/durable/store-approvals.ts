/**
 * The answers to calls waiting for approval (table `baton.approvals`): storing one, and putting
 * the run back on the queue once every waiting call has one.
 */

import type { PoolClient } from 'pg'
import type { PendingApproval } from '../events/index.js'
import type { RunResult } from '../run/types.js'
import { fromJsonb } from './jsonb.js'
import type { DurableStatus } from './status.js'
import type { StoreDb } from './store-db.js'
import { noSuchApproval, notFound } from './store-errors.js'
import { inTransaction } from './transaction.js'

/**
 * Stores the answer to a call waiting for approval (by its call id or step key) and, when no
 * call waits any more, puts the run back on the queue: `rounds` is then its new round.
 */
export async function answerApproval(
  db: StoreDb,
  runId: string,
  call: string,
  approved: boolean,
  by: string,
): Promise<{ waiting: PendingApproval[]; rounds: number | undefined }> {
  return inTransaction(db.pool, async (client) => {
    const found = await client.query(`SELECT status, result FROM baton.runs WHERE run_id = $1 FOR UPDATE`, [
      runId,
    ])
    const run = found.rows[0] as { status: DurableStatus; result: RunResult | null } | undefined
    if (!run) throw notFound(runId)
    const pending =
      run.status === 'awaiting_approval' ? (fromJsonb<RunResult | null>(run.result)?.pending ?? []) : []
    const matches = pending.filter((p) => p.callId === call || p.path === call)
    // An answer given again (a second click, a retried command) is the one already stored.
    if (matches.length === 0) {
      const given = await answeredBefore(client, runId, call, approved)
      if (given === true) return { waiting: pending, rounds: undefined }
      if (given) throw noSuchApproval(runId, `${given} (the run is ${run.status})`)
    }
    if (run.status !== 'awaiting_approval')
      throw noSuchApproval(runId, `run ${runId} is not waiting for approval (it is ${run.status})`)
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

/**
 * Whether call `call` (its id or step key) of a run was answered before: true when with the same
 * answer, a sentence saying who answered otherwise and when, undefined when it never was.
 */
async function answeredBefore(
  client: PoolClient,
  runId: string,
  call: string,
  approved: boolean,
): Promise<true | string | undefined> {
  const found = await client.query(
    `SELECT call_id, approved, decided_by, decided_at FROM baton.approvals
     WHERE run_id = $1 AND (call_id = $2 OR path = $2)`,
    [runId, call],
  )
  if (found.rows.length !== 1) return undefined
  const given = found.rows[0] as { call_id: string; approved: boolean; decided_by: string; decided_at: Date }
  if (given.approved === approved) return true
  return `call ${given.call_id} of run ${runId} was already ${given.approved ? 'approved' : 'refused'} by ${given.decided_by} at ${given.decided_at.toISOString()}: an answer cannot be changed once the run has gone on`
}

/** The answers given to a run's waiting calls, by step key, with who gave each. */
export async function approvalAnswers(
  db: StoreDb,
  runId: string,
): Promise<Map<string, { approved: boolean; by: string }>> {
  const found = await db.query(`SELECT path, approved, decided_by FROM baton.approvals WHERE run_id = $1`, [
    runId,
  ])
  return new Map(
    found.rows.map((row) => [
      row.path as string,
      { approved: row.approved as boolean, by: row.decided_by as string },
    ]),
  )
}
