import { messageChars } from '../budget/index.js'
import { ContextMeter } from '../context/meter.js'
import type { TrajectoryStep } from '../goal/index.js'
import type { Message } from '../model/types.js'
import { rememberJson } from '../transcript/known-json.js'
import { type Redactor, redactor } from '../transcript/redact.js'
import { transcriptJson } from '../transcript/transcript-json.js'
import type { Frame } from './frame.js'
import { hashText } from './hash.js'
import { StallTracker } from './stall.js'

const NOTHING: Message[] = []

/** The mutable part of one agent's loop: its history and what is derived from it. */
export class LoopState {
  history: Message[] = []
  readonly trajectory: TrajectoryStep[] = []
  readonly stall: StallTracker | undefined
  /** Set when the stall tracker says the agent goes in circles (the loop then stops). */
  stalled: { reason: 'repeatedCall' | 'noProgress'; message: string } | undefined
  goalAttempts = 0
  /** The latest final answer that failed its checks. */
  goalFailure: { check: string; feedback: string; output: unknown } | undefined
  /** Characters in the history, for the budget's token estimate. */
  chars = 0
  /** Messages already sent in an earlier request (and so already in the transcript). */
  private sent = 0
  private hash = ''
  private redact: Redactor | undefined

  /** The size of the next request, for an agent whose history is compacted. */
  readonly context: ContextMeter | undefined

  constructor(frame: Frame) {
    this.stall = frame.agent.stall ? new StallTracker(frame.agent.stall) : undefined
    if (frame.agent.context) {
      const { specs } = frame.prepared
      const output = frame.agent.output?.jsonSchema
      this.context = new ContextMeter(
        JSON.stringify(specs).length + (output ? JSON.stringify(output).length : 0),
      )
    }
  }

  push(message: Message): void {
    this.history.push(message)
    this.chars += messageChars(message)
  }

  /**
   * Puts a compacted history in place of the one the agent had. The request hash chains over it
   * (as the `context.compact` line holds it), and the next request's new messages are those
   * added after it. Returns the hash. `history` goes into the event as it is: the agent goes on
   * with a copy of it.
   */
  compacted(history: Message[], observed: boolean): string {
    this.history = history.slice()
    this.chars = 0
    for (const message of history) this.chars += messageChars(message)
    this.sent = history.length
    if (observed) {
      this.redact ??= redactor()
      const json = transcriptJson(history, this.redact, 2)
      rememberJson(history, json, this.redact, 2)
      this.hash = hashText(`${this.hash}\ncompact\n${json}`)
    }
    return this.hash
  }

  /**
   * The messages added since the previous request, and the request hash chained over them:
   * recording stays O(new messages) per turn instead of O(history). The hash covers the messages
   * as the transcript holds them (in its model.request line, at depth 2): redacted. That JSON is
   * remembered for the line, which then does not serialize the messages again.
   */
  nextRequest(specHash: string, observed: boolean): { fresh: Message[]; hash: string } {
    // Only worth its cost when someone sees the events (a transcript, a reader).
    const fresh = observed ? this.history.slice(this.sent) : NOTHING
    this.sent = this.history.length
    if (observed) {
      this.redact ??= redactor()
      const json = transcriptJson(fresh, this.redact, 2)
      rememberJson(fresh, json, this.redact, 2)
      this.hash = hashText(`${this.hash}\n${specHash}\n${json}`)
    }
    return { fresh, hash: this.hash }
  }
}
