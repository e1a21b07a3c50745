/**
 * `list` picks runs by status and agent, page after page; `prune` deletes the durable runs that ended before a moment, with all that is stored for them
 * (their lines and their sub-agents', approvals, charges, the engine's workflows), and leaves
 * alone every run that may still go on: one waiting for approval, one that ended later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk, makeLead } from './fixtures/durable-agents.js'
import { type Postgres, startPostgres } from './postgres.js'

let postgres: Postgres
let server: FakeClerkServer
let runs: DurableRuns
let database: string

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: 2, latencyMs: 20 })
  database = postgres.url('prune')
  runs = await durableRuns({
    database,
    agents: [makeLead(server.url), makeClerk(server.url, { approvals: true })],
  })
  await runs.serve({ concurrency: 4 })
})

afterAll(async () => {
  await runs?.close()
  await server?.close()
  await postgres?.stop()
})

/** How many rows each table holds for these runs (and their sub-agents, `<run id>>…`). */
async function rowsOf(runIds: string[]): Promise<Record<string, number>> {
  const { default: pg } = await import('pg')
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  const like = (column: string) =>
    `(${column} = ANY($1) OR EXISTS (SELECT 1 FROM unnest($1::text[]) AS id WHERE starts_with(${column}, id || '>')))`
  try {
    const counts: Record<string, number> = {}
    for (const [table, column] of [
      ['baton.runs', 'run_id'],
      ['baton.lines', 'run_id'],
      ['baton.branches', 'run_id'],
      ['baton.charges', 'run_id'],
      ['baton.approvals', 'run_id'],
      ['dbos.workflow_status', 'workflow_uuid'],
    ] as const) {
      const found = await db.query(`SELECT count(*) AS n FROM ${table} WHERE ${like(column)}`, [runIds])
      counts[table] = Number(found.rows[0].n)
    }
    return counts
  } finally {
    await db.end()
  }
}

describe('list', () => {
  it('picks runs by agent and status, and pages on with submittedBefore', async () => {
    const ids = []
    for (let i = 0; i < 3; i++)
      ids.push(
        await runs.submit('lead', `Task page${i}: have the clerks buy the items`, { runId: `page-${i}` }),
      )
    for (const id of ids) await runs.result(id, { timeoutMs: 90_000 })
    const leads = await runs.list({ agent: 'lead', limit: 2 })
    expect(leads.map((run) => run.runId)).toEqual(['page-2', 'page-1'])
    const next = await runs.list({ agent: 'lead', limit: 2, submittedBefore: leads.at(-1)!.submittedAt })
    expect(next.map((run) => run.runId)).toEqual(['page-0'])
    expect(await runs.list({ agent: 'cautious-clerk', status: 'done' })).toEqual([])
    expect((await runs.list({ agent: 'lead', status: 'done' })).map((run) => run.runId).sort()).toEqual(ids)
    await runs.prune({ endedBefore: Date.now() + 60_000 })
    expect(await runs.list({ agent: 'lead' })).toEqual([])
  }, 120_000)

  it('refuses a filter it does not know, naming it', async () => {
    for (const filter of [
      { agents: 'lead' },
      { agent: '' },
      { status: 'finished' },
      { submittedBefore: 'yesterday' },
      { limit: 0 },
    ])
      await expect(runs.list(filter as never)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/^list: /),
      })
  })
})

describe('prune', () => {
  it('deletes runs that ended before the moment with everything stored for them, and nothing else', async () => {
    const ended = [
      await runs.submit('lead', 'Task lead1: have the clerks buy the items', { runId: 'old-lead' }),
      await runs.submit('lead', 'Task lead2: have the clerks buy the items', { runId: 'old-lead-2' }),
    ]
    const waiting = await runs.submit('cautious-clerk', 'Task waits: buy the items', { runId: 'waits' })
    for (const id of ended) expect((await runs.result(id, { timeoutMs: 90_000 })).status).toBe('done')
    expect((await runs.result(waiting, { timeoutMs: 90_000 })).status).toBe('awaiting_approval')
    const before = await rowsOf(ended)
    // The lead ran sub-agents: their lines, branches, charges and workflows are there to delete.
    expect(before['baton.branches']).toBeGreaterThan(0)
    expect(before['baton.lines']).toBeGreaterThan(0)
    expect(before['dbos.workflow_status']).toBeGreaterThan(2)

    // A moment before they ended: nothing goes.
    expect(await runs.prune({ endedBefore: new Date(Date.now() - 3_600_000) })).toEqual({ runIds: [] })
    expect(await rowsOf(ended)).toEqual(before)

    // One at a time with a limit, then the rest.
    const first = await runs.prune({ endedBefore: Date.now() + 60_000, limit: 1 })
    expect(first.runIds).toHaveLength(1)
    const rest = await runs.prune({ endedBefore: Date.now() + 60_000 })
    expect([...first.runIds, ...rest.runIds].sort()).toEqual([...ended].sort())

    expect(await rowsOf(ended)).toEqual({
      'baton.runs': 0,
      'baton.lines': 0,
      'baton.branches': 0,
      'baton.charges': 0,
      'baton.approvals': 0,
      'dbos.workflow_status': 0,
    })
    await expect(runs.get('old-lead')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' })
    // The run waiting for approval may still go on: it stays, whole.
    expect((await runs.get(waiting)).status).toBe('awaiting_approval')
    expect(await runs.transcript(waiting)).toContain('"approval.request"')
  }, 120_000)

  it('refuses options that do not say when, naming what is wrong', async () => {
    for (const options of [
      {},
      { endedBefore: 'yesterday' },
      { endedBefore: new Date('nope') },
      { endedBefore: Date.now(), limit: 0 },
      { endedBefore: Date.now(), olderThan: 5 },
      undefined,
    ])
      await expect(runs.prune(options as never)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/^prune: /),
      })
  })
})
