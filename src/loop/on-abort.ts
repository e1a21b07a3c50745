/**
 * Waiting on an `AbortSignal` without piling listeners on it. However many wait on one signal
 * (concurrent runs sharing a caller's signal, say), the signal carries one `abort` listener,
 * removed again when the last of them stops waiting: Node warns past ten listeners on one
 * signal, and a listener never removed keeps its closure alive for as long as the signal lives.
 */
interface Waiting {
  readonly calls: Set<(reason: unknown) => void>
  readonly listener: () => void
}

const waiting = new WeakMap<AbortSignal, Waiting>()
const noop = (): void => {}

/**
 * Calls `fn` with the signal's reason when `signal` aborts (at once when it already has);
 * returns a function that stops waiting. Call it when the work the signal guards is over.
 */
export function onAbort(signal: AbortSignal, fn: (reason: unknown) => void): () => void {
  if (signal.aborted) {
    fn(signal.reason)
    return noop
  }
  let entry = waiting.get(signal)
  if (!entry) {
    const calls = new Set<(reason: unknown) => void>()
    const listener = (): void => {
      waiting.delete(signal)
      const due = [...calls]
      calls.clear()
      for (const call of due) call(signal.reason)
    }
    entry = { calls, listener }
    waiting.set(signal, entry)
    signal.addEventListener('abort', listener, { once: true })
  }
  const mine = entry
  // A wrapper per waiter: the same function given twice is two waiters, each removed on its own.
  const call = (reason: unknown): void => fn(reason)
  mine.calls.add(call)
  return () => {
    if (!mine.calls.delete(call) || mine.calls.size > 0) return
    if (waiting.get(signal) === mine) waiting.delete(signal)
    signal.removeEventListener('abort', mine.listener)
  }
}

/**
 * Settles as `work` does, or rejects with the signal's reason as soon as `signal` aborts,
 * whichever comes first: work that ignores its signal cannot hold up whoever awaits it.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal ? raceStop(work, { onStop: (stop) => onAbort(signal, stop) }) : work
}

/** What can be waited on to stop: `onStop` registers a callback and returns what unregisters it. */
export interface Stoppable {
  onStop(stop: (reason: unknown) => void): () => void
}

/**
 * Settles as `work` does, or rejects as soon as `stopper` stops, whichever comes first; it waits
 * on `stopper` only until then. One promise, where `Promise.race` with a promise of the stop
 * would make three and leave a reaction on that promise for every race.
 */
export function raceStop<T>(work: Promise<T>, stopper: Stoppable): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const off = stopper.onStop(reject)
    work.then(
      (value) => {
        off()
        resolve(value)
      },
      (error) => {
        off()
        reject(error)
      },
    )
  })
}
