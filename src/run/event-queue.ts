import type { BatonEvent } from '../events/index.js'

/** Events waiting for the stream's consumer. One producer side (the run), one consumer. */
export class EventQueue {
  private items: (BatonEvent | undefined)[] = []
  private head = 0
  private wake: (() => void) | undefined
  closed = false
  /** Set when the run could not start (e.g. a task that fails the input schema). */
  error: unknown

  push(event: BatonEvent): void {
    this.items.push(event)
    this.notify()
  }

  close(error?: unknown): void {
    this.closed = true
    this.error = error
    this.notify()
  }

  take(): BatonEvent | undefined {
    if (this.head === this.items.length) {
      if (this.head > 0) {
        this.items = []
        this.head = 0
      }
      return undefined
    }
    const event = this.items[this.head]
    this.items[this.head++] = undefined
    return event
  }

  /** Resolves when an event arrives or the queue closes. */
  more(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
    })
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
