import type { BatonEvent } from '../events/index.js'
import { ended } from './status.js'
import { type DurableStore, notFound } from './store.js'

/** Events of the newest attempt, skipping those an earlier attempt already yielded. */
export async function* follow(store: DurableStore, runId: string): AsyncGenerator<BatonEvent> {
  if (!(await store.get(runId))) throw notFound(runId)
  const seen = new Set<string>()
  let attempt: number | undefined
  let next = 1 // line 0 is the header
  for (let wait = 50; ; ) {
    const latest = await store.latestAttempt(runId)
    if (latest !== undefined && latest !== attempt) {
      attempt = latest
      next = 1
    }
    let read = 0
    if (attempt !== undefined) {
      const lines = await store.lines(runId, attempt, next)
      next += lines.length
      read = lines.length
      for (const line of lines) {
        const event = JSON.parse(line) as BatonEvent
        const key = identity(event)
        if (seen.has(key)) continue
        seen.add(key)
        // A run that paused for approval and has its answers goes on in a newer attempt.
        if (event.type === 'run.end' && event.status === 'awaiting_approval' && (await resumed(store, runId)))
          continue
        yield event
        if (event.type === 'run.end') return
      }
    }
    if (read === 0) {
      const run = await store.get(runId)
      if (run && ended(run.status) && (await store.latestAttempt(runId)) === attempt) {
        // Ended without a run.end line (refused before it started): nothing more will come.
        if (attempt === undefined || (await store.lines(runId, attempt, next)).length === 0) return
      }
      await sleep(wait)
      wait = Math.min(wait * 2, 250)
    } else wait = 50
  }
}

/** Whether a run queued again after its approvals (or already going on). */
async function resumed(store: DurableStore, runId: string): Promise<boolean> {
  const run = await store.get(runId)
  return run !== undefined && !ended(run.status)
}

/** What makes an event the same event in another attempt: everything but when it happened. */
function identity(event: BatonEvent): string {
  const { seq: _seq, t: _t, durationMs: _d, ...rest } = event as BatonEvent & { durationMs?: number }
  return JSON.stringify(rest)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
