/**
 * The shared rate limits of durable workers: the limits' buckets and slots live in the
 * database, so that every worker on it waits its turn under the same limits, and a provider's
 * pause one worker is told of reaches the others (`NOTIFY baton_rate`). Each worker sets the
 * limits themselves, as a single process does (`setRateLimits`, in its agents' module).
 */
import { randomUUID } from 'node:crypto'
import type { Pool } from 'pg'
import { pausedElsewhere, type SharedLimits } from '../limits/index.js'
import { inTransaction } from './transaction.js'

/**
 * How long a slot is held at most by a worker that died with the call in flight: a live worker
 * renews the leases of the slots it holds three times a lease, so a call may take as long as it
 * takes, and a dead worker's slots come free within one lease.
 */
const SLOT_LEASE_MS = 30_000

const NOW_MS = `extract(epoch from clock_timestamp()) * 1000`

export class DatabaseLimits implements SharedLimits {
  private readonly freedWaiters = new Map<string, Set<() => void>>()
  private listener: import('pg').Client | undefined
  private readonly holder = `limits_${randomUUID()}`
  private slots = 0
  /** The slots this worker holds now, by holder id, and the timer that renews their leases. */
  private readonly held = new Set<string>()
  private renewal: NodeJS.Timeout | undefined

  private constructor(
    private readonly pool: Pool,
    private readonly leaseMs: number,
  ) {}

  /**
   * Connects, and listens for the pauses and freed slots of the other workers. `slotLeaseMs`:
   * how long a slot of a worker that stopped renewing stays taken (default 30 s).
   */
  static async open(url: string, { slotLeaseMs = SLOT_LEASE_MS } = {}): Promise<DatabaseLimits> {
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ connectionString: url, max: 4 })
    pool.on('error', () => {})
    const limits = new DatabaseLimits(pool, slotLeaseMs)
    const listener = new pg.Client({ connectionString: url })
    listener.on('error', () => {})
    listener.on('notification', (message) => limits.told(message.payload ?? ''))
    await listener.connect()
    await listener.query('LISTEN baton_rate')
    limits.listener = listener
    return limits
  }

  async book(
    scope: string,
    kind: 'requests' | 'tokens',
    amount: number,
    perMs: number,
    capacity: number,
  ): Promise<number> {
    // The bucket's level before this booking, refilled to the database's now; the booking is taken.
    const found = await this.pool.query<{ before: number }>(
      `INSERT INTO baton.rate_buckets AS b (scope, kind, level, at_ms)
       VALUES ($1, $2, $3::float8 - $4::float8, ${NOW_MS})
       ON CONFLICT (scope, kind) DO UPDATE SET
         level = LEAST($3::float8, b.level + GREATEST(0, excluded.at_ms - b.at_ms) * $5::float8) - $4::float8,
         at_ms = GREATEST(b.at_ms, excluded.at_ms)
       RETURNING level + $4::float8 AS before`,
      [scope, kind, capacity, amount, perMs],
    )
    const before = Number(found.rows[0]!.before)
    const needed = Math.min(amount, capacity)
    return before >= needed ? 0 : (needed - before) / perMs
  }

  give(scope: string, kind: 'requests' | 'tokens', amount: number, perMs: number, capacity: number): void {
    this.pool
      .query(
        `UPDATE baton.rate_buckets SET
           level = LEAST($3::float8, level + GREATEST(0, ${NOW_MS} - at_ms) * $5::float8 + $4::float8),
           at_ms = GREATEST(at_ms, ${NOW_MS})
         WHERE scope = $1 AND kind = $2`,
        [scope, kind, capacity, amount, perMs],
      )
      .catch(() => {})
  }

  async takeSlot(scope: string, max: number): Promise<(() => void) | undefined> {
    const holder = `${this.holder}_${++this.slots}`
    const taken = await inTransaction(this.pool, async (client) => {
      // One taker of a scope's slots at a time, whichever worker it is on.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('baton_rate:' || $1))`, [scope])
      await client.query(`DELETE FROM baton.rate_slots WHERE scope = $1 AND expires_at < now()`, [scope])
      const inFlight = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM baton.rate_slots WHERE scope = $1`,
        [scope],
      )
      if (Number(inFlight.rows[0]!.n) >= max) return false
      await client.query(
        `INSERT INTO baton.rate_slots (scope, holder, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))`,
        [scope, holder, this.leaseMs],
      )
      return true
    })
    if (!taken) return undefined
    this.hold(holder)
    return () => {
      this.release(holder)
      this.pool
        .query(
          `WITH freed AS (DELETE FROM baton.rate_slots WHERE scope = $1 AND holder = $2 RETURNING scope)
           SELECT pg_notify('baton_rate', 's|' || $1) FROM freed`,
          [scope, holder],
        )
        .catch(() => {})
    }
  }

  slotFreed(scope: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.freedWaiters.get(scope) ?? new Set()
      this.freedWaiters.set(scope, waiters)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      waiters.add(done)
    })
  }

  pause(endpointKey: string, untilEpochMs: number, reason: 'retry-after' | 'provider-limit'): void {
    this.pool
      .query(`SELECT pg_notify('baton_rate', $1)`, [`p|${reason}|${Math.round(untilEpochMs)}|${endpointKey}`])
      .catch(() => {})
  }

  async close(): Promise<void> {
    clearInterval(this.renewal)
    this.renewal = undefined
    await Promise.all([this.listener?.end().catch(() => {}), this.pool.end().catch(() => {})])
  }

  private hold(holder: string): void {
    this.held.add(holder)
    if (this.renewal) return
    // One query a third of a lease renews every slot held: a renewal lost to a slow database
    // leaves two more before the lease runs out.
    this.renewal = setInterval(() => {
      this.pool
        .query(
          `UPDATE baton.rate_slots SET expires_at = now() + make_interval(secs => $2::float8 / 1000)
           WHERE holder = ANY($1::text[])`,
          [[...this.held], this.leaseMs],
        )
        .catch(() => {})
    }, this.leaseMs / 3)
    this.renewal.unref()
  }

  private release(holder: string): void {
    this.held.delete(holder)
    if (this.held.size > 0 || !this.renewal) return
    clearInterval(this.renewal)
    this.renewal = undefined
  }

  /** A notification: `s|<scope>` (a slot was freed) or `p|<reason>|<until>|<endpoint>` (a pause). */
  private told(payload: string): void {
    if (payload.startsWith('s|')) {
      for (const wake of [...(this.freedWaiters.get(payload.slice(2)) ?? [])]) wake()
      return
    }
    const [kind, reason, until, ...endpoint] = payload.split('|')
    if (kind !== 'p' || (reason !== 'retry-after' && reason !== 'provider-limit')) return
    pausedElsewhere(endpoint.join('|'), Number(until), reason)
  }
}
