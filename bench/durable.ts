/**
 * `npm run bench:durable`: durable runs on a throwaway PostgreSQL (Debian's `postgresql` must be
 * installed), served by `baton worker` processes (the built CLI, default settings). Prints:
 * - the cost of a durable step over an in-process one (the same 20-step run, in-process with a
 *   transcript file, and durable from submit to result, with this process as the worker);
 * - throughput on a load bound by model latency (200 runs, 5 model calls of 50 ms each and 4
 *   rounds of tools of 60 ms), with 1, 2 and 4 workers of 8 runs each, after three batches that
 *   warm the workers up, with how many of the machine's cores the workers and PostgreSQL kept busy;
 * - sub-agents spread over workers: 40 leads that each hand two clerks (5 model calls of 50 ms
 *   each) to sub-agents, with 1 and 2 workers;
 * - failover: from SIGKILL of the worker running a run to that run's next step on another worker.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { durableRuns } from '../dist/durable/index.js'
import { defineAgent, defineTool, type Model, run } from '../dist/index.js'
import { startFakeClerkServer } from '../test/fake-clerk-server.js'
import { makeClerk, makeLead } from '../test/fixtures/durable-agents.js'
import { startPostgres } from '../test/postgres.js'
import { formatNumber, median, renderTable } from './lib.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(ROOT, 'dist/cli/main.js')
const RUNS = 200
const WORKER_CONCURRENCY = 8

const postgres = await startPostgres()
const server = await startFakeClerkServer({ steps: 4, latencyMs: 50 })
const workers = new Set<ChildProcess>()
const rows: string[][] = []

/** Starts `baton worker` on the clerk agent (and the lead, `withLead`); resolves once it serves. */
function startWorker(database: string, id: string, withLead = false): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'worker',
      'test/fixtures/durable-agents.ts',
      ...(withLead ? ['test/fixtures/durable-lead.ts'] : []),
      '--database',
      database,
      '--id',
      id,
      '--concurrency',
      String(WORKER_CONCURRENCY),
    ],
    { cwd: ROOT, env: { ...process.env, FAKE_MODEL_URL: server.url }, stdio: ['ignore', 'pipe', 'ignore'] },
  )
  workers.add(child)
  child.once('exit', () => workers.delete(child))
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`worker ${id} did not start`)), 120_000)
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer)
      ready(child)
    })
  })
}

/** CPU seconds (user + system) the processes have used so far (Linux /proc). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // Gone since it was listed.
    }
  }
  return ticks / 100
}

const workerPids = () => [...workers].map((child) => child.pid!)

/** The throwaway cluster's processes: the postmaster and its children. */
function postgresPids(): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])
      if (Number(entry) === postgres.pid || parent === postgres.pid) pids.push(Number(entry))
    } catch {
      // Gone since it was listed.
    }
  }
  return pids
}

async function stopWorkers(): Promise<void> {
  const exits = [...workers].map((child) => new Promise((done) => child.once('exit', done)))
  for (const child of workers) child.kill('SIGTERM')
  await Promise.all(exits)
}

try {
  // 1. A durable step against an in-process one.
  {
    const STEPS = 20
    const instant: Model = {
      spec: 'baton.model.v1',
      id: 'bench:instant',
      async generate(request) {
        const done = request.messages.filter((m) => m.role === 'tool').length
        const message =
          done < STEPS
            ? {
                role: 'assistant' as const,
                content: '',
                toolCalls: [{ id: `c${done}`, name: 'echo', args: { n: done } }],
              }
            : { role: 'assistant' as const, content: 'finished' }
        return {
          message,
          usage: { inputTokens: 10, outputTokens: 5 },
          finishReason: done < STEPS ? 'tool-calls' : 'stop',
        }
      },
    }
    const echo = defineTool({
      name: 'echo',
      description: 'echo',
      input: z.object({ n: z.number() }),
      idempotent: true,
      run: ({ n }) => n,
    })
    const agent = defineAgent({
      name: 'echoer',
      instructions: 'Echo',
      model: instant,
      tools: [echo],
      budget: { maxSteps: 100 },
    })
    const runs = await durableRuns({ database: postgres.url('steps'), agents: [agent] })
    await runs.serve({ concurrency: 1 })
    const dir = mkdtempSync(join(tmpdir(), 'baton-bench-durable-'))
    const effects = 2 * STEPS + 1
    const local: number[] = []
    const durable: number[] = []
    for (let round = -2; round < 7; round++) {
      let started = performance.now()
      const plain = await run(agent, 'Echo', { record: join(dir, `r${round}.jsonl`) })
      const inProcess = performance.now() - started
      started = performance.now()
      const id = await runs.submit(agent, 'Echo')
      const result = await runs.result(id)
      const viaDatabase = performance.now() - started
      if (plain.status !== 'done' || result.status !== 'done')
        throw new Error('a step-cost run did not finish')
      if (round < 0) continue
      local.push(inProcess)
      durable.push(viaDatabase)
    }
    await runs.close()
    rmSync(dir, { recursive: true, force: true })
    const extra = (median(durable) - median(local)) / effects
    rows.push([
      `durable step over an in-process one (${effects} effects, submit to result)`,
      `${formatNumber(extra, 2)} ms per step`,
      `run: ${formatNumber(median(local), 1)} ms in-process, ${formatNumber(median(durable), 1)} ms durable`,
    ])
  }

  // 2. Throughput with 1, 2 and 4 workers.
  const throughput = new Map<number, number>()
  for (const count of [1, 2, 4]) {
    const database = postgres.url(`load${count}`)
    const client = await durableRuns({ database, agents: [makeClerk(server.url)] })
    await Promise.all(Array.from({ length: count }, (_, i) => startWorker(database, `load${count}-${i}`)))
    // Workers that have run a few batches (their code compiled by V8): the steady state a
    // long-lived worker runs in, not its first seconds.
    const warm = await Promise.all(
      Array.from({ length: 3 * WORKER_CONCURRENCY * count }, (_, i) =>
        client.submit('clerk', `Task warm${count}x${i} buy`),
      ),
    )
    await Promise.all(warm.map((id) => client.result(id, { timeoutMs: 600_000 })))
    const cpuBefore = { workers: cpuSeconds(workerPids()), postgres: cpuSeconds(postgresPids()) }
    const started = performance.now()
    const ids = await Promise.all(
      Array.from({ length: RUNS }, (_, i) => client.submit('clerk', `Task load${count}x${i} buy`)),
    )
    const results = await Promise.all(ids.map((id) => client.result(id, { timeoutMs: 600_000 })))
    const seconds = (performance.now() - started) / 1000
    if (results.some((r) => r.status !== 'done')) throw new Error('a load run did not finish')
    throughput.set(count, RUNS / seconds)
    const cpu = (now: number, before: number) => formatNumber((now - before) / seconds, 2)
    rows.push([
      `${RUNS} runs × 5 model calls of 50 ms, ${count} worker${count > 1 ? 's' : ''} × ${WORKER_CONCURRENCY}`,
      `${formatNumber(seconds, 1)} s`,
      `${formatNumber(RUNS / seconds, 1)} runs/s${count > 1 ? `, ${formatNumber(RUNS / seconds / throughput.get(1)!, 2)}× one worker` : ''}; cores busy: workers ${cpu(cpuSeconds(workerPids()), cpuBefore.workers)}, PostgreSQL ${cpu(cpuSeconds(postgresPids()), cpuBefore.postgres)}`,
    ])
    await stopWorkers()
    await client.close()
  }

  // 3. Sub-agents on any worker: leads whose two clerks run as workflows of their own.
  {
    const LEADS = 40
    const seconds = new Map<number, number>()
    for (const count of [1, 2]) {
      const database = postgres.url(`fan${count}`)
      const client = await durableRuns({ database, agents: [makeLead(server.url)] })
      await Promise.all(
        Array.from({ length: count }, (_, i) => startWorker(database, `fan${count}-${i}`, true)),
      )
      const started = performance.now()
      const ids = await Promise.all(
        Array.from({ length: LEADS }, (_, i) => client.submit('lead', `Task fan${count}x${i} buy`)),
      )
      const results = await Promise.all(ids.map((id) => client.result(id, { timeoutMs: 600_000 })))
      const took = (performance.now() - started) / 1000
      if (results.some((r) => r.status !== 'done')) throw new Error('a fan-out run did not finish')
      seconds.set(count, took)
      rows.push([
        `${LEADS} leads × 2 sub-agents × 5 model calls of 50 ms, ${count} worker${count > 1 ? 's' : ''}`,
        `${formatNumber(took, 1)} s`,
        `${formatNumber(LEADS / took, 1)} leads/s${count > 1 ? `, ${formatNumber(seconds.get(1)! / took, 2)}× one worker` : ''}`,
      ])
      await stopWorkers()
      await client.close()
    }
  }

  // 4. Failover: SIGKILL the worker running a run; time until the run moves on another worker.
  {
    const database = postgres.url('failover')
    const client = await durableRuns({ database, agents: [makeClerk(server.url)] })
    const { default: pg } = await import('pg')
    const db = new pg.Client({ connectionString: database })
    await db.connect()
    const byId = new Map<string, ChildProcess>()
    for (const id of ['f-a', 'f-b']) byId.set(id, await startWorker(database, id))
    const times: number[] = []
    for (let trial = 0; trial < 3; trial++) {
      const runId = await client.submit('clerk', `Task failover${trial} buy`)
      for (;;) {
        const lines = await db.query(`SELECT count(*)::int AS n FROM baton.lines WHERE run_id = $1`, [runId])
        if (lines.rows[0].n > 3) break
        await new Promise((r) => setTimeout(r, 20))
      }
      const owner = (
        await db.query(`SELECT executor_id FROM dbos.workflow_status WHERE workflow_uuid = $1`, [runId])
      ).rows[0].executor_id as string
      byId.get(owner)!.kill('SIGKILL')
      byId.delete(owner)
      const killed = performance.now()
      for (;;) {
        const moved = await db.query(
          `SELECT count(*)::int AS n FROM baton.lines l JOIN baton.runs r USING (run_id)
           WHERE run_id = $1 AND r.attempts > 1 AND l.attempt = r.attempts`,
          [runId],
        )
        if (moved.rows[0].n > 0) break
        await new Promise((r) => setTimeout(r, 20))
      }
      times.push(performance.now() - killed)
      await client.result(runId)
      const id = `f-${trial}`
      byId.set(id, await startWorker(database, id))
    }
    rows.push([
      'failover: SIGKILL of the worker running a run → the run moving again elsewhere',
      `${formatNumber(median(times) / 1000, 1)} s (median of 3)`,
      `each: ${times.map((t) => formatNumber(t / 1000, 1)).join(', ')} s; heartbeat 1 s, a worker silent 5 s is dead`,
    ])
    await db.end()
    await stopWorkers()
    await client.close()
  }

  console.log(renderTable(['durable runs', 'value', 'detail'], rows))
} finally {
  for (const child of workers) child.kill('SIGKILL')
  await server.close()
  await postgres.stop()
}
