import type { BatonEvent } from '../events/index.js'
import { StopSignal } from '../loop/index.js'
import type { Stopper } from '../loop/stopper.js'
import type { EventQueue } from './event-queue.js'

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })

/**
 * The one reader of a run's events. Hand-written rather than an async generator: a generator
 * queues `return()` behind a `next()` that is waiting, so a reader that leaves while no event is
 * coming (a model thinking for minutes, a browser tab closed mid-call) would not stop the run
 * until the next event arrived, and one that leaves before its first `next()` would not stop it
 * at all. Here leaving stops the run at once, lets any waiting `next()` end, and then waits for
 * the run to end so that its transcript is complete.
 */
export class RunReader implements AsyncIterableIterator<BatonEvent> {
  private left = false

  constructor(
    private readonly queue: EventQueue,
    private readonly stopper: Stopper,
    /** Settles when the run has fully ended (transcript closed). */
    private readonly done: Promise<void>,
  ) {}

  async next(): Promise<IteratorResult<BatonEvent, undefined>> {
    const { queue } = this
    for (;;) {
      if (this.left || queue.detached) return DONE
      const event = queue.take()
      if (event) return { done: false, value: event }
      if (queue.closed) {
        this.left = true
        if (queue.error !== undefined) throw queue.error
        return DONE
      }
      await queue.more()
    }
  }

  /** Leaves: stops the run if it is still going (`aborted`, `consumer`) and waits for its end. */
  async return(): Promise<IteratorResult<BatonEvent, undefined>> {
    this.left = true
    if (!this.queue.detached) {
      const running = !this.queue.closed
      // Nobody reads what comes after: it is not kept.
      this.queue.detach()
      if (running)
        this.stopper.stop(
          new StopSignal({
            status: 'aborted',
            stopReason: 'consumer',
            error: { code: 'ABORTED', message: 'the consumer stopped reading the run events' },
          }),
        )
    }
    await this.done
    return DONE
  }

  /** Leaves as `return()` does, then rethrows: what an async generator does with `throw()`. */
  async throw(error?: unknown): Promise<IteratorResult<BatonEvent, undefined>> {
    await this.return()
    throw error
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}
