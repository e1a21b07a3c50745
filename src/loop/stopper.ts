/**
 * Something that stops once, with a reason, and tells whoever waits for it: a run, and each agent
 * of it. Plain callbacks instead of an `AbortController`: a run makes no EventTarget of its own,
 * and a child agent waits on its parent without piling listeners on a shared signal.
 *
 * Every model call and tool call waits on its agent while it runs, so waiters come and go at the
 * rate of calls: they are kept in a linked list, where adding and removing one allocates nothing
 * but the waiter itself (a `Set` grows and shrinks its table as they do).
 */
export class Stopper {
  private done = false
  private why: unknown
  private first: Waiter | undefined
  private last: Waiter | undefined

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
    // Everyone waiting now, in the order they came; each is unlinked before any is called, so a
    // waiter that stops waiting on another (or on itself) while being told changes nothing.
    const due: Waiter[] = []
    for (let waiter = this.first; waiter; waiter = waiter.next) due.push(waiter)
    this.first = undefined
    this.last = undefined
    for (const waiter of due) waiter.owner = undefined
    for (const waiter of due) waiter.fn(reason)
  }

  /** Calls `fn` with the reason when this stops (at once if it has); returns a function that stops waiting. */
  onStop(fn: (reason: unknown) => void): () => void {
    if (this.done) {
      fn(this.why)
      return noop
    }
    // One waiter per call: the same function given twice is two waiters.
    const waiter = new Waiter(this, fn, this.last)
    if (this.last) this.last.next = waiter
    else this.first = waiter
    this.last = waiter
    return waiter.off
  }

  /** Unlinks `waiter` (called once, by the waiter). */
  removeWaiter(waiter: Waiter): void {
    const { prev, next } = waiter
    if (prev) prev.next = next
    else this.first = next
    if (next) next.prev = prev
    else this.last = prev
  }

  /** What a subclass does first when it stops, before the waiters are called. */
  protected stopping(_reason: unknown): void {}
}

/** One waiter in a stopper's list; `owner` is unset once it is out of it. */
class Waiter {
  next: Waiter | undefined = undefined

  constructor(
    public owner: Stopper | undefined,
    readonly fn: (reason: unknown) => void,
    public prev: Waiter | undefined,
  ) {}

  // A bound function: it is handed out as the way to stop waiting.
  readonly off = (): void => {
    const { owner } = this
    if (!owner) return
    this.owner = undefined
    owner.removeWaiter(this)
    this.prev = undefined
    this.next = undefined
  }
}

const noop = (): void => {}
