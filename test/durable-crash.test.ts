/**
 * Durable runs across real worker processes and a real PostgreSQL: workers are killed with
 * SIGKILL at random moments and never restarted; new workers (new ids) join. Every run must
 * finish on a living worker, no stored model answer is paid for again, the tool that is not
 * idempotent never runs twice for one call, and every exported transcript replays faithfully.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { parseTranscript, replay } from '../src/index.js'
import { WorkerProcesses } from './durable-workers.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk } from './fixtures/durable-agents.js'
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

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: STEPS, latencyMs: 80 })
  client = await durableRuns({ database: postgres.url('baton_crash'), agents: [makeClerk(server.url)] })
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
        submitted.push(await client.submit('clerk', `Task ${id}: buy the items`, { runId: id }))
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
    for (const [i, result] of results.entries()) {
      const id = submitted[i]!
      expect(result.status, `${id}: ${result.error?.message}`).toBe('done')
      expect(result.output).toBe(`finished ${id}`)
      const run = await client.get(id)
      if (run.attempts > 1) takenOver.push(id)

      // The exported transcript is the whole run, and replays as it was.
      const transcript = parseTranscript(await client.transcript(id), id)
      const answers = transcript.events.filter((e) => e.type === 'model.response').length
      expect(answers).toBe(STEPS + 1)
      const replayed = await replay(transcript, makeClerk(server.url))
      expect(replayed.status).toBe('done')
      expect(replayed.divergences).toEqual([])
      expect(replayed.live).toEqual({ model: 0, tool: 0 })

      // Each takeover may pay again for the one call that was in flight; nothing stored is paid twice.
      const paid = server.requests.get(id) ?? 0
      expect(paid).toBeGreaterThanOrEqual(answers)
      expect(
        paid,
        `${id}: ${paid} requests for ${answers} answers in ${run.attempts} attempts`,
      ).toBeLessThanOrEqual(answers + run.attempts - 1)

      // `charge` is not idempotent: a call cut off by a kill is reported, never made again.
      for (let n = 0; n < STEPS; n++) expect(server.charges.get(`${id}-${n}`) ?? 0).toBeLessThanOrEqual(1)
      const interrupted = transcript.events.filter(
        (e) => e.type === 'tool.result' && e.error?.code === 'TOOL_INTERRUPTED',
      )
      for (const event of interrupted) expect(event.type === 'tool.result' && event.name).toBe('charge')
    }
    // The kills did land on runs under way.
    expect(takenOver.length).toBeGreaterThan(0)
  })
})
