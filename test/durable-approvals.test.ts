/**
 * Approvals of durable runs over a real PostgreSQL and real worker processes: a run that needs
 * approval waits in the database with no worker holding it; an answer given from another
 * process, while no worker is alive at all, puts it back on the queue, and a worker started
 * later carries it on from where it stopped.
 */
import { userInfo } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { type BatonEvent, parseTranscript, replay, verifyTranscript } from '../src/index.js'
import { WorkerProcesses } from './durable-workers.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk } from './fixtures/durable-agents.js'
import { rejection } from './helpers.js'
import { type Postgres, startPostgres } from './postgres.js'

const STEPS = 3
let postgres: Postgres
let server: FakeClerkServer
let workers: WorkerProcesses
let database: string
/** Submits and answers; it never serves. */
let client: DurableRuns

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: STEPS, latencyMs: 20 })
  database = postgres.url('approvals')
  client = await durableRuns({ database, agents: [makeClerk(server.url, { approvals: true })] })
  workers = new WorkerProcesses(database, server.url)
})

afterAll(async () => {
  await workers?.killAll()
  await client?.close()
  await server?.close()
  await postgres?.stop()
})

const codeOf = rejection

/** Another process's view of the database: a client of its own. */
async function elsewhere<T>(work: (runs: DurableRuns) => Promise<T>): Promise<T> {
  const other = await durableRuns({ database, agents: [] })
  try {
    return await work(other)
  } finally {
    await other.close()
  }
}

describe('durable approvals', () => {
  it('wait in the database without a worker, and go on on any worker once answered', async () => {
    const id = await client.submit('cautious-clerk', 'Task waits: buy the items', { runId: 'waits' })
    const first = await workers.start()

    // Step 0: `lookup` runs, `charge` waits for an answer; the run pauses.
    const paused = await client.result(id, { timeoutMs: 90_000 })
    expect(paused.status).toBe('awaiting_approval')
    expect(paused.pending?.map((p) => [p.tool, p.callId])).toEqual([['charge', 'c0']])
    expect((await client.get(id)).pending?.[0]?.args).toEqual({ ref: 'waits-0' })
    expect(server.charges.get('waits-0')).toBeUndefined()

    // No worker is alive; the answer comes from another process, and the run is queued again.
    await workers.kill(first)
    const answer = await elsewhere((runs) => runs.approve(id, 'c0', true, { by: 'ops' }))
    expect(answer).toEqual({ waiting: [], resumed: true })
    expect((await client.get(id)).status).toBe('queued')
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect((await client.get(id)).status).toBe('queued')

    // A new worker carries it on: the approved charge is made once, and step 1 waits in turn.
    await workers.start()
    const again = await client.result(id, { timeoutMs: 90_000 })
    expect(again.status).toBe('awaiting_approval')
    expect(again.pending?.map((p) => p.callId)).toEqual(['c1'])
    expect(server.charges.get('waits-0')).toBe(1)

    // Refused: the model is told, and goes on; the last one is approved by step key.
    expect(await client.approve(id, 'c1', false)).toEqual({ waiting: [], resumed: true })
    const third = await client.result(id, { timeoutMs: 90_000 })
    expect(third.pending?.map((p) => p.callId)).toEqual(['c2'])
    await client.approve(id, third.pending![0]!.path, true)
    const done = await client.result(id, { timeoutMs: 90_000 })
    expect(done.status).toBe('done')
    expect(done.output).toBe('finished waits')
    expect(server.charges.get('waits-1')).toBeUndefined()
    expect(server.charges.get('waits-2')).toBe(1)

    // Each model call was paid once, whatever the pauses and workers.
    expect(server.requests.get('waits')).toBe(STEPS + 1)
    const exported = await client.transcript(id)
    const transcript = parseTranscript(exported, id)
    const refused = transcript.events.find((e) => e.type === 'tool.result' && e.callId === 'c1')
    expect(refused?.type === 'tool.result' && refused.error?.code).toBe('APPROVAL_DENIED')
    // Who decided each call, as the answers said (the OS user when no one is named).
    const decisions = transcript.events.flatMap((e) =>
      e.type === 'approval.decision' ? [[e.callId, e.approved, e.by]] : [],
    )
    expect(decisions).toEqual([
      ['c0', true, 'ops'],
      ['c1', false, userInfo().username],
      ['c2', true, userInfo().username],
    ])
    // The exported transcript is the one the run wrote: its chain holds.
    expect(verifyTranscript(exported)).toMatchObject({ intact: true, chained: true, finished: true })
    const replayed = await replay(transcript, makeClerk(server.url, { approvals: true }))
    expect(replayed.status).toBe('done')
    expect(replayed.divergences).toEqual([])
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
  })

  it('follows a run through the pauses that have their answers, and stops at one that waits', async () => {
    if (workers.alive.length === 0) await workers.start()
    const id = await client.submit('cautious-clerk', 'Task followed: buy the items', { runId: 'followed' })
    const collect = async () => {
      const events: BatonEvent[] = []
      for await (const event of client.follow(id)) events.push(event)
      return events
    }
    const requested = (events: BatonEvent[]) =>
      events.flatMap((e) => (e.type === 'approval.request' ? [e.callId] : []))
    const ends = (events: BatonEvent[]) => events.flatMap((e) => (e.type === 'run.end' ? [e.status] : []))

    expect((await client.result(id, { timeoutMs: 90_000 })).status).toBe('awaiting_approval')
    await client.approve(id, 'c0', true)
    // Past the answered pause, to the next one, which waits: the follow ends there.
    const first = await collect()
    expect(requested(first)).toEqual(['c0', 'c1'])
    expect(ends(first)).toEqual(['awaiting_approval'])

    await client.approve(id, 'c1', true)
    const third = await client.result(id, { timeoutMs: 90_000 })
    expect(third.pending?.map((p) => p.callId)).toEqual(['c2'])
    await client.approve(id, 'c2', true)
    expect((await client.result(id, { timeoutMs: 90_000 })).status).toBe('done')
    // The whole run, from the first event to its real end, each event once.
    const all = await collect()
    expect(requested(all)).toEqual(['c0', 'c1', 'c2'])
    expect(ends(all)).toEqual(['done'])
    expect(all.filter((e) => e.type === 'run.start')).toHaveLength(1)
  })

  it('cancels a run that waits for approval: it ends aborted, with what it had done', async () => {
    if (workers.alive.length === 0) await workers.start()
    const id = await client.submit('cautious-clerk', 'Task dropped: buy the items', { runId: 'dropped' })
    expect((await client.result(id, { timeoutMs: 90_000 })).status).toBe('awaiting_approval')
    await elsewhere((runs) => runs.cancel(id))
    const result = await client.result(id)
    expect(result.status).toBe('aborted')
    expect(result.error?.message).toContain('waited for approval')
    expect(result.pending).toBeUndefined()
    expect(result.trajectory.map((step) => step.name)).toEqual(['lookup', 'charge'])
    expect((await codeOf(client.approve(id, 'c0', true))).code).toBe('NO_SUCH_APPROVAL')
  })

  it('refuses answers that cannot be given, naming what is wrong', async () => {
    if (workers.alive.length === 0) await workers.start()
    const id = await client.submit('cautious-clerk', 'Task asked: buy the items', { runId: 'asked' })
    expect((await client.result(id, { timeoutMs: 90_000 })).status).toBe('awaiting_approval')

    const unknownCall = await codeOf(client.approve(id, 'c9', true))
    expect(unknownCall.code).toBe('NO_SUCH_APPROVAL')
    expect(unknownCall.message).toContain('"c9"')
    expect(unknownCall.message).toContain('waiting: c0 (charge, ')
    expect((await codeOf(client.approve('no-such-run', 'c0', true))).code).toBe('RUN_NOT_FOUND')
    const notBoolean = await codeOf(client.approve(id, 'c0', 'yes' as unknown as boolean))
    expect(notBoolean.code).toBe('INVALID_OPTIONS')
    expect(notBoolean.message).toContain('"yes"')

    // Answered, it runs on; a run that does not wait cannot be answered.
    await client.approve(id, 'c0', true)
    const done = await client.result(id, { timeoutMs: 90_000 })
    expect(done.status).toBe('awaiting_approval')
    await client.cancel(id)
    const finished = await codeOf(client.approve(id, 'c1', true))
    expect(finished.code).toBe('NO_SUCH_APPROVAL')
    expect(finished.message).toContain('is not waiting for approval (it is aborted)')
  })
})
