/**
 * Worker processes for the durable-run tests (test/fixtures/durable-worker.ts, serving the clerk
 * and the cautious clerk against the fake model server), started and killed by pid.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

export class WorkerProcesses {
  private readonly children = new Map<string, ChildProcess>()
  private count = 0

  constructor(
    private readonly database: string,
    private readonly modelUrl: string,
    /** More environment for the workers (e.g. `RATE_LIMIT_RPM`). */
    private readonly env: Record<string, string> = {},
  ) {}

  /** The ids of the workers alive, oldest first. */
  get alive(): string[] {
    return [...this.children.keys()]
  }

  /** Starts a worker with a new id and waits until it serves. */
  async start(): Promise<string> {
    const id = `w${++this.count}`
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/durable-worker.ts', this.database, id],
      {
        env: { ...process.env, ...this.env, FAKE_MODEL_URL: this.modelUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    this.children.set(id, child)
    child.once('exit', () => this.children.delete(id))
    let stderr = ''
    child.stderr!.on('data', (chunk) => {
      stderr += chunk
    })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${id} did not start in 90 s: ${stderr}`)),
        90_000,
      )
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`worker ${id} exited (${code}) before it was ready: ${stderr}`))
      })
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line !== 'ready') return
        clearTimeout(timer)
        resolve()
      })
    })
    return id
  }

  /** Kills a worker with SIGKILL (it never says goodbye) and waits until it is gone. */
  async kill(id: string): Promise<void> {
    const child = this.children.get(id)
    if (!child) return
    this.children.delete(id)
    const gone = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await gone
  }

  /**
   * Stops a worker dead in its tracks (SIGSTOP) as a long pause or a cut network would, without
   * killing it: `resume` (SIGCONT) lets it carry on from where it was.
   */
  pause(id: string): void {
    this.children.get(id)?.kill('SIGSTOP')
  }

  resume(id: string): void {
    this.children.get(id)?.kill('SIGCONT')
  }

  /** Resolves with the worker's exit code once it exits (at once if it is not running). */
  exited(id: string): Promise<number | null> {
    const child = this.children.get(id)
    if (!child) return Promise.resolve(null)
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
  }

  async killAll(): Promise<void> {
    await Promise.all(this.alive.map((id) => this.kill(id)))
  }
}
