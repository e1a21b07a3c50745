/**
 * `baton worker`: a real CLI process serving durable runs from a throwaway PostgreSQL, stopped
 * with SIGTERM; and its usage errors.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { durableRuns } from '../src/durable/index.js'
import { type FakeClerkServer, startFakeClerkServer } from './fake-clerk-server.js'
import { makeClerk } from './fixtures/durable-agents.js'
import { type Postgres, startPostgres } from './postgres.js'
import { freePort } from './processes.js'

const root = join(import.meta.dirname, '..')
const cli = join(root, 'dist/cli/main.js')
const agents = 'test/fixtures/durable-agents.ts'

let postgres: Postgres
let server: FakeClerkServer

beforeAll(async () => {
  postgres = await startPostgres()
  server = await startFakeClerkServer({ steps: 2, latencyMs: 20 })
})

afterAll(async () => {
  await server?.close()
  await postgres?.stop()
})

/** Runs `baton worker …` to its end (for the usage errors). */
function workerOnce(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { BATON_DATABASE_URL: _, ...rest } = process.env
  return spawnSync(process.execPath, [cli, 'worker', ...args], {
    cwd: root,
    env: { ...rest, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  })
}

describe('baton worker', () => {
  it('serves the runs submitted to its database until SIGTERM, then exits 0', async () => {
    const database = postgres.url('cli')
    const child: ChildProcess = spawn(
      process.execPath,
      [cli, 'worker', agents, '--database', database, '--concurrency', '2', '--id', 'cli-1'],
      { cwd: root, env: { ...process.env, FAKE_MODEL_URL: server.url }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr!.on('data', (chunk) => {
      stderr += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner in 90 s: ${stderr}`)), 90_000)
        createInterface({ input: child.stdout! }).once('line', (line) => {
          clearTimeout(timer)
          resolve(line)
        })
      })
      expect(banner).toBe(
        `baton worker cli-1 (pid ${child.pid}): serving clerk (up to 2 runs at once); Ctrl-C stops it`,
      )

      const client = await durableRuns({ database, agents: [makeClerk(server.url)] })
      try {
        const id = await client.submit('clerk', 'Task viacli buy things')
        const result = await client.result(id, { timeoutMs: 90_000 })
        expect(result.status).toBe('done')
        expect(result.output).toBe('finished viacli')
      } finally {
        await client.close()
      }
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited, stderr).toBe(0)
  })

  it('says what is missing or wrong, with exit code 2', async () => {
    const none = workerOnce([])
    expect(none.status).toBe(2)
    expect(none.stderr).toContain('missing the agent modules')
    const noDatabase = workerOnce([agents])
    expect(noDatabase.status).toBe(2)
    expect(noDatabase.stderr).toContain('BATON_DATABASE_URL')
    const zero = workerOnce([agents, '--database', 'postgresql://x@127.0.0.1/x', '--concurrency', '0'])
    expect(zero.status).toBe(2)
    expect(zero.stderr).toContain('--concurrency must be a whole number of runs, 1 or more, got "0"')
    const port = await freePort()
    const unreachable = workerOnce([
      agents,
      '--database',
      `postgresql://postgres:hunter2@127.0.0.1:${port}/x`,
    ])
    expect(unreachable.status).toBe(2)
    expect(unreachable.stderr).toContain(`127.0.0.1:${port}`)
    expect(unreachable.stderr).not.toContain('hunter2')
    // Said once, by baton: the database library's own warning is held back.
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1)
    expect(unreachable.stdout).toBe('')
  })
})
