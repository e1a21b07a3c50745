/**
 * The two small machines the limiter is made of: a bucket of units refilled at a steady rate,
 * where a caller books what it needs and learns how long to wait for it (bookings queue up in
 * the order they are made: first come, first served), and a set of slots for calls in flight.
 */

export class Bucket {
  private level: number
  private at: number | undefined

  /** `perMs` units come back each millisecond, up to `capacity`. */
  constructor(
    readonly perMs: number,
    readonly capacity: number,
  ) {
    this.level = capacity
  }

  /**
   * Books `amount` at `now`; returns how long the caller must wait before it may go. More than
   * the bucket holds may go once the bucket is full: it leaves the bucket in debt, and those who
   * book after it wait for the debt.
   */
  book(amount: number, now: number): number {
    this.refill(now)
    const needed = Math.min(amount, this.capacity)
    const wait = this.level >= needed ? 0 : (needed - this.level) / this.perMs
    this.level -= amount
    return wait
  }

  /** Gives back `amount` (a refund, or with a negative amount a further charge). */
  give(amount: number, now: number): void {
    this.refill(now)
    this.level = Math.min(this.capacity, this.level + amount)
  }

  private refill(now: number): void {
    // A clock that went back (another run's clock) refills nothing.
    if (this.at !== undefined && now > this.at)
      this.level = Math.min(this.capacity, this.level + (now - this.at) * this.perMs)
    if (this.at === undefined || now > this.at) this.at = now
  }
}

export class Slots {
  private used = 0
  private readonly waiting: (() => void)[] = []

  constructor(readonly max: number) {}

  /** Takes a slot now (true), or says the caller must wait for one (false). */
  tryTake(): boolean {
    if (this.used >= this.max) return false
    this.used++
    return true
  }

  /** Resolves once a slot is the caller's; `cancel` takes the caller out of the queue. */
  wait(): { taken: Promise<void>; cancel: () => void } {
    let woken = false
    let resolve!: () => void
    const taken = new Promise<void>((done) => {
      resolve = done
    })
    const wake = () => {
      woken = true
      resolve()
    }
    this.waiting.push(wake)
    return {
      taken,
      cancel: () => {
        const at = this.waiting.indexOf(wake)
        if (at >= 0) this.waiting.splice(at, 1)
        // Handed a slot just as it gave up: the slot goes to the next one.
        else if (woken) this.release()
      },
    }
  }

  /** Frees a slot: the longest waiting caller gets it. */
  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.used = Math.max(0, this.used - 1)
  }
}
