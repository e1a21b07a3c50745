/**
 * Anthropic's raw stream events (`message_start`, `content_block_start` / `_delta` / `_stop`,
 * `message_delta`, `message_stop`) → Baton's stream events. Content blocks are assembled by
 * their index the way the SDK's own `MessageStream` does, so that several tool calls (or
 * thinking and text) can never mix, and the assembled message is what a plain call returns: it
 * goes through the same conversion, so the `finish` event carries exactly what `generate` gives.
 */
import type { ModelStreamEvent } from '../../model/types.js'
import { retryableError } from '../retry.js'
import type { Block } from './request.js'
import type { WireMessage, WireStopDetails, WireUsage } from './response.js'

/** The whole message of one stream, as a plain call would have returned it. */
export interface Assembled {
  type: 'message'
  message: WireMessage
  /** Tool inputs that streamed in as invalid JSON (their blocks then hold `{}`). */
  argsText: Map<Block, string>
}

// Fields are optional: some servers leave out an empty piece.
type Delta =
  | { type: 'text_delta'; text?: string }
  | { type: 'input_json_delta'; partial_json?: string }
  | { type: 'thinking_delta'; thinking?: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'citations_delta'; citation: unknown }

type StreamEvent =
  | { type: 'message_start'; message: WireMessage }
  | { type: 'content_block_start'; index: number; content_block: Block }
  | { type: 'content_block_delta'; index: number; delta: Delta }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta'
      delta: { stop_reason?: string | null; stop_details?: WireStopDetails | null }
      usage?: WireUsage | null
    }
  | { type: 'message_stop' }

/** Error types the API sends inside a stream (an `error` event has no HTTP status to retry on). */
const TRANSIENT_STREAM_ERRORS = new Set(['overloaded_error', 'api_error'])

/**
 * Yields the deltas of one streamed message, then the message itself when `message_stop` comes.
 * `toolBase` numbers its tool calls after those of earlier messages of the same answer.
 */
export async function* fromStream(
  events: AsyncIterable<unknown>,
  signal: AbortSignal,
  toolBase = 0,
): AsyncGenerator<ModelStreamEvent | Assembled> {
  const state = new Assembly(toolBase)
  let finished = false
  try {
    for await (const raw of events) {
      // After message_stop the body is read to its end (not abandoned), so that the pooled
      // connection can serve the next request.
      if (finished) continue
      const event = raw as StreamEvent
      if (event.type === 'message_stop') {
        const message = state.message()
        finished = true
        yield message
      } else {
        yield* state.apply(event)
      }
    }
  } catch (error) {
    // The answer is complete: what happens to the rest of the connection no longer matters.
    if (finished) return
    throw transient(error)
  }
  if (finished) return
  // The SDK ends an aborted stream quietly: say why it stopped.
  if (signal.aborted) throw signal.reason
  throw retryableError('STREAM_CUT', 'the stream ended before message_stop')
}

class Assembly {
  private started: WireMessage | undefined
  private readonly blocks: Block[] = []
  /** Tool input JSON received so far, by block index. */
  private readonly json = new Map<number, string>()
  /** Which tool call (0, 1, ...) each `tool_use` block is, by block index. */
  private readonly tools = new Map<number, number>()
  private readonly argsText = new Map<Block, string>()
  private stop: string | null = null
  private stopDetails: WireStopDetails | null = null
  private usage: WireUsage = {}

  private readonly toolBase: number

  constructor(toolBase: number) {
    this.toolBase = toolBase
  }

  *apply(event: StreamEvent): Generator<ModelStreamEvent> {
    switch (event.type) {
      case 'message_start':
        this.started = event.message
        this.usage = { ...event.message?.usage }
        return
      case 'content_block_start': {
        const block = { ...event.content_block }
        this.blocks[event.index] = block
        if (block.type === 'tool_use') {
          const index = this.toolBase + this.tools.size
          this.tools.set(event.index, index)
          yield {
            type: 'tool-call-delta',
            index,
            id: String(block.id),
            name: String(block.name),
            argsDelta: '',
          }
        } else if (block.type === 'text' && typeof block.text === 'string' && block.text) {
          yield { type: 'text-delta', text: block.text }
        } else if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking) {
          yield { type: 'reasoning-delta', text: block.thinking }
        }
        return
      }
      case 'content_block_delta':
        yield* this.delta(event.index, event.delta)
        return
      case 'content_block_stop':
        this.close(event.index)
        return
      case 'message_delta':
        if (event.delta?.stop_reason) this.stop = event.delta.stop_reason
        if (event.delta?.stop_details) this.stopDetails = event.delta.stop_details
        // Usage counters here are running totals for the whole message: overwrite, never add.
        for (const [key, value] of Object.entries(event.usage ?? {})) {
          if (value !== null && value !== undefined) (this.usage as Record<string, unknown>)[key] = value
        }
        return
    }
  }

  private *delta(index: number, delta: Delta): Generator<ModelStreamEvent> {
    const block = this.blocks[index]
    if (!block)
      throw retryableError('MALFORMED_RESPONSE', `a delta for content block ${index}, never started`)
    switch (delta.type) {
      case 'text_delta': {
        const piece = delta.text ?? ''
        block.text = (typeof block.text === 'string' ? block.text : '') + piece
        if (piece) yield { type: 'text-delta', text: piece }
        return
      }
      case 'thinking_delta': {
        const piece = delta.thinking ?? ''
        block.thinking = (typeof block.thinking === 'string' ? block.thinking : '') + piece
        if (piece) yield { type: 'reasoning-delta', text: piece }
        return
      }
      case 'signature_delta':
        block.signature = delta.signature
        return
      case 'citations_delta':
        block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation]
        return
      case 'input_json_delta': {
        const piece = delta.partial_json ?? ''
        this.json.set(index, (this.json.get(index) ?? '') + piece)
        const tool = this.tools.get(index)
        if (tool !== undefined && piece) yield { type: 'tool-call-delta', index: tool, argsDelta: piece }
        return
      }
    }
  }

  /** A finished block with streamed input gets that input, parsed. */
  private close(index: number): void {
    const block = this.blocks[index]
    const text = this.json.get(index)
    this.json.delete(index)
    if (!block || text === undefined || text.trim() === '') return
    try {
      block.input = JSON.parse(text)
    } catch {
      block.input = {}
      this.argsText.set(block, text)
    }
  }

  message(): Assembled {
    if (!this.started) throw retryableError('MALFORMED_RESPONSE', 'the stream ended without message_start')
    for (const index of [...this.json.keys()]) this.close(index)
    const message: WireMessage = {
      content: this.blocks.filter((block) => block !== undefined),
      stop_reason: this.stop,
      stop_details: this.stopDetails ?? this.started.stop_details ?? null,
      usage: this.usage,
    }
    if (this.started.model) message.model = this.started.model
    return { type: 'message', message, argsText: this.argsText }
  }
}

/** An overloaded or internal error sent as a stream event is retried like a cut stream. */
function transient(error: unknown): unknown {
  const err = error as { status?: unknown; type?: unknown; apiMessage?: unknown; message?: unknown }
  if (err?.status === undefined && typeof err?.type === 'string' && TRANSIENT_STREAM_ERRORS.has(err.type)) {
    const detail = typeof err.apiMessage === 'string' ? err.apiMessage : String(err.message)
    return retryableError('STREAM_CUT', `the stream broke off with ${err.type}: ${detail}`)
  }
  return error
}
