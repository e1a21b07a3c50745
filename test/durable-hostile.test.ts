/**
 * Durable runs as production meets them, with this process as the one worker over a real
 * PostgreSQL: database URLs that are malformed or carry their password where it is not looked
 * for, values PostgreSQL's `jsonb` cannot hold, a cancel of a run no worker has taken, an answer
 * given twice, and an attempt that woke up after another worker took its run over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { defineAgent, defineTool, type Model } from '../src/index.js'
import { countRequestTokens } from '../src/testing/index.js'
import { rejection } from './helpers.js'
import { type Postgres, startPostgres } from './postgres.js'
import { freePort } from './processes.js'

let postgres: Postgres
let database: string
let runs: DurableRuns
/** The model calls of the `gated` agent, and the gate its tool waits at. */
let gatedCalls = 0
const gate = deferred()
const toolStarted = deferred()

beforeAll(async () => {
  postgres = await startPostgres()
  database = postgres.url('hostile')
  runs = await durableRuns({ database, agents: [echoAgent(), gatedAgent(), askingAgent()] })
  await runs.serve({ concurrency: 4, heartbeatMs: 200, staleMs: 3_000 })
})

afterAll(async () => {
  await runs?.close()
  await postgres?.stop()
})

describe('durable runs against hostile input', () => {
  it('keeps passwords out of every message, and names a database URL that cannot be parsed', async () => {
    const port = await freePort()
    for (const url of [
      `postgresql://baton@127.0.0.1:${port}/db?password=topsecret`,
      `postgresql://127.0.0.1:${port}/db?user=baton&password=topsecret&sslmode=disable`,
    ]) {
      const error = await rejection(durableRuns({ database: url, agents: [] }))
      expect(error.code).toBe('DATABASE')
      expect(error.message).toContain(`127.0.0.1:${port}`)
      expect(error.message).not.toContain('topsecret')
    }
    for (const [url, why] of [
      [`postgresql://baton:top/secret@127.0.0.1:${port}/db`, 'percent-encode'],
      [`postgresql://baton:topsecret@127.0.0.1:notaport/db`, 'port'],
    ] as const) {
      const error = await rejection(durableRuns({ database: url, agents: [] }))
      expect(error.code).toBe('INVALID_OPTIONS')
      expect(error.message).toContain('not a valid URL')
      expect(error.message).toContain(why)
      expect(error.message).not.toMatch(/top.?secret/)
    }
  })

  it('stores tasks and results that hold NUL characters or halves of surrogate pairs', async () => {
    const odd = 'bin\u0000ary, half \ud800 pair, a real \\u0000 escape, and {"$baton:json":1}'
    const id = await runs.submit('echo', odd, { runId: 'odd-text' })
    const result = await runs.result(id, { timeoutMs: 30_000 })
    expect(result.status, result.error?.message).toBe('done')
    expect(result.output).toBe(`said: ${odd}`)
    expect((await runs.get(id)).task).toBe(odd)
    // A task that is an object of the shape Baton uses to store such text is kept as it is.
    const shaped = { '$baton:json': '{"a":1}' }
    const again = await runs.submit('echo', shaped as unknown as string, { runId: 'odd-shape' })
    expect((await runs.get(again)).task).toEqual(shaped)
  })

  it('cancels a queued run that no worker has taken at once: it ends aborted', async () => {
    const client = await durableRuns({ database, agents: [echoAgent('unserved')] })
    try {
      const id = await client.submit('unserved', 'nobody serves me', { runId: 'unserved-1' })
      expect((await client.get(id)).status).toBe('queued')
      await client.cancel(id)
      expect((await client.get(id)).status).toBe('aborted')
      const result = await client.result(id, { timeoutMs: 5_000 })
      expect(result.status).toBe('aborted')
      expect(result.error?.message).toContain('cancelled before it started')
      expect((await rejection(client.cancel(id))).code).toBe('RUN_FINISHED')
    } finally {
      await client.close()
    }
  })

  it('takes the same answer twice as one; another answer to a call already answered names who gave it', async () => {
    const id = await runs.submit('asking', 'ask', { runId: 'asked-twice' })
    const paused = await runs.result(id, { timeoutMs: 30_000 })
    expect(paused.status).toBe('awaiting_approval')
    expect(await runs.approve(id, 'a1', true, { by: 'alice' })).toEqual({ waiting: [], resumed: true })
    // A second click on the same answer, whether the run has gone on yet or not.
    expect(await runs.approve(id, 'a1', true, { by: 'alice' })).toEqual({ waiting: [], resumed: false })
    const done = await runs.result(id, { timeoutMs: 30_000 })
    expect(done.status).toBe('done')
    expect(await runs.approve(id, 'a1', true)).toEqual({ waiting: [], resumed: false })
    const changed = await rejection(runs.approve(id, 'a1', false, { by: 'bob' }))
    expect(changed.code).toBe('NO_SUCH_APPROVAL')
    expect(changed.message).toContain('already approved by alice')
  })

  it('lets an attempt that another worker took over start no further step, nor end the run', async () => {
    const id = await runs.submit('gated', 'wait at the gate', { runId: 'taken-over' })
    await toolStarted.promise
    // What another worker does when it takes the run over: a new attempt.
    await sql(`UPDATE baton.runs SET attempts = attempts + 1 WHERE run_id = $1`, [id])
    gate.resolve()
    await workflowEnded(id)
    // The old attempt made no model call after its tool, and left the run to the new one.
    expect(gatedCalls).toBe(1)
    const run = await runs.get(id)
    expect(run.status).toBe('running')
    expect(run.attempts).toBe(2)
  })
})

/** Runs a statement on the test database. */
async function sql(text: string, values: unknown[] = []) {
  const { default: pg } = await import('pg')
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  try {
    return await db.query(text, values)
  } finally {
    await db.end()
  }
}

/** Waits until DBOS says the run's workflow has ended (however it ended). */
async function workflowEnded(id: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const found = await sql(`SELECT status FROM dbos.workflow_status WHERE workflow_uuid = $1`, [id])
    if (found.rows[0] && found.rows[0].status !== 'PENDING') return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the workflow of ${id} did not end in 30 s`)
}

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

const usage = (request: Parameters<Model['generate']>[0]) => ({
  inputTokens: countRequestTokens(request),
  outputTokens: 10,
})

/** Calls `echo` with the task once, then says what it returned. */
function echoAgent(name = 'echo') {
  const model: Model = {
    spec: 'baton.model.v1',
    id: 'scripted:echo',
    async generate(request) {
      const tool = request.messages.find((m) => m.role === 'tool')
      if (tool)
        return {
          message: { role: 'assistant', content: `said: ${String(tool.content)}` },
          usage: usage(request),
          finishReason: 'stop',
        }
      const task = request.messages.find((m) => m.role === 'user')
      const text = typeof task?.content === 'string' ? task.content : JSON.stringify(task?.content)
      return {
        message: { role: 'assistant', content: '', toolCalls: [{ id: 'e1', name: 'echo', args: { text } }] },
        usage: usage(request),
        finishReason: 'tool-calls',
      }
    },
  }
  const echo = defineTool({
    name: 'echo',
    description: 'Says the text back',
    input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    idempotent: true,
    run: (input) => (input as { text: string }).text,
  })
  return defineAgent({ name, instructions: 'Echo.', model, tools: [echo] })
}

/** Calls `pass` once (it waits at the test's gate), then answers. */
function gatedAgent() {
  const model: Model = {
    spec: 'baton.model.v1',
    id: 'scripted:gated',
    async generate(request) {
      gatedCalls++
      if (request.messages.some((m) => m.role === 'tool'))
        return {
          message: { role: 'assistant', content: 'through' },
          usage: usage(request),
          finishReason: 'stop',
        }
      return {
        message: { role: 'assistant', content: '', toolCalls: [{ id: 'g1', name: 'pass', args: {} }] },
        usage: usage(request),
        finishReason: 'tool-calls',
      }
    },
  }
  const pass = defineTool({
    name: 'pass',
    description: 'Waits at the gate',
    input: { type: 'object', properties: {} },
    run: async () => {
      toolStarted.resolve()
      await gate.promise
      return 'passed'
    },
  })
  return defineAgent({ name: 'gated', instructions: 'Pass.', model, tools: [pass] })
}

/** Calls `act` once, which needs approval, then answers. */
function askingAgent() {
  const model: Model = {
    spec: 'baton.model.v1',
    id: 'scripted:asking',
    async generate(request) {
      if (request.messages.some((m) => m.role === 'tool'))
        return {
          message: { role: 'assistant', content: 'acted' },
          usage: usage(request),
          finishReason: 'stop',
        }
      return {
        message: { role: 'assistant', content: '', toolCalls: [{ id: 'a1', name: 'act', args: {} }] },
        usage: usage(request),
        finishReason: 'tool-calls',
      }
    },
  }
  const act = defineTool({
    name: 'act',
    description: 'Acts, once approved',
    input: { type: 'object', properties: {} },
    needsApproval: true,
    run: () => 'done',
  })
  return defineAgent({ name: 'asking', instructions: 'Act.', model, tools: [act] })
}
