/**
 * Durable runs as OpenTelemetry traces, over real worker processes, a real PostgreSQL and an
 * OTLP/HTTP receiver: the worker that ends a run sends it as one trace, with its sub-agents
 * that ran on other workers and the steps of a worker killed mid-run, at the times they
 * happened; `baton worker --otel` sends what is left when it stops.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DurableRuns, durableRuns } from '../src/durable/index.js'
import { WorkerProcesses } from './durable-workers.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk, makeLead } from './fixtures/durable-agents.js'
import { type OtlpReceiver, otlpReceiver, type ReceivedSpan } from './otel-receiver.js'
import { type Postgres, startPostgres } from './postgres.js'

const STEPS = 4
const LATENCY_MS = 300
/** The spans of a clerk's run: itself, its model calls, its two tool calls a step. */
const CLERK_SPANS = 1 + (STEPS + 1) + 2 * STEPS
/** The spans of a lead's run: itself, its two model calls and two delegations, its two clerks. */
const LEAD_SPANS = 1 + 2 + 2 + 2 * CLERK_SPANS

let postgres: Postgres
let server: FakeClerkServer
let receiver: OtlpReceiver
let workers: WorkerProcesses
let database: string
let client: DurableRuns

/** Where the workers' spans go, whatever OpenTelemetry variables the tests were started with. */
const otelEnv = (): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_PROTOCOL: '',
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '',
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_SDK_DISABLED: 'false',
})

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: STEPS, latencyMs: LATENCY_MS })
  receiver = await otlpReceiver()
  database = postgres.url('otel')
  client = await durableRuns({
    database,
    agents: [makeClerk(server.url), makeClerk(server.url, { approvals: true }), makeLead(server.url)],
  })
  workers = new WorkerProcesses(database, server.url, {
    ...otelEnv(),
    OTEL: '1',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  })
  await Promise.all([workers.start(), workers.start()])
})

afterAll(async () => {
  await workers?.killAll()
  await client?.close()
  await receiver?.close()
  await server?.close()
  await postgres?.stop()
})

async function query<T>(sql: string, values: unknown[]): Promise<T[]> {
  const { default: pg } = await import('pg')
  const db = new pg.Client({ connectionString: database })
  await db.connect()
  try {
    return (await db.query(sql, values)).rows as T[]
  } finally {
    await db.end()
  }
}

/** Which worker ran each workflow of a run (the run's own and its sub-agents'). */
async function executors(runId: string): Promise<Map<string, string>> {
  const rows = await query<{ workflow_uuid: string; executor_id: string }>(
    `SELECT workflow_uuid, executor_id FROM dbos.workflow_status WHERE workflow_uuid = $1 OR starts_with(workflow_uuid, $1 || '>')`,
    [runId],
  )
  return new Map(rows.map((row) => [row.workflow_uuid, row.executor_id]))
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const ms = (nanos: bigint) => Number(nanos / 1_000_000n)

/**
 * The spans the receiver got from `before` on, once it has `count`; a little later it must
 * still have exactly those (a span sent twice, or by a second worker, would show then).
 */
async function spansFrom(before: number, count: number): Promise<ReceivedSpan[]> {
  await receiver.waitFor(before + count, 60_000)
  await sleep(1_500)
  const spans = receiver.spans.slice(before)
  expect(spans).toHaveLength(count)
  expect(new Set(spans.map((span) => span.spanId)).size).toBe(count)
  return spans
}

/** The step key of an agent's call (`root/2/agent:clerk#0/3/model` → `root/2/agent:clerk#0`). */
const agentOf = (key: string) => key.replace(/\/\d+\/(model|tool\/[^/]+)$/, '')

/** Checks that `spans` are one trace of run `runId`, with the tree its step keys say; returns its root. */
function checkTree(spans: readonly ReceivedSpan[], runId: string, agent: string): ReceivedSpan {
  expect(new Set(spans.map((span) => span.traceId)).size).toBe(1)
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  const roots = spans.filter((span) => span.parentSpanId === '')
  expect(roots.map((span) => span.name)).toEqual([`invoke_agent ${agent}`])
  const root = roots[0]!
  expect(root.attributes['gen_ai.conversation.id']).toBe(runId)
  expect(root.attributes['baton.step_key']).toBe('root')
  for (const span of spans) {
    const key = String(span.attributes['baton.step_key'])
    if (span === root) continue
    const parent = byId.get(span.parentSpanId)
    expect(parent, `${span.name} (${key}): its parent is in the trace`).toBeDefined()
    if (span.name.startsWith('invoke_agent ')) {
      // A sub-agent is under the call that delegated to it, which is under the lead's span.
      expect(parent!.name, key).toBe(`execute_tool delegate_${span.attributes['gen_ai.agent.name']}`)
      expect(byId.get(parent!.parentSpanId), key).toBe(root)
      expect(key).toMatch(/^root\/\d+\/agent:[^/]+#\d+$/)
    } else {
      expect(span.name).toMatch(/^(chat|execute_tool) /)
      expect(parent!.name, key).toMatch(/^invoke_agent /)
      expect(parent!.attributes['baton.step_key'], key).toBe(agentOf(key))
    }
    // Within the run's span, started before it ended.
    expect(span.start, key).toBeGreaterThanOrEqual(root.start)
    expect(span.end, key).toBeLessThanOrEqual(root.end)
    expect(span.end, key).toBeGreaterThanOrEqual(span.start)
  }
  return root
}

/** The run's time as the database saw it: from its submission to its result, in epoch ms. */
async function runTime(runId: string): Promise<{ from: number; to: number }> {
  const run = await client.get(runId)
  return { from: run.submittedAt.getTime(), to: run.updatedAt.getTime() }
}

const named = (spans: readonly ReceivedSpan[], name: string) => spans.filter((span) => span.name === name)

describe('durable runs as traces', () => {
  it('sends a run whose sub-agents ran on other workers as one trace, at the times things happened', async () => {
    // A run whose two clerks ran on two different workers (the sub-agents of a run spread over
    // the free workers; a busy machine may leave them both to one, so try a few runs).
    let spread: { id: string; spans: ReceivedSpan[] } | undefined
    for (let k = 0; k < 4 && !spread; k++) {
      const id = `traced${k}`
      const before = receiver.spans.length
      await client.submit('lead', `Task ${id}: buy everything`, { runId: id })
      const result = await client.result(id, { timeoutMs: 120_000 })
      expect(result.status, result.error?.message).toBe('done')
      const spans = await spansFrom(before, LEAD_SPANS)
      const root = checkTree(spans, id, 'lead')
      const { from, to } = await runTime(id)
      expect(ms(root.start)).toBeGreaterThanOrEqual(from - 1)
      expect(ms(root.end)).toBeLessThanOrEqual(to + 1)
      const flows = await executors(id)
      const clerks = [...flows].filter(([flow]) => flow.includes('>')).map(([, executor]) => executor)
      expect(clerks).toHaveLength(2)
      if (new Set(clerks).size === 2) spread = { id, spans }
    }
    expect(spread, 'no run had its sub-agents on two workers').toBeDefined()
    const { id, spans } = spread!

    const count = (name: string) => named(spans, name).length
    expect(count('invoke_agent lead')).toBe(1)
    expect(count('invoke_agent clerk')).toBe(2)
    expect(count('chat fake-lead')).toBe(2)
    expect(count('execute_tool delegate_clerk')).toBe(2)
    expect(count('chat fake-clerk')).toBe(2 * (STEPS + 1))
    expect(count('execute_tool lookup')).toBe(2 * STEPS)
    expect(count('execute_tool charge')).toBe(2 * STEPS)
    for (const span of spans) expect(span.status.code, span.name).not.toBe(2)
    for (const span of named(spans, 'invoke_agent clerk'))
      expect(span.attributes['gen_ai.conversation.id']).toBe(id)

    // The sub-agents' own times, not the moment their events joined the lead's transcript:
    // each model call took the fake server's latency, and the two clerks ran at once.
    for (const span of named(spans, 'chat fake-clerk'))
      expect(ms(span.end - span.start), String(span.attributes['baton.step_key'])).toBeGreaterThanOrEqual(
        LATENCY_MS - 50,
      )
    const [a, b] = named(spans, 'invoke_agent clerk')
    expect(a!.start < b!.end && b!.start < a!.end, 'the two clerks overlap in time').toBe(true)
    // Each clerk's calls follow one another, as they did.
    for (const clerk of [a!, b!]) {
      const calls = named(spans, 'chat fake-clerk')
        .filter((span) => span.parentSpanId === clerk.spanId)
        .sort((x, y) => Number(x.start - y.start))
      expect(calls).toHaveLength(STEPS + 1)
      for (let i = 1; i < calls.length; i++) expect(calls[i]!.start).toBeGreaterThanOrEqual(calls[i - 1]!.end)
    }
  })

  it('sends a run taken over from a killed worker as one trace, with the steps the dead worker completed', async () => {
    const id = 'crashed'
    const before = receiver.spans.length
    await client.submit('clerk', `Task ${id}: buy the items`, { runId: id })
    // The answers its first worker stored.
    const answered = async () =>
      (
        await query<{ answers: number }>(
          `SELECT count(*)::int AS answers FROM baton.lines WHERE run_id = $1 AND attempt = 1 AND line LIKE '%"type":"model.response"%'`,
          [id],
        )
      )[0]!.answers
    // Once its worker has stored two answers, kill that worker.
    let killedAt = 0
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
      if ((await answered()) >= 2) {
        await workers.kill((await executors(id)).get(id)!)
        killedAt = Date.now()
        break
      }
      await sleep(30)
    }
    expect(killedAt, 'the run never got two answers stored').toBeGreaterThan(0)
    const died = await answered()
    const newcomer = workers.start()
    const result = await client.result(id, { timeoutMs: 120_000 })
    await newcomer
    expect(result.status, result.error?.message).toBe('done')
    const run = await client.get(id)
    expect(run.attempts, 'the run was taken over').toBe(2)

    const spans = await spansFrom(before, CLERK_SPANS)
    const root = checkTree(spans, id, 'clerk')
    const { from, to } = await runTime(id)
    expect(ms(root.start)).toBeGreaterThanOrEqual(from - 1)
    expect(ms(root.end)).toBeLessThanOrEqual(to + 1)
    // The run began with the worker that died, and ended after the takeover.
    expect(ms(root.start)).toBeLessThan(killedAt)
    expect(ms(root.end)).toBeGreaterThan(killedAt)
    const calls = named(spans, 'chat fake-clerk').sort((x, y) => Number(x.start - y.start))
    expect(calls).toHaveLength(STEPS + 1)
    // The answers the dead worker got are at the times it got them, not when the next worker
    // replayed them; a call it had not finished is traced as the next worker made it.
    for (const [i, call] of calls.entries()) {
      const key = String(call.attributes['baton.step_key'])
      expect(ms(call.end - call.start), key).toBeGreaterThanOrEqual(LATENCY_MS - 50)
      if (i < died) expect(ms(call.end), key).toBeLessThanOrEqual(killedAt)
      else expect(ms(call.start), key).toBeGreaterThanOrEqual(killedAt)
    }
  })

  it('sends a run that paused for approvals once, when the round that ends it ends', async () => {
    const id = 'approved'
    const before = receiver.spans.length
    await client.submit('cautious-clerk', `Task ${id}: buy the items`, { runId: id })
    // Each step's `charge` waits for an answer: the run pauses, and a pause is not its end.
    for (let step = 0; step < STEPS; step++) {
      const paused = await client.result(id, { timeoutMs: 120_000 })
      expect(paused.status, paused.error?.message).toBe('awaiting_approval')
      await sleep(300)
      expect(receiver.spans.length, `nothing traced at pause ${step}`).toBe(before)
      await client.approve(id, paused.pending![0]!.callId, true)
    }
    const result = await client.result(id, { timeoutMs: 120_000 })
    expect(result.status, result.error?.message).toBe('done')

    const spans = await spansFrom(before, CLERK_SPANS)
    checkTree(spans, id, 'cautious-clerk')
    const { from, to } = await runTime(id)
    for (const span of spans) {
      expect(ms(span.start)).toBeGreaterThanOrEqual(from - 1)
      expect(ms(span.end)).toBeLessThanOrEqual(to + 1)
    }
    // Each model call at the time it was made, in the round that made it.
    const calls = named(spans, 'chat fake-clerk').sort((x, y) => Number(x.start - y.start))
    expect(calls).toHaveLength(STEPS + 1)
    for (const [i, call] of calls.entries()) {
      expect(ms(call.end - call.start)).toBeGreaterThanOrEqual(LATENCY_MS - 50)
      if (i > 0) expect(call.start).toBeGreaterThanOrEqual(calls[i - 1]!.end)
    }
    for (const span of named(spans, 'execute_tool charge')) expect(span.status.code, span.name).not.toBe(2)
  })

  it('baton worker --otel sends what is left of its traces when it stops', async () => {
    const root = join(import.meta.dirname, '..')
    const cliDatabase = postgres.url('otel_cli')
    const child: ChildProcess = spawn(
      process.execPath,
      [
        join(root, 'dist/cli/main.js'),
        'worker',
        'test/fixtures/durable-agents.ts',
        '--database',
        cliDatabase,
        '--otel',
      ],
      {
        cwd: root,
        // Spans wait a minute for their batch: only the shutdown on SIGTERM sends them in time.
        env: { ...process.env, ...otelEnv(), OTEL_BSP_SCHEDULE_DELAY: '60000', FAKE_MODEL_URL: server.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr!.on('data', (chunk) => {
      stderr += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const before = receiver.spans.length
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner in 90 s: ${stderr}`)), 90_000)
        createInterface({ input: child.stdout! }).once('line', () => {
          clearTimeout(timer)
          resolve()
        })
      })
      expect(stderr).toContain(
        `baton worker: traces of the runs it ends go to otlp ${receiver.url}/v1/traces`,
      )
      const cliClient = await durableRuns({ database: cliDatabase, agents: [makeClerk(server.url)] })
      try {
        const id = await cliClient.submit('clerk', 'Task viaotel: buy things', { runId: 'viaotel' })
        expect((await cliClient.result(id, { timeoutMs: 90_000 })).status).toBe('done')
      } finally {
        await cliClient.close()
      }
      await sleep(500)
      expect(receiver.spans.length, 'nothing sent before the worker stops').toBe(before)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited, stderr).toBe(0)
    const spans = await spansFrom(before, CLERK_SPANS)
    checkTree(spans, 'viaotel', 'clerk')
    expect(stderr).toContain(`trace: ${CLERK_SPANS} spans sent to otlp ${receiver.url}/v1/traces`)
  })
})
