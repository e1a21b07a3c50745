/**
 * A concurrency slot of the shared rate limits is leased, not held for good: a live worker
 * renews the leases of the slots it holds, however long its call takes, and a worker that died
 * with a call in flight stops renewing, so its slot comes free within one lease instead of
 * blocking every worker on the limit. The lease is 2 s here; the database's clock decides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DatabaseLimits } from '../src/durable/limits.js'
import { DurableStore } from '../src/durable/store.js'
import { type Postgres, startPostgres } from './postgres.js'

let postgres: Postgres
let url: string

beforeAll(async () => {
  postgres = await startPostgres()
  url = postgres.url('postgres')
  // Makes Baton's tables.
  await (await DurableStore.open(url)).close()
})

afterAll(async () => {
  await postgres?.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('slot leases', () => {
  it('are renewed while the holder lives, and come free within a lease once it is gone', async () => {
    const leaseMs = 2_000
    const holder = await DatabaseLimits.open(url, { slotLeaseMs: leaseMs })
    const other = await DatabaseLimits.open(url, { slotLeaseMs: leaseMs })
    try {
      const release = await holder.takeSlot('model:a', 1)
      expect(release).toBeTypeOf('function')
      // Well past the lease, the live holder still has it: nobody else gets in.
      await sleep(3 * leaseMs)
      expect(await other.takeSlot('model:a', 1)).toBeUndefined()

      // The holder dies with the call in flight: its connections go, nothing is released.
      await holder.close()
      let freed: (() => void) | undefined
      const deadline = Date.now() + 30_000
      while (!freed && Date.now() < deadline) {
        freed = await other.takeSlot('model:a', 1)
        if (!freed) await sleep(200)
      }
      expect(freed).toBeTypeOf('function')
      freed?.()
    } finally {
      await holder.close()
      await other.close()
    }
  }, 60_000)

  it('is freed at once when released', async () => {
    const limits = await DatabaseLimits.open(url, { slotLeaseMs: 60_000 })
    try {
      const first = await limits.takeSlot('model:b', 1)
      expect(await limits.takeSlot('model:b', 1)).toBeUndefined()
      first!()
      let again: (() => void) | undefined
      for (let i = 0; i < 50 && !again; i++) {
        again = await limits.takeSlot('model:b', 1)
        if (!again) await sleep(50)
      }
      expect(again).toBeTypeOf('function')
      again!()
    } finally {
      await limits.close()
    }
  })
})
