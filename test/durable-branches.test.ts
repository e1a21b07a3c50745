/**
 * Sub-agents of durable runs over real worker processes and a real PostgreSQL: each delegation
 * is a workflow of its own that any worker may run, the run's transcript is the one an
 * in-process run would have written (it replays offline), and the budget of the whole tree
 * holds across workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { type BatonEvent, parseTranscript, replay } from '../src/index.js'
import { WorkerProcesses } from './durable-workers.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeLead } from './fixtures/durable-agents.js'
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
  database = postgres.url('branches')
  client = await durableRuns({ database, agents: [makeLead(server.url)] })
  workers = new WorkerProcesses(database, server.url)
  await Promise.all([workers.start(), workers.start()])
})

afterAll(async () => {
  await workers?.killAll()
  await client?.close()
  await server?.close()
  await postgres?.stop()
})

/** Which worker ran each workflow of a run (the run's own and its sub-agents'). */
async function executors(runId: string): Promise<Map<string, string>> {
  const { default: pg } = await import('pg')
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  try {
    const found = await db.query(
      `SELECT workflow_uuid, executor_id FROM dbos.workflow_status WHERE workflow_uuid = $1 OR starts_with(workflow_uuid, $1 || '>')`,
      [runId],
    )
    return new Map(found.rows.map((row) => [row.workflow_uuid as string, row.executor_id as string]))
  } finally {
    await db.end()
  }
}

/** A sub-agent's outcome as stored (null while it runs). */
async function branchOutcome(branchId: string): Promise<unknown> {
  const { default: pg } = await import('pg')
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  try {
    return (await db.query(`SELECT outcome FROM baton.branches WHERE branch_id = $1`, [branchId])).rows[0]
      ?.outcome
  } finally {
    await db.end()
  }
}

const paid = (token: string) => server.requests.get(token) ?? 0

describe('sub-agents of durable runs', () => {
  it('run as workflows of their own, and the run transcript replays as if they had run in it', async () => {
    const id = await client.submit('lead', 'Task spread: buy everything', { runId: 'spread' })
    // A follower sees each sub-agent's events as they happen, not once it has ended.
    const followed: BatonEvent[] = []
    const whileUnder: boolean[] = []
    const following = (async () => {
      for await (const event of client.follow(id)) {
        followed.push(event)
        if (event.type === 'model.response' && event.path.startsWith('root/1/agent:clerk#0/'))
          whileUnder.push((await branchOutcome('spread>root/1/agent:clerk#0')) === null)
      }
    })()
    const result = await client.result(id, { timeoutMs: 120_000 })
    await following
    expect(result.status, result.error?.message).toBe('done')
    expect(result.output).toBe('lead finished spread')

    const flows = await executors(id)
    expect([...flows.keys()].sort()).toEqual([
      'spread',
      'spread>root/1/agent:clerk#0',
      'spread>root/1/agent:clerk#1',
    ])
    // Each sub-agent did its part once: its model calls paid once, its charges made once.
    for (const part of ['a', 'b']) {
      expect(paid(`spread${part}`)).toBe(STEPS + 1)
      for (let n = 0; n < STEPS; n++) expect(server.charges.get(`spread${part}-${n}`)).toBe(1)
    }
    expect(paid('spread')).toBe(2)

    const transcript = parseTranscript(await client.transcript(id), id)
    const agents = transcript.events.flatMap((e) => (e.type === 'agent.end' ? [[e.path, e.status]] : []))
    expect(agents.sort()).toEqual([
      ['root', 'done'],
      ['root/1/agent:clerk#0', 'done'],
      ['root/1/agent:clerk#1', 'done'],
    ])
    expect(result.memory.map((entry) => entry.key).sort()).toEqual(['agents/clerk/0', 'agents/clerk/1'])
    expect(result.usage.steps).toBe(2 + 2 * (STEPS + 1))
    // Every event once, the sub-agents' too (their parent's copies are not repeated).
    const identity = ({ seq: _, t: __, ...rest }: BatonEvent) => JSON.stringify(rest)
    expect(followed.map(identity).sort()).toEqual(transcript.events.map(identity).sort())
    expect(whileUnder.length).toBe(STEPS + 1)
    expect(whileUnder.filter(Boolean).length).toBeGreaterThan(0)

    const replayed = await replay(transcript, makeLead(server.url))
    expect(replayed.status).toBe('done')
    expect(replayed.divergences).toEqual([])
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
    expect(replayed.usage.steps).toBe(result.usage.steps)
  })

  it('spreads concurrent sub-agents over the free workers', async () => {
    const spreadOver = new Set<string>()
    for (let k = 0; k < 4 && spreadOver.size < 2; k++) {
      const id = await client.submit('lead', `Task free${k}: buy everything`, { runId: `free${k}` })
      expect((await client.result(id, { timeoutMs: 120_000 })).status).toBe('done')
      const flows = await executors(id)
      const branches = [...flows].filter(([flow]) => flow.includes('>')).map(([, executor]) => executor)
      if (new Set(branches).size === 2) for (const executor of branches) spreadOver.add(executor)
    }
    expect(spreadOver.size).toBe(2)
  })

  it('runs the sub-agents on the one worker left when no other is free', async () => {
    const [first, second] = workers.alive
    await workers.kill(second!)
    const id = await client.submit('lead', 'Task alone: buy everything', { runId: 'alone' })
    const result = await client.result(id, { timeoutMs: 120_000 })
    expect(result.status, result.error?.message).toBe('done')
    expect(new Set((await executors(id)).values())).toEqual(new Set([first]))
    await workers.start()
  })

  it('holds the tree budget across workers: the sub-agents together stay within the root limit', async () => {
    // Alone, each clerk would take 4 steps: with the lead's 2, 10 in all. The root allows 6.
    const id = await client.submit('lead', 'Task tight: buy everything', {
      runId: 'tight',
      budget: { maxSteps: 6 },
    })
    const result = await client.result(id, { timeoutMs: 120_000 })
    expect(result.status).toBe('budget_exceeded')
    const made = paid('tight') + paid('tighta') + paid('tightb')
    expect(made).toBeLessThanOrEqual(6)
    expect(result.usage.steps).toBe(made)
    const transcript = parseTranscript(await client.transcript(id), id)
    const refused = transcript.events.filter((e) => e.type === 'budget.exceeded')
    expect(refused.length).toBeGreaterThan(0)
    for (const event of refused)
      expect(event.type === 'budget.exceeded' && [event.limit, event.at]).toEqual(['maxSteps', 'root'])
  })
})
