/**
 * The forms a run's event stream can be taken in besides the events themselves: the root
 * agent's text, and server-sent events (a web `ReadableStream`, or a whole `Response`).
 */
import { toErrorInfo } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import { redactor } from '../transcript/redact.js'
import { transcriptJson } from '../transcript/transcript-json.js'
import type { EventStreamBody } from './types.js'

// The root agent's own model calls (`root/3/model`), not its goal scorers' nor sub-agents'.
const ROOT_STEP = /^root\/\d+\/model$/

/**
 * The root agent's text as it is written. A call whose deltas were not streamed (deltas turned
 * off, or a model that answered in one piece before its response was known) gives its whole
 * text when its response arrives.
 */
export async function* rootText(events: AsyncIterable<BatonEvent>): AsyncGenerator<string> {
  const streamed = new Set<string>()
  for await (const event of events) {
    if (!ROOT_STEP.test(event.path)) continue
    if (event.type === 'model.delta') {
      if (event.kind !== 'text' || !event.text) continue
      streamed.add(event.path)
      yield event.text
    } else if (event.type === 'model.response' && !streamed.has(event.path) && event.message.content) {
      yield event.message.content
    }
  }
}

/**
 * One event as a server-sent event: its type as the event name, its seq as the id (deltas,
 * which share the seq of the event after them, have none), and the event as JSON with secrets
 * redacted as a transcript redacts them: what leaves the process is what a transcript may hold.
 */
export function serverSentEvent(event: BatonEvent, redact = redactor()): string {
  const id = event.type === 'model.delta' || event.seq === undefined ? '' : `id: ${event.seq}\n`
  return `event: ${event.type}\n${id}data: ${transcriptJson(event, redact)}\n\n`
}

/**
 * The events as a byte stream of server-sent events, read as the consumer pulls. Cancelling it
 * (a client that goes away) stops reading the events, which aborts the run. A run that cannot
 * start ends the stream with an `error` event.
 */
export function serverSentEvents(events: AsyncIterable<BatonEvent>): EventStreamBody {
  const iterator = events[Symbol.asyncIterator]()
  const encoder = new TextEncoder()
  const redact = redactor()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next()
        if (next.done) controller.close()
        else controller.enqueue(encoder.encode(serverSentEvent(next.value, redact)))
      } catch (error) {
        const data = transcriptJson(toErrorInfo(error), redact)
        controller.enqueue(encoder.encode(`event: error\ndata: ${data}\n\n`))
        controller.close()
      }
    },
    async cancel() {
      await iterator.return?.()
    },
  })
  // In Node the global ReadableStream is Node's web stream: both types describe the same object.
  return body as EventStreamBody
}

/** A `text/event-stream` response of the events, ready to return from a fetch-style handler. */
export function serverSentResponse(events: AsyncIterable<BatonEvent>, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers)
  if (!headers.has('content-type')) headers.set('content-type', 'text/event-stream; charset=utf-8')
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-cache')
  return new Response(serverSentEvents(events), { ...init, headers })
}
