/**
 * An unbounded single-consumer queue: concurrent tool calls and sub-agents push events, the
 * agent's generator drains them in arrival order and yields them up the stream.
 */
export class Channel<T> {
  private items: T[] = []
  private head = 0
  private wake: (() => void) | undefined
  private closed = false

  push(item: T): void {
    this.items.push(item)
    this.signal()
  }

  close(): void {
    this.closed = true
    this.signal()
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      while (this.head < this.items.length) {
        const item = this.items[this.head]!
        this.items[this.head++] = undefined as T
        yield item
      }
      this.items.length = 0
      this.head = 0
      if (this.closed) return
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }

  private signal(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
