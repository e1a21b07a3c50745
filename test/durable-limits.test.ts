/**
 * Shared rate limits across durable workers: two worker processes on one database, each with
 * the same limit set in its module (9 requests a second for the model server), against a
 * server that takes 10 and refuses the rest (429 with retry-after). The limit
 * holds for both together — the server refuses (almost) nothing — and every run finishes.
 * Without the database's buckets, each worker would send its own 10 a second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { WorkerProcesses } from './durable-workers.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk } from './fixtures/durable-agents.js'
import { type Postgres, startPostgres } from './postgres.js'

const STEPS = 3
const PER_SECOND = 10
let postgres: Postgres
let server: FakeClerkServer
let workers: WorkerProcesses
let client: DurableRuns

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: STEPS, latencyMs: 20, perSecond: PER_SECOND })
  const database = postgres.url('limits')
  client = await durableRuns({ database, agents: [makeClerk(server.url)] })
  // A little under the server's rate, as one sets a limit: at exactly its rate, a request that
  // arrives a moment early is refused.
  workers = new WorkerProcesses(database, server.url, { RATE_LIMIT_RPM: String((PER_SECOND - 1) * 60) })
  await Promise.all([workers.start(), workers.start()])
})

afterAll(async () => {
  await workers?.killAll()
  await client?.close()
  await server?.close()
  await postgres?.stop()
})

describe('rate limits across durable workers', () => {
  it('hold for every worker together: the server refuses (almost) nothing, and every run finishes', async () => {
    const ids = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        client.submit('clerk', `Task lim${i} buy things`, { runId: `lim${i}` }),
      ),
    )
    const results = await Promise.all(ids.map((id) => client.result(id, { timeoutMs: 120_000 })))
    for (const result of results) expect(result.status).toBe('done')
    const calls = [...server.requests.values()].reduce((sum, n) => sum + n, 0)
    expect(calls).toBeGreaterThanOrEqual(16 * (STEPS + 1))
    // 64 calls at 9 a second from two workers: with a limit of its own each, they would send 18.
    expect(server.limited.count).toBeLessThanOrEqual(2)
    // Both workers took runs.
    const { default: pg } = await import('pg')
    const db = new pg.Client({ connectionString: postgres.url('limits') })
    await db.connect()
    try {
      const executors = await db.query(
        `SELECT DISTINCT executor_id FROM dbos.workflow_status WHERE workflow_uuid LIKE 'lim%'`,
      )
      expect(executors.rows.length).toBe(2)
    } finally {
      await db.end()
    }
  })
})
