/**
 * The durable runs from the command line, as docs/durable.md walks through them: real
 * `baton worker`, `baton run --database` and `baton runs` processes over a throwaway PostgreSQL.
 * A worker is killed (SIGKILL) while it runs the stocktake and never comes back; another
 * finishes it, the follower sees it end, nothing is counted twice, and the exported transcript
 * replays offline. Then approvals, cancels and bad input, each from a process of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { durableRuns } from '../src/durable/index.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk } from './fixtures/durable-agents.js'
import { type Postgres, startPostgres } from './postgres.js'
import { freePort } from './processes.js'

const root = join(import.meta.dirname, '..')
const cli = join(root, 'dist/cli/main.js')
const stocktake = join(root, 'agents/stocktake.ts')
const fixtures = join(root, 'test/fixtures/durable-agents.ts')

let postgres: Postgres
let server: FakeClerkServer
let dir: string
const children = new Set<ChildProcess>()

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: 2, latencyMs: 20 })
  dir = mkdtempSync(join(tmpdir(), 'baton-runs-cli-'))
})

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await server?.close()
  await postgres?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Started {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

/** Starts `baton <args…>` in the test's directory (no BATON_DATABASE_URL from outside). */
function start(args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const { BATON_DATABASE_URL: _, ...rest } = process.env
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: dir,
    env: { ...rest, FAKE_MODEL_URL: server.url, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr!.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child)
      resolve(code)
    }),
  )
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/** Runs `baton <args…>` to its end. */
async function baton(args: string[], env?: NodeJS.ProcessEnv) {
  const started = start(args, env)
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 120_000)
  const status = await started.exited
  clearTimeout(timer)
  return { status, stdout: started.stdout(), stderr: started.stderr() }
}

/** Waits until `seen()` is true (checked every 50 ms), or fails after `ms` saying what it waited for. */
async function until(what: string, seen: () => boolean, ms = 90_000): Promise<void> {
  const started = Date.now()
  while (!seen()) {
    if (Date.now() - started > ms) throw new Error(`waited ${ms} ms for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Starts `baton worker` and waits for its banner. */
async function worker(modules: string[], database: string, id: string, env?: NodeJS.ProcessEnv) {
  const started = start(['worker', ...modules, '--database', database, '--id', id], env)
  await until(`worker ${id}'s banner (stderr: ${started.stderr()})`, () =>
    started.stdout().includes(`baton worker ${id} (pid ${started.child.pid}): serving`),
  )
  return started
}

describe('baton run --database and baton runs', () => {
  it('walks through docs/durable.md: a killed worker, the run finished by another, nothing counted twice', async () => {
    const database = postgres.url('walkthrough')
    const slow = { STOCKTAKE_THINK_MS: '400' }
    const first = await worker([stocktake], database, 'first', slow)
    const run = start(
      ['run', stocktake, 'Count 10 shelves', '--database', database, '--run-id', 'stocktake-1'],
      slow,
    )
    await until('the run in the database', () => run.stdout().includes('is in the database'))
    const watcher = start(['runs', 'follow', 'stocktake-1', '--database', database])
    // Killed once it has counted two shelves, with eight to go.
    await until(`two shelves counted (stdout: ${run.stdout()}${run.stderr()})`, () =>
      run.stdout().includes('count_shelf: {"shelf":2'),
    )
    // Ctrl-C stops a follower, not the run.
    await until('a second follower to show the run', () => watcher.stdout().includes('count_shelf'))
    watcher.child.kill('SIGINT')
    first.child.kill('SIGKILL')
    await first.exited
    expect(await watcher.exited, watcher.stderr()).toBe(130)
    expect(watcher.stderr()).toContain(
      'stopped following run stocktake-1; it goes on in the workers: baton runs follow stocktake-1',
    )
    const second = await worker([stocktake], database, 'second', slow)

    expect(await run.exited, run.stderr()).toBe(0)
    const out = run.stdout()
    expect(out).toContain('run stocktake-1 of stocktake is in the database')
    expect(out).toContain('status: done (goal)')
    expect(out).toMatch(/Counted 10 shelves: \d+ items/)
    // Every event once: ten calls of count_shelf followed, no repeats after the takeover.
    expect(out.match(/→ count_shelf/g)).toHaveLength(10)

    // The stock log: no shelf counted twice, and both workers counted some.
    const log = readFileSync(join(dir, 'runs/stocktake.log'), 'utf8').trim().split('\n')
    const shelves = log.map((line) => Number(/^shelf (\d+)/.exec(line)![1]))
    expect(new Set(shelves).size).toBe(shelves.length)
    const pids = new Set(log.map((line) => /process (\d+)/.exec(line)![1]))
    expect(pids).toEqual(new Set([String(first.child.pid), String(second.child.pid)]))

    const shown = await baton(['runs', 'show', 'stocktake-1', '--json', '--database', database])
    expect(shown.status, shown.stderr).toBe(0)
    const info = JSON.parse(shown.stdout) as { status: string; attempts: number }
    expect(info.status).toBe('done')
    expect(info.attempts).toBe(2)

    const listed = await baton(['runs', '--database', database])
    expect(listed.stdout).toMatch(/^RUN\s+AGENT\s+STATUS/)
    expect(listed.stdout).toMatch(/stocktake-1\s+stocktake\s+done\s+2\s/)

    // The follower kept the transcript; the export is the same file, and it replays offline.
    const kept = /transcript: (\S+\.jsonl)/.exec(out)![1]!
    const exported = await baton([
      'runs',
      'export',
      'stocktake-1',
      '-o',
      'stocktake-1.jsonl',
      '--database',
      database,
    ])
    expect(exported.status, exported.stderr).toBe(0)
    expect(exported.stderr).toContain('the transcript of run stocktake-1 (done)')
    const text = readFileSync(join(dir, 'stocktake-1.jsonl'), 'utf8')
    expect(readFileSync(join(dir, kept), 'utf8')).toBe(text)
    const replayed = await baton(['replay', 'stocktake-1.jsonl', '--agent', stocktake])
    expect(replayed.status, replayed.stdout + replayed.stderr).toBe(0)
    expect(replayed.stdout).toContain('live: 0 model calls, 0 tool calls')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  })

  it('answers approvals and cancels from processes of their own', async () => {
    const database = postgres.url('approvals')
    const cautious = `${fixtures}#cautiousClerk`
    const serving = await worker([cautious], database, 'approver')

    // The run stops at the first charge: the follower says what waits and how to answer it.
    const first = await baton([
      'run',
      cautious,
      'Task cli1 buy',
      '--database',
      database,
      '--run-id',
      'cli1',
      '--no-record',
    ])
    expect(first.status, first.stderr).toBe(1)
    expect(first.stdout).toContain('status: awaiting_approval')
    expect(first.stdout).toContain('waiting for approval (1 call):')
    expect(first.stdout).toMatch(/ {2}\S+ {2}charge {2}\{"ref":/)
    expect(first.stdout).toContain('answer: baton runs approve cli1 [--deny]')

    const shown = await baton(['runs', 'show', 'cli1', '--database', database])
    expect(shown.stdout).toMatch(/status: +awaiting_approval/)
    expect(shown.stdout).toContain('waiting for approval (1 call):')

    // The only waiting call needs no id; the run goes on and stops at the next charge.
    const approved = await baton(['runs', 'approve', 'cli1', '--by', 'alice', '--database', database])
    expect(approved.status, approved.stderr).toBe(0)
    expect(approved.stdout).toMatch(/^approved \S+ of run cli1; every waiting call has an answer/)
    const again = await baton(['runs', 'follow', 'cli1', '--database', database])
    expect(again.status, again.stderr).toBe(1)
    expect(again.stdout).toContain('status: awaiting_approval')
    // Followed from the start: the first charge (approved) ran once, and the second waits.
    expect(again.stdout.match(/← charge: charged/g)).toHaveLength(1)
    const callId = /waiting for approval \(1 call\):\n {2}(\S+)/.exec(again.stdout)![1]!

    const refused = await baton(['runs', 'approve', 'cli1', callId, '--deny', '--database', database])
    expect(refused.stdout).toMatch(/^refused \S+ of run cli1/)
    const end = await baton(['runs', 'follow', 'cli1', '--json', '--database', database])
    expect(end.status, end.stderr).toBe(0)
    const result = JSON.parse(end.stdout) as { status: string; output: string }
    expect(result.status).toBe('done')
    expect(server.charges.get('cli1-0')).toBe(1)
    expect(server.charges.has('cli1-1')).toBe(false)

    // A run waiting for approval is cancelled at once; a second cancel says it has ended.
    await baton(['run', cautious, 'Task cli2 buy', '--database', database, '--run-id', 'cli2', '--no-record'])
    const cancel = await baton(['runs', 'cancel', 'cli2', '--database', database])
    expect(cancel.status, cancel.stderr).toBe(0)
    expect(cancel.stdout).toBe('run cli2 is cancelled (aborted)\n')
    const twice = await baton(['runs', 'cancel', 'cli2', '--database', database])
    expect(twice.status).toBe(2)
    expect(twice.stderr).toContain('run cli2 has already ended (aborted)')
    const answered = await baton(['runs', 'approve', 'cli2', '--database', database])
    expect(answered.status).toBe(2)
    expect(answered.stderr).toContain('run cli2 is not waiting for approval (it is aborted)')

    const waiting = await baton(['runs', 'list', '--status', 'aborted', '--database', database])
    expect(waiting.stdout).toMatch(/cli2\s+cautious-clerk\s+aborted/)
    expect(waiting.stdout).not.toContain('cli1')
    serving.child.kill('SIGTERM')
    expect(await serving.exited).toBe(0)
  })

  it('hands each run to a worker that serves its agent; a run nobody serves waits for one', async () => {
    const database = postgres.url('routing')
    const cautiousOnly = await worker([`${fixtures}#cautiousClerk`], database, 'cautious-only')
    const client = await durableRuns({ database, agents: [makeClerk(server.url)] })
    try {
      const id = await client.submit('clerk', 'Task routed buy', { runId: 'routed' })
      // A run queued as a Baton queued them before each agent had a queue: on the shared one.
      const legacy = await client.submit('clerk', 'Task legacy buy', { runId: 'legacy' })
      const { default: pg } = await import('pg')
      const db = new pg.Client({ connectionString: database })
      await db.connect()
      await db.query(`UPDATE dbos.workflow_status SET queue_name = 'baton' WHERE workflow_uuid = $1`, [
        legacy,
      ])
      await db.end()
      // Well past a poll of the queues: the worker that serves only the cautious clerk leaves them.
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      for (const each of [id, legacy]) {
        const waiting = await client.get(each)
        expect(waiting.status).toBe('queued')
        expect(waiting.attempts).toBe(0)
      }
      expect((await client.get(id)).workers).toBe(0)
      const shown = await baton(['runs', 'show', 'routed', '--database', database])
      expect(shown.stdout).toContain('waiting:    for a worker: none serves clerk')
      // A worker that serves the clerk takes both: the old one moved to the clerk's queue.
      const clerks = await worker([`${fixtures}#clerk`], database, 'clerks')
      const result = await client.result(id, { timeoutMs: 90_000 })
      expect(result.status, JSON.stringify(result.error)).toBe('done')
      expect(result.output).toBe('finished routed')
      expect((await client.result(legacy, { timeoutMs: 90_000 })).output).toBe('finished legacy')
      const listed = await baton(['runs', 'show', 'routed', '--json', '--database', database])
      expect((JSON.parse(listed.stdout) as { attempts: number }).attempts).toBe(1)
      for (const each of [cautiousOnly, clerks]) each.child.kill('SIGTERM')
      expect(await Promise.all([cautiousOnly.exited, clerks.exited])).toEqual([0, 0])
    } finally {
      await client.close()
    }
  })

  it('names what is wrong: unknown runs, statuses and actions, flags that do not go together, no database', async () => {
    const database = postgres.url('errors')
    const cases: [string[], string][] = [
      [['runs', 'show', 'nope', '--database', database], 'no durable run has the id "nope"'],
      [['runs', 'export', 'nope', '--database', database], 'no durable run has the id "nope"'],
      [['runs', '--status', 'finished', '--database', database], '--status must be one of queued, running'],
      [['runs', 'restart', 'x', '--database', database], 'unknown action "restart" for "baton runs"'],
      [['runs', 'show', '--database', database], 'missing the run id: baton runs show <run-id>'],
      [['runs', 'show', 'x', '--deny', '--database', database], '--deny does not go with "baton runs show"'],
      [['runs', 'list'], 'missing the database'],
      [['runs', 'prune', '--database', database], 'missing --older-than'],
      [
        ['run', stocktake, 'Count 2 shelves', '--run-id', 'x'],
        '--run-id names a durable run: it goes with --database',
      ],
      [
        ['run', stocktake, '--resume', 'x.jsonl', '--database', database],
        '--resume does not go with --database',
      ],
    ]
    for (const [args, message] of cases) {
      const { status, stderr } = await baton(args)
      expect(status, `baton ${args.join(' ')}: ${stderr}`).toBe(2)
      expect(stderr).toContain(message)
    }
    // Pruning a database with no runs that ended long ago deletes nothing, and says so.
    const pruned = await baton(['runs', 'prune', '--older-than', '30d', '--json', '--database', database])
    expect(pruned.status, pruned.stderr).toBe(0)
    expect(JSON.parse(pruned.stdout)).toEqual({ runIds: [] })
    // A database nobody listens on: the error names it, without a password.
    const closed = `postgresql://baton:secret@127.0.0.1:${await freePort()}/baton`
    const { status, stderr } = await baton(['runs', '--database', closed])
    expect(status).toBe(2)
    expect(stderr).toContain('127.0.0.1')
    expect(stderr).not.toContain('secret')
  })
})
