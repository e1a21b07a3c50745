/**
 * Streamed Chat Completions chunks → Baton stream events. Text and tool call pieces are passed on
 * as they come and assembled (tool calls by their `index`: parallel calls interleave across
 * chunks, the id and name come first, the arguments in pieces) into the same completion shape
 * a plain call returns, so the final `finish` event equals what `generate` gives.
 */
import type { ModelStreamEvent } from '../../model/types.js'
import { retryableError } from '../retry.js'
import {
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
  content?: string | null
  refusal?: string | null
  reasoning_content?: string | null
  reasoning?: string | null
  tool_calls?: WireToolCall[] | null
}

interface Slot {
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
  private refusal = ''
  private readonly reasoning: ReasoningData = {}
  private readonly slots = new Map<number, Slot>()
  private last: Slot | undefined;

  *add(chunk: WireChunk): Generator<ModelStreamEvent> {
    if (typeof chunk.model === 'string' && chunk.model !== '') this.model = chunk.model
    // With `include_usage` the usage comes in a last chunk whose `choices` is empty.
    if (chunk.usage) this.usage = chunk.usage
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0)
    if (!choice) return
    const delta = choice.delta ?? {}
    if (delta.content) {
      this.content += delta.content
      yield { type: 'text-delta', text: delta.content }
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
    for (const call of delta.tool_calls ?? []) yield this.toolCall(call)
    if (choice.finish_reason) this.finishReason = choice.finish_reason
  }

  private toolCall(call: WireToolCall): ModelStreamEvent {
    const slot = this.slot(call)
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

  /** The call a delta belongs to: by `index`, else by a new id, else the call in progress. */
  private slot(call: WireToolCall): Slot {
    let index = typeof call.index === 'number' ? call.index : undefined
    if (index === undefined) {
      const known = call.id ? [...this.slots.values()].find((s) => s.id === call.id) : undefined
      index = known?.index ?? (call.id || !this.last ? this.slots.size : this.last.index)
    }
    let slot = this.slots.get(index)
    if (!slot) {
      slot = { index, id: undefined, name: '', text: '' }
      this.slots.set(index, slot)
    }
    this.last = slot
    return slot
  }

  /** What was streamed, in the shape of a plain (non-streamed) completion. */
  completion(): WireCompletion {
    const calls = [...this.slots.values()]
      .sort((a, b) => a.index - b.index)
      .map((slot) => ({
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
            content: this.content || null,
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
