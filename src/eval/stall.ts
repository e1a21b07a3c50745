/**
 * Work that can never finish. When Node runs out of things to do (no timer, socket or child
 * left) while a promise is still awaited, that promise can never settle: Node would just exit,
 * with code 0, as if everything had passed. While such work is watched, running out of things
 * to do stops it instead, with an error that says so.
 */
import { BatonError } from '../errors/index.js'

const watched = new Set<AbortController>()

function stopAll(): void {
  const stuck = [...watched]
  watched.clear()
  process.off('beforeExit', stopAll)
  for (const controller of stuck) controller.abort(stalled())
}

/** What stalled work fails with; the caller puts what stalled before the message. */
export function stalled(): BatonError {
  return new BatonError(
    'ABORTED',
    'never finished: it waits on a promise that nothing is left to settle (no timer, request or process is pending)',
    { details: { stalled: true } },
  )
}

/**
 * Aborts `controller` (with `stalled()`) if Node runs out of work while it is watched. Returns a
 * function that stops watching.
 */
export function abortIfStalled(controller: AbortController): () => void {
  if (watched.size === 0) process.on('beforeExit', stopAll)
  watched.add(controller)
  return () => {
    if (!watched.delete(controller) || watched.size > 0) return
    process.off('beforeExit', stopAll)
  }
}

/** Whether an abort reason is the one `abortIfStalled` gives. */
export function isStall(reason: unknown): reason is BatonError {
  return reason instanceof BatonError && reason.details?.stalled === true
}
