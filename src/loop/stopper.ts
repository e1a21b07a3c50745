/**
 * Something that stops once, with a reason, and tells whoever waits for it: a run, and each agent
 * of it. Plain callbacks instead of an `AbortController`: a run makes no EventTarget of its own,
 * and a child agent waits on its parent without piling listeners on a shared signal.
 */
export class Stopper {
  private done = false
  private why: unknown
  private readonly waiting = new Set<(reason: unknown) => void>()

  /** Whether it has stopped. */
  get stopped(): boolean {
    return this.done
  }

  /** Why it stopped (undefined while it has not). */
  get reason(): unknown {
    return this.why
  }

  /** Stops with `reason` and calls everyone waiting; only the first call counts. */
  stop(reason: unknown): void {
    if (this.done) return
    this.done = true
    this.why = reason
    this.stopping(reason)
    const due = [...this.waiting]
    this.waiting.clear()
    for (const call of due) call(reason)
  }

  /** Calls `fn` with the reason when this stops (at once if it has); returns a function that stops waiting. */
  onStop(fn: (reason: unknown) => void): () => void {
    if (this.done) {
      fn(this.why)
      return noop
    }
    // A wrapper per waiter: the same function given twice is two waiters.
    const call = (reason: unknown): void => fn(reason)
    this.waiting.add(call)
    return () => this.waiting.delete(call)
  }

  /** What a subclass does first when it stops, before the waiters are called. */
  protected stopping(_reason: unknown): void {}
}

const noop = (): void => {}
