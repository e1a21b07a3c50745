/**
 * Changes of the durable runs, as PostgreSQL notifications: one listening connection per
 * process, shared by every subscription (a follower, a parent waiting for its branches).
 */
/** New transcript lines, a new status of the run, a sub-agent's end. */
export type ChangeKind = 'lines' | 'status' | 'branch'

const KINDS: Record<string, ChangeKind> = { l: 'lines', s: 'status', b: 'branch' }

/** A subscription to a run's changes (see `DurableStore.changes`). */
export interface Changes {
  /** Resolves at the next change since the last call (at once if one came meanwhile), or after `ms`. */
  wait(ms: number): Promise<void>
  close(): void
}

/** One listening connection per process, shared by every subscription. */
export class ChangeFeed {
  private readonly subscribers = new Map<
    string,
    Set<{ kinds: readonly ChangeKind[]; changed: boolean; wake?: () => void }>
  >()
  private listening: Promise<import('pg').Client | undefined> | undefined
  private closed = false

  constructor(private readonly url: string) {}

  subscribe(runId: string, kinds: readonly ChangeKind[]): Changes {
    const subscriber: { kinds: readonly ChangeKind[]; changed: boolean; wake?: () => void } = {
      kinds,
      changed: false,
    }
    const set = this.subscribers.get(runId) ?? new Set()
    this.subscribers.set(runId, set)
    set.add(subscriber)
    this.listen()
    return {
      wait: (ms) => {
        this.listen()
        if (subscriber.changed) {
          subscriber.changed = false
          return Promise.resolve()
        }
        return new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms)
          function done() {
            clearTimeout(timer)
            subscriber.changed = false
            subscriber.wake = undefined
            resolve()
          }
          subscriber.wake = done
        })
      },
      close: () => {
        subscriber.wake?.()
        set.delete(subscriber)
        if (set.size === 0) this.subscribers.delete(runId)
      },
    }
  }

  /** Connects and listens, unless it is already; a connection lost is made again at the next subscription. */
  private listen(): void {
    if (this.listening || this.closed) return
    this.listening = (async () => {
      const { default: pg } = await import('pg')
      const client = new pg.Client({ connectionString: this.url })
      const lost = () => {
        this.listening = undefined
        client.end().catch(() => {})
      }
      client.on('error', lost)
      client.on('end', () => {
        this.listening = undefined
      })
      client.on('notification', (message) => {
        // `<kind>:<id>`; a sub-agent's id is `<run id>><path>`: its changes are its run's.
        const payload = message.payload ?? ''
        const kind = KINDS[payload.slice(0, 1)]
        const runId = payload.slice(2).split('>')[0]!
        for (const subscriber of this.subscribers.get(runId) ?? []) {
          if (!kind || !subscriber.kinds.includes(kind)) continue
          subscriber.changed = true
          subscriber.wake?.()
        }
      })
      await client.connect()
      await client.query('LISTEN baton_changes')
      return client
    })().catch(() => {
      // Unreachable for now: the waits fall back to their timeouts.
      this.listening = undefined
      return undefined
    })
  }

  async close(): Promise<void> {
    this.closed = true
    const client = await this.listening
    await client?.end().catch(() => {})
  }
}
