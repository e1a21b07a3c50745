import { messageChars } from '../budget/estimate-tokens.js'
import type { Message } from '../model/types.js'

/** About 4 characters a token, until the provider's usage says better. */
const FIRST_GUESS = 0.25

/**
 * The size of an agent's next request, in tokens, before it is sent: its characters (the
 * history's, and those of the tool specs sent with every request) times the tokens per
 * character that the provider's reported usage showed for the agent's previous request.
 */
export class ContextMeter {
  private ratio = FIRST_GUESS
  private sentChars = 0

  /** `fixedChars`: what every request holds besides the history (the tool specs, the output schema). */
  constructor(private readonly fixedChars: number) {}

  /** Tokens of a request whose history has `chars` characters. */
  estimate(chars: number): number {
    return Math.ceil((chars + this.fixedChars) * this.ratio)
  }

  /** Tokens of a request holding `messages`. */
  estimateOf(messages: readonly Message[]): number {
    let chars = 0
    for (const message of messages) chars += messageChars(message)
    return this.estimate(chars)
  }

  /** A request whose history has `chars` characters is being sent. */
  sending(chars: number): void {
    this.sentChars = chars + this.fixedChars
  }

  /** The provider counted `inputTokens` for the request last sent. */
  calibrate(inputTokens: number): void {
    if (inputTokens > 0 && this.sentChars > 0) this.ratio = inputTokens / this.sentChars
  }

  /** The provider refused the request last sent as longer than `window` tokens. */
  overflowed(window: number | undefined): void {
    if (this.sentChars === 0) return
    const atLeast = window === undefined ? this.ratio * 1.25 : (window + 1) / this.sentChars
    this.ratio = Math.max(this.ratio * 1.05, atLeast)
  }
}
