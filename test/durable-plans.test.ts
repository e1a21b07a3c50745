/**
 * A workflow in code on the durable workers, over real worker processes and a real PostgreSQL:
 * it runs with no code of its own for durability (its tasks are the loop's calls, its
 * delegation a branch any worker may take), its transcript replays offline, and a worker killed
 * while the plan runs leaves the run to another that finishes it, charging nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { parseTranscript, replay } from '../src/index.js'
import { WorkerProcesses } from './durable-workers.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makePurchase } from './fixtures/durable-agents.js'
import { type Postgres, startPostgres } from './postgres.js'

const STEPS = 3
let postgres: Postgres
let server: FakeClerkServer
let workers: WorkerProcesses
let database: string
let client: DurableRuns

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: STEPS, latencyMs: 150 })
  database = postgres.url('plans')
  client = await durableRuns({ database, agents: [makePurchase(server.url)] })
  workers = new WorkerProcesses(database, server.url)
  await Promise.all([workers.start(), workers.start()])
})

afterAll(async () => {
  await workers?.killAll()
  await client?.close()
  await server?.close()
  await postgres?.stop()
})

/** The worker that runs a run's own workflow, once one has taken it. */
async function runner(runId: string): Promise<string | undefined> {
  const { default: pg } = await import('pg')
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  try {
    const found = await db.query(
      `SELECT executor_id FROM dbos.workflow_status WHERE starts_with(workflow_uuid, $1) AND NOT starts_with(workflow_uuid, $1 || '>') AND status = 'PENDING'`,
      [runId],
    )
    return found.rows[0]?.executor_id as string | undefined
  } finally {
    await db.end()
  }
}

/** Every charge the order should have made, each once: the workflow's own and its clerk's. */
const expectedCharges = (token: string) => [
  `${token}-found ${token} a`,
  ...Array.from({ length: STEPS }, (_, i) => `${token}c-${i}`),
]

describe('a workflow on the durable workers', () => {
  it('runs to its output, its clerk as a branch, and its transcript replays offline', async () => {
    const id = await client.submit('purchase', 'Task wf: buy two things', { runId: 'wf' })
    const result = await client.result(id)
    expect(result.status).toBe('done')
    expect(result.output).toEqual({ a: 'done', b: 'done', pay: 'done', clerk: 'done' })
    for (const ref of expectedCharges('wf')) expect(server.charges.get(ref), ref).toBe(1)

    const transcript = parseTranscript(await client.transcript(id), 'wf.jsonl')
    expect(transcript.events.some((event) => event.type === 'plan.start')).toBe(true)
    const again = await replay(transcript, makePurchase(server.url))
    expect(again.divergences).toEqual([])
    expect(again.live).toEqual({ model: 0, tool: 0 })
    expect(again.output).toEqual(result.output)
  })

  it('is finished by another worker when the one running it dies mid-plan, charging nothing twice', async () => {
    const id = await client.submit('purchase', 'Task crash: buy two things', { runId: 'crash' })
    // Wait until the plan's charge is done and stored, then kill the worker running the workflow.
    // (A charge cut off mid-call would be reported interrupted, not made again: not this case.)
    const deadline = Date.now() + 60_000
    let victim: string | undefined
    while (Date.now() < deadline) {
      const stored = await client.transcript(id)
      victim = /"type":"tool\.result","path":"root\/1\/tool\/round_1\.pay"/.test(stored)
        ? await runner(id)
        : undefined
      if (victim) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(victim, 'the run started and a worker runs it').toBeDefined()
    await workers.kill(victim!)
    await workers.start()
    const result = await client.result(id)
    expect(result.status).toBe('done')
    expect(result.output).toEqual({ a: 'done', b: 'done', pay: 'done', clerk: 'done' })
    for (const ref of expectedCharges('crash')) expect(server.charges.get(ref), ref).toBe(1)
    // It was taken over: the worker that finished it started again from what the dead one stored.
    expect((await client.get(id)).attempts).toBeGreaterThan(1)
  })
})
