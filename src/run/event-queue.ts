import type { BatonEvent } from '../events/index.js'
import { withFields } from '../objects.js'

type Delta = Extract<BatonEvent, { type: 'model.delta' }>

/**
 * Events waiting for the stream's reader. One producer side (the run), one reader.
 *
 * The run never waits for its reader, so what the reader has not taken piles up here: all of
 * it, for a stream whose events nobody reads (only its `result`). Past `BACKLOG` waiting events,
 * a delta joins the waiting delta of the same call before it, when nothing of that call came
 * between: the backlog then grows with a run's steps, not with its tokens, and a slow reader
 * gets bigger pieces instead of more of them. Joined pieces still add up to each response, in
 * order, and keep the `seq` of their first piece (the seq of the next recorded event after it).
 */
export class EventQueue {
  /** How many waiting events are kept one by one before deltas join the ones before them. */
  static readonly BACKLOG = 1024

  private items: (BatonEvent | Joined | undefined)[] = []
  private head = 0
  /** Each call's last waiting delta (its index in `items`), while nothing of that call followed it. */
  private lastDelta = new Map<string, number>()
  private waiting: Promise<void> | undefined
  private wake: (() => void) | undefined
  closed = false
  /** Set when the reader left: nothing more is kept, and a reader waiting is let go. */
  detached = false
  /** Set when the run could not start (e.g. a task that fails the input schema). */
  error: unknown

  /** Events waiting to be taken. */
  get pending(): number {
    return this.items.length - this.head
  }

  /** Slots held, taken ones included (at most about twice `pending`, or a few thousand). */
  get retained(): number {
    return this.items.length
  }

  push(event: BatonEvent): void {
    if (this.detached) return
    if (event.type === 'model.delta' && this.pending >= EventQueue.BACKLOG && this.join(event)) return
    if (event.type === 'model.delta') this.lastDelta.set(event.path, this.items.length)
    else this.lastDelta.delete(event.path)
    this.items.push(event)
    this.notify()
  }

  close(error?: unknown): void {
    this.closed = true
    this.error = error
    this.notify()
  }

  /** The reader left: drop what waits, keep nothing more, and let a waiting `more()` go. */
  detach(): void {
    this.detached = true
    this.items = []
    this.head = 0
    this.lastDelta.clear()
    this.notify()
  }

  take(): BatonEvent | undefined {
    if (this.head === this.items.length) {
      if (this.head > 0) this.reset([])
      return undefined
    }
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    const event = item instanceof Joined ? item.event() : item
    // A reader that never quite catches up would otherwise keep every slot it read.
    if (this.head >= EventQueue.BACKLOG && this.head * 2 >= this.items.length)
      this.reset(this.items.slice(this.head))
    return event
  }

  /** Resolves when an event arrives, the queue closes, or the reader leaves. */
  more(): Promise<void> {
    this.waiting ??= new Promise((resolve) => {
      this.wake = resolve
    })
    return this.waiting
  }

  private notify(): void {
    const wake = this.wake
    this.waiting = undefined
    this.wake = undefined
    wake?.()
  }

  private reset(items: (BatonEvent | Joined | undefined)[]): void {
    // Positions move: the joins they allowed are given up (the next delta of each call starts anew).
    this.items = items
    this.head = 0
    this.lastDelta.clear()
  }

  /** Joins `delta` into its call's last waiting delta; false when it cannot. */
  private join(delta: Delta): boolean {
    const at = this.lastDelta.get(delta.path)
    const before = at === undefined || at < this.head ? undefined : this.items[at]
    if (before === undefined || !(before instanceof Joined || before.type === 'model.delta')) return false
    const first = before instanceof Joined ? before.first : before
    if (!joins(first, delta)) return false
    if (before instanceof Joined) before.add(pieceOf(delta))
    // The delta given is left as it is: it may be held elsewhere (a transcript keeping deltas).
    else this.items[at!] = new Joined(first, pieceOf(delta))
    return true
  }
}

/** Whether `after` continues `before`: the same kind, and for a tool call the same call. */
function joins(before: Delta, after: Delta): boolean {
  if (before.kind !== after.kind) return false
  if (before.kind !== 'tool-call' || after.kind !== 'tool-call') return true
  // A piece naming its call (an id or a name) starts one: it is never folded into another.
  return (
    before.toolCall.index === after.toolCall.index &&
    after.toolCall.id === undefined &&
    after.toolCall.name === undefined
  )
}

function pieceOf(delta: Delta): string {
  return delta.kind === 'text'
    ? delta.text
    : delta.kind === 'reasoning'
      ? delta.reasoning
      : delta.toolCall.argsDelta
}

/**
 * Pieces joined into a first delta, made into one delta when taken. Kept as flat chunks of up
 * to `CHUNK` pieces rather than by `+`: a string built by a million `+` is a rope of a million
 * nodes, several times the size of its text.
 */
class Joined {
  static readonly CHUNK = 1024
  private chunks: string[] = []
  private parts: string[]

  constructor(
    readonly first: Delta,
    piece: string,
  ) {
    this.parts = [pieceOf(first), piece]
  }

  add(piece: string): void {
    this.parts.push(piece)
    if (this.parts.length < Joined.CHUNK) return
    this.chunks.push(this.parts.join(''))
    this.parts = []
  }

  event(): Delta {
    const all = this.chunks.join('') + this.parts.join('')
    const { first } = this
    if (first.kind === 'text') return withFields(first, { text: all })
    if (first.kind === 'reasoning') return withFields(first, { reasoning: all })
    return withFields(first, { toolCall: withFields(first.toolCall, { argsDelta: all }) })
  }
}
