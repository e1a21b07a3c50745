/**
 * The runs' transcripts line by line (table `baton.lines`), one set of lines per attempt: a run
 * taken up again after its worker died writes a new, complete transcript.
 */
import type { StoreDb } from './store-db.js'
import { takenOver } from './store-errors.js'

/** The attempt whose transcript got furthest (most lines), if any wrote one. */
export async function furthestAttempt(db: StoreDb, runId: string): Promise<number | undefined> {
  const found = await db.query(
    `SELECT attempt FROM baton.lines WHERE run_id = $1 GROUP BY attempt ORDER BY count(*) DESC, attempt DESC LIMIT 1`,
    [runId],
  )
  return found.rows[0]?.attempt as number | undefined
}

/** The newest attempt that wrote lines, if any. */
export async function latestAttempt(db: StoreDb, runId: string): Promise<number | undefined> {
  const found = await db.query(`SELECT max(attempt) AS attempt FROM baton.lines WHERE run_id = $1`, [runId])
  return (found.rows[0]?.attempt as number | null) ?? undefined
}

/** An attempt's lines from line `from` on (0 is the header), in order. */
export async function attemptLines(db: StoreDb, runId: string, attempt: number, from = 0): Promise<string[]> {
  const found = await db.query(
    `SELECT line FROM baton.lines WHERE run_id = $1 AND attempt = $2 AND n >= $3 ORDER BY n`,
    [runId, attempt, from],
  )
  return found.rows.map((row) => row.line as string)
}

/** Every attempt's transcript of a run and of each of its sub-agents' branches, each in order. */
export async function everyAttempt(
  db: StoreDb,
  runId: string,
): Promise<{ id: string; attempt: number; lines: string[] }[]> {
  const found = await db.query(
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

/**
 * Appends lines `first`, `first + 1`, … of an attempt's transcript, while it is the newest
 * attempt of its run (or sub-agent's branch). Lines are stored before each effect: an attempt
 * that another worker took over (this one stalled, and woke up) fails here, before it starts
 * a step the new attempt makes too.
 */
export async function appendLines(
  db: StoreDb,
  runId: string,
  attempt: number,
  first: number,
  lines: readonly string[],
): Promise<void> {
  if (lines.length === 0) return
  const inserted = await db.query(
    `INSERT INTO baton.lines (run_id, attempt, n, line)
     SELECT $1, $2, $3 + i - 1, line FROM unnest($4::text[]) WITH ORDINALITY AS t(line, i)
     WHERE EXISTS (SELECT 1 FROM baton.runs WHERE run_id = $1 AND attempts = $2)
        OR EXISTS (SELECT 1 FROM baton.branches WHERE branch_id = $1 AND attempts = $2)`,
    [runId, attempt, first, lines],
  )
  if (inserted.rowCount === 0) throw takenOver(runId, attempt)
}
