/**
 * Streamed Chat Completions chunks → Baton stream events. Text and tool call pieces are passed on
 * as they come and assembled (tool calls by their `index`: parallel calls interleave across
 * chunks, the id and name come first, the arguments in pieces) into the same completion shape
 * a plain call returns, so the final `finish` event equals what `generate` gives.
 */
import type { ModelStreamEvent } from '../../model/types.js'
import { retryableError } from '../retry.js'
import {
  contentOf,
  fromCompletion,
  REASONING_FIELDS,
  type ReasoningData,
  type WireCompletion,
  type WireToolCall,
  type WireUsage,
} from './response.js'

export interface WireChunk {
  model?: string | null
  choices?: { index?: number; delta?: WireDelta | null; finish_reason?: string | null }[] | null
  usage?: WireUsage | null
}

interface WireDelta {
  /** Text, or a list of parts (see `contentOf`). */
  content?: unknown
  refusal?: string | null
  reasoning_content?: string | null
  reasoning?: string | null
  tool_calls?: WireToolCall[] | null
}

interface Slot {
  /** The call's position among the response's calls (what the stream events carry). */
  index: number
  id: string | undefined
  name: string
  text: string
  /** Arguments a server sent as an object rather than as text. */
  object?: unknown
}

/** Reads the chunks of one streamed call; throws a retryable `STREAM_CUT` when they stop short. */
export async function* streamEvents(
  chunks: AsyncIterable<WireChunk>,
  signal: AbortSignal,
): AsyncGenerator<ModelStreamEvent> {
  const assembly = new Assembly()
  for await (const chunk of chunks) yield* assembly.add(chunk)
  // The SDK ends its iterator quietly when the request is aborted.
  if (signal.aborted) throw signal.reason
  if (assembly.finishReason === undefined) {
    throw retryableError('STREAM_CUT', 'the stream ended before a finish_reason arrived')
  }
  yield { type: 'finish', response: fromCompletion(assembly.completion()) }
}

class Assembly {
  finishReason: string | undefined
  private model: string | undefined
  private usage: WireUsage | undefined
  private content = ''
  private thinking = ''
  private refusal = ''
  private readonly reasoning: ReasoningData = {}
  /** Every call, in the order they began. */
  private readonly slots: Slot[] = []
  /** The call each wire `index` is assembling now. */
  private readonly byWireIndex = new Map<number, Slot>()
  private last: Slot | undefined;

  *add(chunk: WireChunk): Generator<ModelStreamEvent> {
    if (typeof chunk.model === 'string' && chunk.model !== '') this.model = chunk.model
    // With `include_usage` the usage comes in a last chunk whose `choices` is empty.
    if (chunk.usage) this.usage = chunk.usage
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0)
    if (!choice) return
    const delta = choice.delta ?? {}
    const content = contentOf(delta.content)
    if (content.text) {
      this.content += content.text
      yield { type: 'text-delta', text: content.text }
    }
    if (content.thinking) {
      this.thinking += content.thinking
      yield { type: 'reasoning-delta', text: content.thinking }
    }
    if (delta.refusal) {
      // A refusal becomes the answer's text, so it streams as text too.
      this.refusal += delta.refusal
      yield { type: 'text-delta', text: delta.refusal }
    }
    // Each field is kept apart, to be sent back as it came; a server sending both repeats itself.
    let piece: string | undefined
    for (const field of REASONING_FIELDS) {
      const value = delta[field]
      if (typeof value !== 'string' || value === '') continue
      this.reasoning[field] = (this.reasoning[field] ?? '') + value
      piece ??= value
    }
    if (piece !== undefined) yield { type: 'reasoning-delta', text: piece }
    const started = new Set<number>()
    for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : [])
      yield this.toolCall(call, started)
    if (choice.finish_reason) this.finishReason = choice.finish_reason
  }

  private toolCall(call: WireToolCall, started: Set<number>): ModelStreamEvent {
    const slot = this.slot(call, started)
    const event: ModelStreamEvent = { type: 'tool-call-delta', index: slot.index, argsDelta: '' }
    if (call.id) {
      slot.id ??= call.id
      event.id = call.id
    }
    const name = call.function?.name
    if (name) {
      slot.name = name
      event.name = name
    }
    const args = call.function?.arguments
    if (typeof args === 'string') {
      slot.text += args
      event.argsDelta = args
    } else if (args !== undefined && args !== null) {
      slot.object = args
      event.argsDelta = JSON.stringify(args)
    }
    return event
  }

  /**
   * The call a delta belongs to: by its wire `index`, else by a new id, else the call in
   * progress. Some servers (Ollama) give every call of a response index 0: a delta with another
   * id and a name of its own, or a second delta for one index in the same chunk, begins a new call.
   */
  private slot(call: WireToolCall, started: Set<number>): Slot {
    const wireIndex = typeof call.index === 'number' ? call.index : undefined
    let slot: Slot | undefined
    if (wireIndex !== undefined) {
      slot = this.byWireIndex.get(wireIndex)
      if (slot && call.id !== slot.id && this.begins(call, slot, started.has(wireIndex))) slot = undefined
      // A piece under an index not seen yet that says neither id nor name goes on with the call
      // in progress: SGLang numbers a call's first piece by its tool's place in the tool list,
      // and the rest by the call's place. Every server begins a call with its id or its name.
      else if (!slot && !call.id && !call.function?.name && this.last) slot = this.last
    } else if (call.id) {
      slot = this.slots.find((s) => s.id === call.id)
    } else {
      slot = this.last
    }
    if (!slot) {
      slot = { index: this.slots.length, id: undefined, name: '', text: '' }
      this.slots.push(slot)
    }
    if (wireIndex !== undefined) {
      this.byWireIndex.set(wireIndex, slot)
      started.add(wireIndex)
    }
    this.last = slot
    return slot
  }

  /** Whether a delta for a wire index already in use begins another call. */
  private begins(call: WireToolCall, current: Slot, sameChunk: boolean): boolean {
    const name = Boolean(call.function?.name)
    if (sameChunk) return Boolean(call.id) || name
    return Boolean(call.id) && current.id !== undefined && name
  }

  /** What was streamed, in the shape of a plain (non-streamed) completion. */
  completion(): WireCompletion {
    const calls = this.slots.map((slot) => ({
      id: slot.id ?? null,
      type: 'function',
      function: { name: slot.name, arguments: slot.object ?? slot.text },
    }))
    return {
      model: this.model ?? null,
      choices: [
        {
          index: 0,
          finish_reason: this.finishReason ?? null,
          message: {
            content: this.thinking
              ? [
                  { type: 'thinking', thinking: this.thinking },
                  { type: 'text', text: this.content },
                ]
              : this.content || null,
            refusal: this.refusal || null,
            reasoning_content: this.reasoning.reasoning_content ?? null,
            reasoning: this.reasoning.reasoning ?? null,
            tool_calls: calls.length > 0 ? calls : null,
          },
        },
      ],
      usage: this.usage ?? null,
    }
  }
}
