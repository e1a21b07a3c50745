/**
 * Durable runs through the library, with this process as the one worker, over a real
 * PostgreSQL: submitting (twice is harmless), awaiting, following, listing, cancelling,
 * exporting a transcript that replays, and every bad input as a clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns, treeHash } from '../src/durable/index.js'
import {
  type BatonEvent,
  defineAgent,
  defineTool,
  type Model,
  parseTranscript,
  replay,
  verifyTranscript,
} from '../src/index.js'
import { countRequestTokens } from '../src/testing/index.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk } from './fixtures/durable-agents.js'
import { rejection } from './helpers.js'
import { type Postgres, startPostgres } from './postgres.js'
import { freePort } from './processes.js'

const STEPS = 3
let postgres: Postgres
let server: FakeClerkServer
let runs: DurableRuns

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: STEPS, latencyMs: 40 })
  runs = await durableRuns({ database: postgres.url('baton'), agents: [makeClerk(server.url), makeReader()] })
  await runs.serve({ concurrency: 4, heartbeatMs: 200, staleMs: 3_000 })
})

afterAll(async () => {
  await runs?.close()
  await server?.close()
  await postgres?.stop()
})

const PAGES = 12

/**
 * An agent whose tool results outgrow its window: its model answers from the request alone (the
 * pages read so far), so any worker, and a replay, gets the same answers.
 */
function makeReader() {
  const model: Model = {
    spec: 'baton.model.v1',
    id: 'scripted:reader',
    async generate(request) {
      const usage = { inputTokens: countRequestTokens(request), outputTokens: 10 }
      // Stubbed results are still results: the count of pages read never shrinks.
      const read = request.messages.filter((m) => m.role === 'tool').length
      if (read >= PAGES)
        return { message: { role: 'assistant', content: 'All read.' }, usage, finishReason: 'stop' }
      return {
        message: {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: `page_${read}`, name: 'page', args: { n: read } }],
        },
        usage,
        finishReason: 'tool-calls',
      }
    },
  }
  const page = defineTool({
    name: 'page',
    description: 'One page of the report.',
    input: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
    idempotent: true,
    run: (input) => `page ${(input as { n: number }).n}: ${'words '.repeat(300)}`,
  })
  return defineAgent({
    name: 'reader',
    instructions: 'Read every page.',
    model,
    tools: [page],
    context: { window: 3_000, threshold: 0.5, keepTurns: 2, summarize: false },
  })
}

const codeOf = rejection

describe('durable runs in one worker', () => {
  it('runs a submitted run to its result, and submitting the same id again changes nothing', async () => {
    const id = await runs.submit('clerk', 'Task once buy things', { runId: 'once' })
    expect(id).toBe('once')
    const events: BatonEvent[] = []
    const following = (async () => {
      for await (const event of runs.follow(id)) events.push(event)
    })()
    const result = await runs.result(id)
    await following
    expect(result.status).toBe('done')
    expect(result.output).toBe('finished once')
    expect(result.runId).toBe('once')
    expect(result.usage.steps).toBe(STEPS + 1)
    expect(server.requests.get('once')).toBe(STEPS + 1)

    // Followed live: every event once, in order, from run.start to run.end.
    expect(events[0]?.type).toBe('run.start')
    expect(events.at(-1)?.type).toBe('run.end')
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
    expect(events.filter((e) => e.type === 'model.response')).toHaveLength(STEPS + 1)

    expect(await runs.submit('clerk', 'Task once buy other things', { runId: 'once' })).toBe('once')
    expect((await runs.result('once')).output).toBe('finished once')
    expect(server.requests.get('once')).toBe(STEPS + 1)

    const info = await runs.get('once')
    expect(info).toMatchObject({ runId: 'once', agent: 'clerk', status: 'done', attempts: 1 })
    expect((await runs.list({ status: 'done' })).map((run) => run.runId)).toContain('once')
  })

  it('exports the transcript as JSONL that replays offline', async () => {
    const id = await runs.submit('clerk', 'Task export buy things')
    await runs.result(id)
    const text = await runs.transcript(id)
    const transcript = parseTranscript(text, 'export.jsonl')
    expect(transcript.header.runId).toBe(id)
    expect(transcript.truncated).toBe(false)
    const replayed = await replay(transcript, makeClerk(server.url))
    expect(replayed.status).toBe('done')
    expect(replayed.output).toBe(`finished ${/Task (\w+)/.exec('Task export')![1]}`)
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
  })

  it('compacts an agent’s history as an in-process run does: its transcript replays the compactions', async () => {
    const id = await runs.submit('reader', 'Read the report.')
    const result = await runs.result(id)
    expect(result.status).toBe('done')
    expect(result.usage.toolCalls).toBe(PAGES)
    const exported = await runs.transcript(id)
    expect(verifyTranscript(exported)).toMatchObject({ intact: true, finished: true })
    const transcript = parseTranscript(exported, 'reader.jsonl')
    const compactions = transcript.events.filter((e) => e.type === 'context.compact')
    expect(compactions.length).toBeGreaterThan(1)
    expect(result.memory.filter((entry) => entry.key.startsWith('context/root/')).length).toBeGreaterThan(5)
    const replayed = await replay(transcript, makeReader())
    expect(replayed.divergences).toEqual([])
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
    expect(replayed.status).toBe('done')
  })

  it('cancels a run under way: it ends aborted, and cancelling it again is an error', async () => {
    const id = await runs.submit('clerk', 'Task cancelme buy things', {
      runId: 'cancelme',
      budget: { maxSteps: 50 },
    })
    await runs.cancel(id)
    const result = await runs.result(id)
    expect(result.status).toBe('aborted')
    const again = await codeOf(runs.cancel(id))
    expect(again.code).toBe('RUN_FINISHED')
    expect(again.message).toContain('cancelme')
  })

  it('refuses bad input with errors that name it', async () => {
    expect((await codeOf(runs.get('no-such-run'))).code).toBe('RUN_NOT_FOUND')
    expect((await codeOf(runs.result('no-such-run'))).message).toContain('no-such-run')
    expect((await codeOf(runs.cancel('no-such-run'))).code).toBe('RUN_NOT_FOUND')
    const unknown = await codeOf(runs.submit('nobody', 'Task x'))
    expect(unknown.code).toBe('UNKNOWN_AGENT')
    expect(unknown.message).toContain('nobody')
    const badId = await codeOf(runs.submit('clerk', 'Task x', { runId: 'has spaces' }))
    expect(badId.code).toBe('INVALID_OPTIONS')
    expect(badId.message).toContain('has spaces')
    expect((await codeOf(durableRuns({ database: 'mysql://x', agents: [] }))).code).toBe('INVALID_OPTIONS')
  })

  it('says when the database cannot be reached, and when it holds tables of another version', async () => {
    const port = await freePort()
    const unreachable = await codeOf(
      durableRuns({ database: `postgresql://postgres:secret@127.0.0.1:${port}/nowhere`, agents: [] }),
    )
    expect(unreachable.code).toBe('DATABASE')
    expect(unreachable.message).toContain(`127.0.0.1:${port}`)
    expect(unreachable.message).not.toContain('secret')

    const other = await durableRuns({ database: postgres.url('other'), agents: [] })
    const { default: pg } = await import('pg')
    const db = new pg.Client({ connectionString: postgres.url('other') })
    await db.connect()
    await db.query(`UPDATE baton.meta SET value = '99' WHERE key = 'schema'`)
    await db.end()
    await other.close()
    const newer = await codeOf(durableRuns({ database: postgres.url('other'), agents: [] }))
    expect(newer.code).toBe('DATABASE')
    expect(newer.message).toContain('schema version 99')
  })

  it('brings tables of an older schema version up to this one, keeping their runs', async () => {
    const database = postgres.url('older')
    await (await durableRuns({ database, agents: [] })).close()
    const { default: pg } = await import('pg')
    const db = new pg.Client({ connectionString: database })
    await db.connect()
    try {
      // Version 1 had no approvals, one workflow per run, and workers that did not say what they serve.
      await db.query(
        `DROP TABLE baton.approvals; ALTER TABLE baton.runs DROP COLUMN rounds; ALTER TABLE baton.workers DROP COLUMN agents;
         DROP TABLE baton.rate_buckets; DROP TABLE baton.rate_slots`,
      )
      await db.query(`UPDATE baton.meta SET value = '1' WHERE key = 'schema'`)
      await db.query(
        `INSERT INTO baton.runs (run_id, agent, task, tree_hash, status) VALUES ('old', 'clerk', '"Task old"', 'h', 'done')`,
      )
      const upgraded = await durableRuns({ database, agents: [] })
      try {
        expect((await upgraded.get('old')).status).toBe('done')
        expect(await upgraded.list({ status: 'awaiting_approval' })).toEqual([])
      } finally {
        await upgraded.close()
      }
      const meta = await db.query(`SELECT value FROM baton.meta WHERE key = 'schema'`)
      expect(meta.rows[0]?.value).toBe('4')
      // Version 4 keeps the workers' shared rate limits.
      const tables = await db.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'baton' AND table_name LIKE 'rate_%' ORDER BY 1`,
      )
      expect(tables.rows.map((row) => row.table_name)).toEqual(['rate_buckets', 'rate_slots'])
      const rounds = await db.query(`SELECT rounds FROM baton.runs WHERE run_id = 'old'`)
      expect(rounds.rows[0]?.rounds).toBe(1)
      const agents = await db.query(`SELECT agents FROM baton.workers LIMIT 1`)
      expect(agents.fields.map((field) => field.name)).toEqual(['agents'])
    } finally {
      await db.end()
    }
  })

  it('queues again a run whose workflow never reached the queue (its submitter died in between)', async () => {
    const { default: pg } = await import('pg')
    const db = new pg.Client({ connectionString: postgres.url('baton') })
    await db.connect()
    try {
      // What `submit` stores before it enqueues the workflow, a minute ago.
      await db.query(
        `INSERT INTO baton.runs (run_id, agent, task, tree_hash, updated_at)
         VALUES ('orphan', 'clerk', '"Task orphan buy things"', $1, now() - interval '1 minute')`,
        [treeHash(makeClerk(server.url))],
      )
    } finally {
      await db.end()
    }
    const result = await runs.result('orphan', { timeoutMs: 60_000 })
    expect(result.status).toBe('done')
    expect(result.output).toBe('finished orphan')
  })

  it('ends a follow at the run end only once the run says so: what the follower does next finds it ended', async () => {
    const { default: pg } = await import('pg')
    const db = new pg.Client({ connectionString: postgres.url('baton') })
    await db.connect()
    try {
      // A worker that has written the end line of its attempt, and not yet the run's status.
      await db.query(
        `INSERT INTO baton.runs (run_id, agent, task, tree_hash, status, attempts)
         VALUES ('half-ended', 'clerk', '"Task half buy things"', $1, 'running', 1)`,
        [treeHash(makeClerk(server.url))],
      )
      const event = (type: string, seq: number, extra: object = {}) =>
        JSON.stringify({ type, seq, t: seq, runId: 'half-ended', ...extra })
      await db.query(
        `INSERT INTO baton.lines (run_id, attempt, n, line)
         SELECT 'half-ended', 1, i - 1, line FROM unnest($1::text[]) WITH ORDINALITY AS t(line, i)`,
        [['{}', event('run.start', 0), event('run.end', 1, { status: 'done' })]],
      )
      const seen: string[] = []
      let started!: () => void
      const startSeen = new Promise<void>((resolve) => {
        started = resolve
      })
      const following = (async () => {
        for await (const e of runs.follow('half-ended')) {
          seen.push(e.type)
          if (e.type === 'run.start') started()
        }
      })()
      // Both lines were read together; the end waits for the status.
      await startSeen
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(seen).toEqual(['run.start'])
      await db.query(`UPDATE baton.runs SET status = 'done' WHERE run_id = 'half-ended'`)
      await following
      expect(seen).toEqual(['run.start', 'run.end'])
    } finally {
      await db.end()
    }
  })

  it('does not run a run under a changed agent definition: it says so and what to do', async () => {
    const changed = defineAgent({ ...makeClerkConfig(), instructions: 'Something else entirely.' })
    const submitter = await durableRuns({ database: postgres.url('baton'), agents: [changed] })
    try {
      const id = await submitter.submit('clerk', 'Task changed buy things', { runId: 'changed' })
      const result = await runs.result(id)
      expect(result.status).toBe('error')
      expect(result.stopReason).toBe('AGENT_CHANGED')
      expect(result.error?.message).toMatch(/another definition of agent "clerk".*submit it again/)
      expect(server.requests.get('changed')).toBeUndefined()
    } finally {
      await submitter.close()
    }
  })
})

/** The clerk's definition, to make a changed copy of it. */
function makeClerkConfig() {
  const clerk = makeClerk(server.url)
  return { name: clerk.name, instructions: clerk.instructions, model: clerk.model, tools: [...clerk.tools] }
}
