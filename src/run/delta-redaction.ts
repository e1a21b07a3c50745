/**
 * Redaction of deltas on their way out of the process (server-sent events). A transcript
 * redacts each response whole; redacting each delta alone would miss a secret the model wrote
 * across several (`sk-proj-A1b2` then `C3d4…`), and send it out piece by piece. So a call's
 * pieces are held until a secret they might start is complete, and redacted with what came
 * just before them.
 */
import type { BatonEvent } from '../events/index.js'
import { withFields } from '../objects.js'
import type { Redactor } from '../transcript/redact.js'

type Delta = Extract<BatonEvent, { type: 'model.delta' }>

// Every secret shape the redactor finds in free text (key shapes, bearer tokens, the value after
// `api_key=`) ends before one of these: text up to the last of them is whole as far as it goes.
const BOUNDARY = /[\s"'\\,}]/
// What comes before a secret and decides it is one (`Authorization: Bearer `, `"api_key": "`).
const CONTEXT_CHARS = 96

/** One call's text or reasoning: what came (`raw`), and how much of it went out (`sent`). */
interface Held {
  raw: string
  sent: number
}

export class DeltaRedaction {
  private held = new Map<string, Held>()
  /** Tool calls' arguments by call and index, held whole: JSON is redacted by its field names. */
  private args = new Map<string, Map<number, Delta & { kind: 'tool-call' }>>()

  constructor(private readonly redact: Redactor) {}

  /** What to send for `event`: the deltas that may go out now, and the event itself if not a delta. */
  through(event: BatonEvent): BatonEvent[] {
    if (event.type === 'model.delta') return this.delta(event)
    if (event.type === 'model.restart') {
      // The attempt's pieces are to be dropped: what was held of them need not go out at all.
      this.forget(event.path)
      return [event]
    }
    if (event.type === 'model.response' || event.type === 'model.error') return [...this.flush(event), event]
    return [event]
  }

  private delta(event: Delta): BatonEvent[] {
    if (event.kind === 'tool-call') {
      const calls = this.args.get(event.path) ?? new Map<number, Delta & { kind: 'tool-call' }>()
      this.args.set(event.path, calls)
      const before = calls.get(event.toolCall.index)
      calls.set(
        event.toolCall.index,
        before
          ? withFields(before, {
              toolCall: withFields(before.toolCall, {
                argsDelta: before.toolCall.argsDelta + event.toolCall.argsDelta,
              }),
            })
          : event,
      )
      return []
    }
    const key = `${event.kind} ${event.path}`
    const held = this.held.get(key) ?? { raw: '', sent: 0 }
    this.held.set(key, held)
    const piece = event.kind === 'text' ? event.text : event.reasoning
    held.raw += piece
    // Text that may be JSON is redacted as JSON, by its field names, only once it is whole (and
    // leading blanks wait to see whether it is).
    if (/^\s*(?:[[{]|$)/.test(held.raw)) return []
    // Only the new piece can hold a boundary: the text after the last one sent had none.
    const floor = Math.max(held.sent, held.raw.length - piece.length)
    let end = held.raw.length
    while (end > floor && !BOUNDARY.test(held.raw[end - 1]!)) end--
    if (end === floor) return []
    const out = this.release(held, end)
    return out ? [withPiece(event, out)] : []
  }

  /** The redacted text of `held.raw` from what was sent up to `end`, marked as sent. */
  private release(held: Held, end: number): string {
    if (end <= held.sent) return ''
    if (held.sent === 0 && end === held.raw.length) {
      held.sent = end
      return this.redact.string(held.raw)
    }
    const from = Math.max(0, held.sent - CONTEXT_CHARS)
    const before = this.redact.string(held.raw.slice(from, held.sent))
    const both = this.redact.string(held.raw.slice(from, end))
    held.sent = end
    // What is kept of the text sent is only the context the next pieces need.
    if (held.sent > 4 * CONTEXT_CHARS) {
      held.raw = held.raw.slice(held.sent - CONTEXT_CHARS)
      held.sent = CONTEXT_CHARS
    }
    return both.slice(before.length)
  }

  /** Everything still held of the call at `event.path`, sent before its response or error. */
  private flush(event: BatonEvent): BatonEvent[] {
    const out: BatonEvent[] = []
    for (const kind of ['reasoning', 'text'] as const) {
      const held = this.held.get(`${kind} ${event.path}`)
      if (!held) continue
      const piece = this.release(held, held.raw.length)
      if (piece) out.push(withPiece({ type: 'model.delta', path: event.path, kind }, piece, event))
    }
    // Sent just before the response: their seq is its seq, as for any delta.
    for (const call of this.args.get(event.path)?.values() ?? [])
      out.push(withFields(call, { seq: event.seq, t: event.t }))
    this.forget(event.path)
    return out
  }

  private forget(path: string): void {
    this.held.delete(`text ${path}`)
    this.held.delete(`reasoning ${path}`)
    this.args.delete(path)
  }
}

/** `delta` with `piece` as its text or reasoning (and the seq and t of `at`, when given). */
function withPiece(
  delta: { type: 'model.delta'; path: string; kind: 'text' | 'reasoning'; seq?: number; t?: number },
  piece: string,
  at?: BatonEvent,
): Delta {
  const stamp = at ? { seq: at.seq, t: at.t } : { seq: delta.seq, t: delta.t }
  const base = { type: 'model.delta' as const, path: delta.path, ...stamp }
  return delta.kind === 'text'
    ? withFields(base, { kind: 'text', text: piece })
    : withFields(base, { kind: 'reasoning', reasoning: piece })
}
