/**
 * Durable runs across real worker processes and a real PostgreSQL: workers are killed with
 * SIGKILL at random moments and never restarted; new workers (new ids) join. Every run must
 * finish on a living worker, no stored model answer is paid for again, the tool that is not
 * idempotent never runs twice for one call, and every exported transcript replays faithfully.
 * Half the runs are leads whose two clerks run as sub-agents on any worker, so kills land
 * inside concurrent sub-agents too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { parseTranscript, replay } from '../src/index.js'
import { WorkerProcesses } from './durable-workers.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk, makeLead } from './fixtures/durable-agents.js'
import { type Postgres, startPostgres } from './postgres.js'

const STEPS = 6
const TRIALS = 20
const RUNS_PER_TRIAL = 2

let postgres: Postgres
let server: FakeClerkServer
let client: DurableRuns
let workers: WorkerProcesses

/** What the database says of the runs and workers, for a failure message. */
async function diagnose(database: string): Promise<string> {
  const { default: pg } = await import('pg')
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  try {
    const runs = await db.query(`SELECT run_id, status, attempts FROM baton.runs WHERE status <> 'done'`)
    const flows = await db.query(
      `SELECT workflow_uuid, status, executor_id, left(error, 300) AS error FROM dbos.workflow_status WHERE status <> 'SUCCESS'`,
    )
    const alive = await db.query(`SELECT executor_id, now() - seen_at AS silent FROM baton.workers`)
    return JSON.stringify(
      { runs: runs.rows, workflows: flows.rows, workers: alive.rows, living: workers.alive },
      null,
      1,
    )
  } finally {
    await db.end()
  }
}

/** How many times a worker took up each sub-agent of a run. */
async function branchAttempts(
  database: string,
  runId: string,
): Promise<{ path: string; attempts: number }[]> {
  const { default: pg } = await import('pg')
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  try {
    const found = await db.query(
      `SELECT path, attempts FROM baton.branches WHERE run_id = $1 ORDER BY path`,
      [runId],
    )
    return found.rows.map((row) => ({ path: row.path as string, attempts: row.attempts as number }))
  } finally {
    await db.end()
  }
}

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: STEPS, latencyMs: 80 })
  client = await durableRuns({
    database: postgres.url('baton_crash'),
    agents: [makeClerk(server.url), makeLead(server.url)],
  })
  workers = new WorkerProcesses(postgres.url('baton_crash'), server.url)
})

afterAll(async () => {
  await workers?.killAll()
  await client?.close()
  await server?.close()
  await postgres?.stop()
})

describe('durable runs when workers die', () => {
  it('finish every run on the living workers, paying no stored answer twice and charging once', async () => {
    const database = postgres.url('baton_crash')
    await Promise.all([workers.start(), workers.start()])
    const submitted: string[] = []
    for (let trial = 1; trial <= TRIALS; trial++) {
      for (let k = 0; k < RUNS_PER_TRIAL; k++) {
        const id = `t${trial}r${k}`
        const agent = k % 2 === 0 ? 'clerk' : 'lead'
        submitted.push(await client.submit(agent, `Task ${id}: buy the items`, { runId: id }))
      }
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 900))
      const alive = workers.alive
      await workers.kill(alive[Math.floor(Math.random() * alive.length)]!)
      await workers.start()
    }

    // Whatever happened, two workers serve the rest.
    while (workers.alive.length < 2) await workers.start()
    const results = await Promise.all(submitted.map((id) => client.result(id, { timeoutMs: 150_000 }))).catch(
      async (error: unknown) => {
        throw new Error(`${(error as Error).message}\n${await diagnose(database)}`)
      },
    )
    const takenOver: string[] = []
    let branchesTakenOver = 0
    for (const [i, result] of results.entries()) {
      const id = submitted[i]!
      const lead = i % RUNS_PER_TRIAL === 1
      expect(result.status, `${id}: ${result.error?.message}`).toBe('done')
      expect(result.output).toBe(lead ? `lead finished ${id}` : `finished ${id}`)
      const run = await client.get(id)
      if (run.attempts > 1) takenOver.push(id)

      // The exported transcript is the whole run, sub-agents included, and replays as it was.
      const transcript = parseTranscript(await client.transcript(id), id)
      // The model answers an agent got itself (its sub-agents' are theirs).
      const answers = (agent: string) =>
        transcript.events.filter(
          (e) =>
            e.type === 'model.response' &&
            e.path.startsWith(`${agent}/`) &&
            !e.path.slice(agent.length).includes('/agent:'),
        ).length
      const replayed = await replay(transcript, lead ? makeLead(server.url) : makeClerk(server.url))
      expect(replayed.status).toBe('done')
      expect(replayed.divergences).toEqual([])
      expect(replayed.live).toEqual({ model: 0, tool: 0 })

      // Each takeover may pay again for the one call that was in flight; nothing stored is paid twice.
      const parts = lead
        ? [
            { token: id, path: 'root', own: 2, attempts: run.attempts },
            ...(await branchAttempts(database, id)).map(({ path, attempts }) => ({
              token: `${id}${path.endsWith('#0') ? 'a' : 'b'}`,
              path,
              own: STEPS + 1,
              attempts,
            })),
          ]
        : [{ token: id, path: 'root', own: STEPS + 1, attempts: run.attempts }]
      if (lead) expect(parts.length).toBe(3)
      if (lead) branchesTakenOver += parts.filter((part) => part.path !== 'root' && part.attempts > 1).length
      for (const { token, path, own, attempts } of parts) {
        expect(answers(path), `${id} ${path}`).toBe(own)
        const paid = server.requests.get(token) ?? 0
        expect(paid).toBeGreaterThanOrEqual(own)
        expect(
          paid,
          `${token}: ${paid} requests for ${own} answers in ${attempts} attempts`,
        ).toBeLessThanOrEqual(own + attempts - 1)
        // `charge` is not idempotent: a call cut off by a kill is reported, never made again.
        if (own > 2)
          for (let n = 0; n < STEPS; n++)
            expect(server.charges.get(`${token}-${n}`) ?? 0).toBeLessThanOrEqual(1)
      }
      const interrupted = transcript.events.filter(
        (e) => e.type === 'tool.result' && e.error?.code === 'TOOL_INTERRUPTED',
      )
      for (const event of interrupted) expect(event.type === 'tool.result' && event.name).toBe('charge')
    }
    // The kills did land on runs under way.
    expect(takenOver.length).toBeGreaterThan(0)
    expect(branchesTakenOver).toBeGreaterThan(0)
  })
})
