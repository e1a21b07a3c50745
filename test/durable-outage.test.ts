/**
 * Durable runs while their database goes away and comes back (PostgreSQL stopped and started
 * again under them, as a restart or a failover does): a run under way goes on from its stored
 * transcript once the database is back, and workers that were all cut off together do not
 * declare each other dead for the silence they shared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { inTransaction } from '../src/durable/transaction.js'
import { defineAgent, defineTool, type Model, parseTranscript, replay } from '../src/index.js'
import { countRequestTokens } from '../src/testing/index.js'
import { WorkerProcesses } from './durable-workers.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { type Postgres, startPostgres } from './postgres.js'

const TICKS = 10
let postgres: Postgres
let runs: DurableRuns
let server: FakeClerkServer
let workers: WorkerProcesses | undefined
let modelCalls = 0

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: 3, latencyMs: 20 })
  runs = await durableRuns({ database: postgres.url('outage'), agents: [ticker()] })
  await runs.serve({ concurrency: 2, heartbeatMs: 200, staleMs: 2_000 })
})

afterAll(async () => {
  await workers?.killAll()
  await runs?.close()
  await server?.close()
  await postgres?.stop()
})

describe('durable runs when the database goes away', () => {
  it('carry a run under way on once the database is back, from its stored transcript', async () => {
    const id = await runs.submit('ticker', 'tick', { runId: 'through-outage' })
    // A few ticks in, the database stops for longer than a worker may stay silent.
    while (modelCalls < 3) await new Promise((resolve) => setTimeout(resolve, 50))
    // Its caller waits through the outage too, and so does whoever follows its events.
    const waiting = runs.result(id, { timeoutMs: 90_000 })
    const followed: { type: string; seq?: number }[] = []
    const following = (async () => {
      for await (const event of runs.follow(id)) followed.push(event)
    })()
    while (followed.length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    await postgres.down()
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    postgres.up()
    const result = await waiting
    await following
    expect(followed.at(-1)?.type).toBe('run.end')
    expect(followed.filter((event) => event.type === 'model.response')).toHaveLength(TICKS + 1)
    expect(result.status, result.error?.message).toBe('done')
    expect(result.output).toBe(`ticked ${TICKS}`)
    // Completed steps were not made again: at most the calls in flight while it was down.
    expect(modelCalls).toBeLessThanOrEqual(TICKS + 1 + 2)
    const transcript = parseTranscript(await runs.transcript(id), id)
    const replayed = await replay(transcript, ticker())
    expect(replayed.divergences).toEqual([])
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
  })

  it('fails the transaction, not the process, when the database drops a connection held between two queries', async () => {
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ connectionString: postgres.url('outage') })
    pool.on('error', () => {})
    try {
      const failing = inTransaction(pool, async (client) => {
        await client.query('SELECT 1')
        await postgres.down()
        await client.query('SELECT 1')
      })
      await expect(failing).rejects.toThrow()
    } finally {
      postgres.up()
      await pool.end()
    }
  })

  it('does not make workers cut off together declare each other dead when it is back', async () => {
    const database = postgres.url('outage_workers')
    // The database and its tables exist before the workers start.
    await (await durableRuns({ database, agents: [] })).close()
    workers = new WorkerProcesses(database, server.url)
    const ids = [await workers.start(), await workers.start()]
    const exits = ids.map((id) => workers!.exited(id))
    // Silent for longer than their staleMs (3 s), all of them: nobody stalled but the database.
    await postgres.down()
    await new Promise((resolve) => setTimeout(resolve, 4_500))
    postgres.up()
    const died = await Promise.race([
      Promise.race(exits).then((code) => `a worker exited (${code})`),
      new Promise((resolve) => setTimeout(() => resolve(undefined), 8_000)),
    ])
    expect(died).toBeUndefined()
    expect(workers.alive).toEqual(ids)
    // And they serve: a run submitted now finishes.
    const client = await durableRuns({ database, agents: [] })
    try {
      const { makeClerk } = await import('./fixtures/durable-agents.js')
      const submitter = await durableRuns({ database, agents: [makeClerk(server.url)] })
      const id = await submitter.submit('clerk', 'Task afterwards buy things', { runId: 'afterwards' })
      await submitter.close()
      expect((await client.result(id, { timeoutMs: 60_000 })).status).toBe('done')
    } finally {
      await client.close()
    }
  })
})

/** Calls `tick` until it has TICKS results, thinking 150 ms before each answer. */
function ticker() {
  const model: Model = {
    spec: 'baton.model.v1',
    id: 'scripted:ticker',
    async generate(request) {
      modelCalls++
      await new Promise((resolve) => setTimeout(resolve, 150))
      const usage = { inputTokens: countRequestTokens(request), outputTokens: 10 }
      const done = request.messages.filter((m) => m.role === 'tool').length
      if (done >= TICKS)
        return { message: { role: 'assistant', content: `ticked ${done}` }, usage, finishReason: 'stop' }
      return {
        message: {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: `t${done}`, name: 'tick', args: { n: done } }],
        },
        usage,
        finishReason: 'tool-calls',
      }
    },
  }
  const tick = defineTool({
    name: 'tick',
    description: 'Ticks',
    input: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
    idempotent: true,
    run: (input) => `tick ${(input as { n: number }).n}`,
  })
  return defineAgent({
    name: 'ticker',
    instructions: 'Tick.',
    model,
    tools: [tick],
    budget: { maxSteps: 100 },
  })
}
