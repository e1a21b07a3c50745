import type { BatonEvent } from '../events/index.js'
import { lineRecord } from '../transcript/index.js'
import { lostDatabase } from './outage.js'
import { ended } from './status.js'
import type { DurableStore } from './store.js'
import { notFound } from './store-errors.js'

/**
 * A run's events as its workers store them, live: those of its newest attempt, and those of
 * its sub-agents on other workers as they happen (their parent takes them into its own
 * transcript once they end: those copies are not yielded again). An event another attempt or a
 * sub-agent already yielded is skipped. A database that goes away meanwhile (restarted, failed
 * over) is waited out, as the run itself waits it out: the events go on from where they were.
 */
export async function* follow(store: DurableStore, runId: string): AsyncGenerator<BatonEvent> {
  if (!(await untilAnswered(() => store.get(runId)))) throw notFound(runId)
  const seen = new Set<string>()
  const run = new Tail(store, runId)
  const branches = new Map<string, { tail: Tail; done: boolean }>()
  // Told of new lines and status changes; read again at least every second regardless.
  const changes = store.changes(runId, ['lines', 'status', 'branch'])
  try {
    yield* events()
  } finally {
    changes.close()
  }

  async function* events(): AsyncGenerator<BatonEvent> {
    for (;;) {
      let read = 0
      for (const event of await untilAnswered(() => run.read())) {
        read++
        const key = identity(event)
        if (seen.has(key)) continue
        seen.add(key)
        if (event.type === 'run.end') {
          // The end line is written before the run's status: whoever acts on the end (answers
          // its approvals, reads its result) must find the status saying so.
          if (await untilAnswered(() => superseded(store, runId, run.attempt!, changes))) continue
          yield event
          return
        }
        yield event
      }
      for (const { branchId, ended: over } of await untilAnswered(() => store.branchStates(runId))) {
        const branch = branches.get(branchId) ?? { tail: new Tail(store, branchId), done: false }
        branches.set(branchId, branch)
        if (branch.done) continue
        // Read once more after the branch ended: its last lines were written before its end.
        if (over) branch.done = true
        for (const event of await untilAnswered(() => branch.tail.read())) {
          read++
          const key = identity(event)
          if (seen.has(key)) continue
          seen.add(key)
          yield event
        }
      }
      if (read === 0) {
        const found = await untilAnswered(() => store.get(runId))
        // Ended without a run.end line (refused before it started): nothing more will come.
        if (found && ended(found.status) && (await untilAnswered(() => run.finished()))) return
        await changes.wait(1_000)
      }
    }
  }
}

/**
 * `read()`, again and again while the database cannot be reached (waiting 100 ms, doubling up
 * to 2 s): every read here can be made again, since where a tail has got to moves only once a
 * read succeeded. Any other error is thrown.
 */
async function untilAnswered<T>(read: () => Promise<T>): Promise<T> {
  for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 2_000)) {
    try {
      return await read()
    } catch (error) {
      if (!lostDatabase(error)) throw error
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs))
  }
}

/** The lines of the newest attempt of a run or a branch, from where the last read stopped. */
class Tail {
  /** The attempt read from. */
  attempt: number | undefined
  private next = 1 // line 0 is the header

  constructor(
    private readonly store: DurableStore,
    private readonly id: string,
  ) {}

  async read(): Promise<BatonEvent[]> {
    const latest = await this.store.latestAttempt(this.id)
    if (latest !== undefined && latest !== this.attempt) {
      this.attempt = latest
      this.next = 1
    }
    if (this.attempt === undefined) return []
    const lines = await this.store.lines(this.id, this.attempt, this.next)
    this.next += lines.length
    return lines.map((line) => lineRecord<BatonEvent>(line))
  }

  /** Whether no attempt is newer than the one read, and it has no more lines. */
  async finished(): Promise<boolean> {
    if ((await this.store.latestAttempt(this.id)) !== this.attempt) return false
    return (
      this.attempt === undefined || (await this.store.lines(this.id, this.attempt, this.next)).length === 0
    )
  }
}

/**
 * Waits until the run's status catches up with an end line of `attempt`, and says whether that
 * end is no longer the run's: it paused for approval and, answered, was queued again or goes on
 * in a newer attempt; or its worker died before storing the end, and another took it over.
 */
async function superseded(
  store: DurableStore,
  runId: string,
  attempt: number,
  changes: { wait(ms: number): Promise<unknown> },
): Promise<boolean> {
  for (;;) {
    const run = await store.get(runId)
    if (!run) return false
    if (run.status === 'queued' || run.attempts > attempt) return true
    if (ended(run.status)) return false
    await changes.wait(1_000)
  }
}

/** What makes an event the same event in another attempt: everything but when it happened. */
function identity(event: BatonEvent): string {
  const { seq: _seq, t: _t, durationMs: _d, ...rest } = event as BatonEvent & { durationMs?: number }
  return JSON.stringify(rest)
}
