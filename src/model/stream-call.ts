import { BatonError } from '../errors/index.js'
import type { GenerateOptions, Model, ModelRequest, ModelResponse, ModelStreamEvent } from './types.js'

/** A piece of a response on its way: everything a model stream yields but its end. */
export type ModelDelta = Exclude<ModelStreamEvent, { type: 'finish' }>

// Words with the space after them (and any leading space on its own): joined, the text again.
const PIECES = /\s+|\S+\s*/g

/**
 * The deltas a finished response would have streamed, in the order a provider streams them:
 * reasoning, then the text word by word, then each tool call's arguments. A replay shows
 * recorded responses this way, and so does a model that can only `generate`.
 */
export function deltasOf(response: ModelResponse): ModelDelta[] {
  const { message } = response
  const deltas: ModelDelta[] = []
  if (message.reasoning)
    for (const part of message.reasoning)
      if (part.text) deltas.push({ type: 'reasoning-delta', text: part.text })
  if (message.content) {
    for (const piece of message.content.match(PIECES) ?? []) deltas.push({ type: 'text-delta', text: piece })
  }
  const calls = message.toolCalls
  if (calls)
    for (let index = 0; index < calls.length; index++) {
      const call = calls[index]!
      const argsDelta = call.argsText ?? argsJson(call.args)
      deltas.push({ type: 'tool-call-delta', index, id: call.id, name: call.name, argsDelta })
    }
  return deltas
}

/** The arguments as JSON text; `{}` for arguments nested too deep for JSON.stringify (the response holds them). */
function argsJson(args: unknown): string {
  try {
    return JSON.stringify(args ?? {}) ?? '{}'
  } catch {
    return '{}'
  }
}

/**
 * Calls `model` through its streaming path, handing every delta to `onDelta` as it arrives
 * (a `restart` included: the call is being retried, drop what it showed), and resolves with
 * the finished response. A model without `stream` is called with `generate`, and its response
 * is then handed over as deltas, so that a reader sees every answer's text the same way.
 */
export async function streamCall(
  model: Model,
  request: ModelRequest,
  options: GenerateOptions,
  onDelta: (delta: ModelDelta) => void,
): Promise<ModelResponse> {
  if (!model.stream) {
    const response = await model.generate(request, options)
    if (typeof response === 'object' && response !== null && response.message)
      for (const delta of deltasOf(response)) onDelta(delta)
    return response
  }
  const events = model.stream(request, options)[Symbol.asyncIterator]()
  for (;;) {
    const next = await events.next()
    if (next.done) break
    const event = next.value
    if (event.type === 'finish') {
      // Let the stream close what it holds (a provider's response body).
      const closing = events.return?.()
      if (closing) await closing
      return event.response
    }
    onDelta(event)
  }
  throw new BatonError('MODEL_ERROR', `model "${model.id}" ended its stream without a response`)
}
