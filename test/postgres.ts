/**
 * A throwaway PostgreSQL cluster for tests: made in a temporary directory with the server from
 * the system's packages (Debian's `postgresql`), listening on 127.0.0.1 and a free port, and
 * stopped by its pid. As root, the cluster belongs to the `postgres` user (PostgreSQL refuses to
 * run as root).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, processAlive } from './processes.js'

export interface Postgres {
  /** `postgresql://postgres@127.0.0.1:<port>/<database>` for a database of that name. */
  url(database: string): string
  readonly port: number
  /** The postmaster's pid (a new one after `up`). */
  readonly pid: number
  /** Stops the server (fast shutdown: its connections are cut) and keeps its data, for `up`. */
  down(): Promise<void>
  /** Starts the server again on the same port, with the same data. */
  up(): void
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): Promise<void>
}

/** Where the server's programs are: the newest `/usr/lib/postgresql/<version>/bin`. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (!versions[0])
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/postgres): apt-get install -y postgresql',
    )
  return join(root, versions[0], 'bin')
}

const asRoot = process.getuid?.() === 0

/** Runs a PostgreSQL program, as the `postgres` user when this process is root. */
function pgRun(bin: string, program: string, args: string[]): void {
  const command = asRoot ? 'runuser' : join(bin, program)
  const argv = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 120_000 })
  if (result.status !== 0)
    throw new Error(
      `${program} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`,
    )
}

/** Makes and starts a cluster (about 5 s for initdb, 1 s to start). */
export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin()
  const dir = mkdtempSync(join(tmpdir(), 'baton-pg-'))
  const data = join(dir, 'data')
  if (asRoot) {
    chownSync(dir, uid('postgres'), gid('postgres'))
    chmodSync(dir, 0o700)
  }
  pgRun(bin, 'initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ])
  const port = await freePort()
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`
  const start = () => {
    pgRun(bin, 'pg_ctl', [
      '-D',
      data,
      '-o',
      options,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ])
    return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  }
  let pid = start()
  let stopped = false
  const down = async () => {
    try {
      process.kill(pid, 'SIGINT') // fast shutdown
    } catch {
      // Already gone.
    }
    for (let i = 0; i < 300 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 100))
    if (processAlive(pid)) process.kill(pid, 'SIGKILL')
  }
  return {
    port,
    get pid() {
      return pid
    },
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    down,
    up() {
      pid = start()
    },
    async stop() {
      if (stopped) return
      stopped = true
      await down()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim())
}
function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim())
}
