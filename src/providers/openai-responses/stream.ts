/**
 * Responses API stream events → Baton's stream events. Text and function-call arguments are
 * passed on as they arrive; parallel function calls may interleave, so each is keyed by its
 * `output_index`. The stream ends with the `finish` event built from the terminal event's full
 * response, the same way `generate` builds it.
 */
import type { Response, ResponseOutputItem, ResponseStreamEvent } from 'openai/resources/responses/responses'
import type { ModelStreamEvent } from '../../model/types.js'
import { retryableError } from '../retry.js'
import { fromResponse, providerError } from './response.js'

interface CallState {
  /** The position of the call among the response's function calls. */
  index: number
  /** The argument text passed on so far. */
  args: string
}

/** Translates one response's events; throws `STREAM_CUT` when they end before the response does. */
export async function* translate(
  events: AsyncIterable<ResponseStreamEvent>,
): AsyncGenerator<ModelStreamEvent> {
  const calls = new Map<number, CallState>()
  const done = new Map<number, ResponseOutputItem>()
  for await (const event of events) {
    switch (event.type) {
      case 'response.output_item.added': {
        const { item } = event
        if (item.type !== 'function_call') break
        const call: CallState = { index: calls.size, args: item.arguments ?? '' }
        calls.set(event.output_index, call)
        yield {
          type: 'tool-call-delta',
          index: call.index,
          id: item.call_id,
          name: item.name,
          argsDelta: call.args,
        }
        break
      }
      case 'response.function_call_arguments.delta': {
        const call = calls.get(event.output_index)
        if (!call || !event.delta) break
        call.args += event.delta
        yield { type: 'tool-call-delta', index: call.index, argsDelta: event.delta }
        break
      }
      case 'response.function_call_arguments.done': {
        // Some servers send the arguments only here; pass on what the deltas left out.
        const call = calls.get(event.output_index)
        if (!call || event.arguments === call.args || !event.arguments.startsWith(call.args)) break
        const rest = event.arguments.slice(call.args.length)
        call.args = event.arguments
        yield { type: 'tool-call-delta', index: call.index, argsDelta: rest }
        break
      }
      case 'response.output_text.delta':
        if (event.delta) yield { type: 'text-delta', text: event.delta }
        break
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        if (event.delta) yield { type: 'reasoning-delta', text: event.delta }
        break
      case 'response.output_item.done':
        done.set(event.output_index, event.item)
        break
      case 'response.completed':
      case 'response.incomplete':
        yield { type: 'finish', response: fromResponse(withOutput(event.response, done)) }
        return
      case 'response.failed':
        throw providerError(
          event.response.error?.code ?? 'failed',
          event.response.error?.message ?? 'the response failed',
        )
      case 'error':
        throw providerError(event.code, event.message)
    }
  }
  throw retryableError('STREAM_CUT', 'the stream ended before response.completed')
}

/** The terminal response, with the streamed items when a server leaves its `output` empty. */
function withOutput(response: Response, done: Map<number, ResponseOutputItem>): Response {
  if (response.output?.length || done.size === 0) return response
  const output = [...done.entries()].sort(([a], [b]) => a - b).map(([, item]) => item)
  return { ...response, output }
}
