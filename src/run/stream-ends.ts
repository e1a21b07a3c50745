/**
 * The forms a run's event stream can be taken in besides the events themselves: the root
 * agent's text, and server-sent events (a web `ReadableStream`, or a whole `Response`).
 */
import type { Clock } from '../effects/index.js'
import { BatonError, toErrorInfo } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import { withFields } from '../objects.js'
import { redactor } from '../transcript/redact.js'
import { transcriptJson } from '../transcript/transcript-json.js'
import { DeltaRedaction } from './delta-redaction.js'
import type { EventStreamBody, ServerSentOptions } from './types.js'

// The root agent's own model calls (`root/3/model`), not its goal scorers' nor sub-agents'.
const ROOT_STEP = /^root\/\d+\/model$/

/**
 * The root agent's text as it is written. A call whose deltas were not streamed (deltas turned
 * off, or a model that answered in one piece before its response was known) gives its whole
 * text when its response arrives. Not an async generator: leaving (`return()`) must reach the
 * events' reader at once, even while a `next()` waits, so that the run stops then.
 */
export function rootText(events: AsyncIterable<BatonEvent>): AsyncIterableIterator<string> {
  const source = events[Symbol.asyncIterator]()
  const streamed = new Set<string>()
  const pieceOf = (event: BatonEvent): string | undefined => {
    if (!ROOT_STEP.test(event.path)) return undefined
    if (event.type === 'model.delta') {
      if (event.kind !== 'text' || !event.text) return undefined
      streamed.add(event.path)
      return event.text
    }
    if (event.type === 'model.response' && !streamed.has(event.path) && event.message.content)
      return event.message.content
    return undefined
  }
  const text: AsyncIterableIterator<string> = {
    async next() {
      for (;;) {
        const next = await source.next()
        if (next.done) return { done: true, value: undefined }
        const piece = pieceOf(next.value)
        if (piece !== undefined) return { done: false, value: piece }
      }
    },
    async return() {
      await source.return?.()
      return { done: true, value: undefined }
    },
    [Symbol.asyncIterator]: () => text,
  }
  return text
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

/** A comment line: a client ignores it, and a proxy sees the connection is alive. */
const HEARTBEAT = ': keep-alive\n\n'
export const DEFAULT_HEARTBEAT_MS = 15_000
const MAX_TIMER_MS = 2 ** 31 - 1
const BEAT = Symbol('heartbeat')

/** The heartbeat interval the options ask for (0: none), or an `INVALID_OPTIONS` error naming the value. */
export function heartbeatOf(options: ServerSentOptions | undefined, where: string): number {
  const given = options?.heartbeatMs
  if (given === undefined) return DEFAULT_HEARTBEAT_MS
  if (typeof given !== 'number' || !Number.isInteger(given) || given < 0 || given > MAX_TIMER_MS)
    throw new BatonError(
      'INVALID_OPTIONS',
      `${where}: heartbeatMs must be a whole number of milliseconds from 0 (no heartbeat) to ${MAX_TIMER_MS}, got ${typeof given === 'number' ? String(given) : typeof given}`,
      { details: { field: 'heartbeatMs' } },
    )
  return given
}

/**
 * The events as a byte stream of server-sent events, read as the consumer pulls. Deltas are
 * redacted as their call's whole text would be (a secret split across them included). Cancelling it
 * (a client that goes away) stops reading the events, which aborts the run. A run that cannot
 * start ends the stream with an `error` event. While no event comes for `heartbeatMs` (a long
 * tool or model call), a comment line is sent, so that proxies and load balancers that close
 * idle connections keep this one open.
 */
export function serverSentEvents(
  events: AsyncIterable<BatonEvent>,
  clock: Clock,
  heartbeatMs = DEFAULT_HEARTBEAT_MS,
): EventStreamBody {
  const iterator = events[Symbol.asyncIterator]()
  const encoder = new TextEncoder()
  const redact = redactor()
  const deltas = new DeltaRedaction(redact)
  // Set by a cancel that came while a pull waited: that pull must then leave the body alone.
  let cancelled = false
  // The next event asked for, still to come when a heartbeat went out instead.
  let waiting: Promise<IteratorResult<BatonEvent>> | undefined
  const nextOrBeat = (): Promise<IteratorResult<BatonEvent> | typeof BEAT> => {
    waiting ??= iterator.next()
    const next = waiting
    if (heartbeatMs === 0) return next
    let stop: (() => void) | undefined
    const beat = new Promise<typeof BEAT>((resolve) => {
      stop = clock.setTimeout(() => resolve(BEAT), heartbeatMs)
    })
    return Promise.race([next, beat]).finally(() => stop?.())
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        // A delta may be held back (see DeltaRedaction): pull until there is something to send.
        for (;;) {
          const next = await nextOrBeat()
          if (cancelled) return
          if (next === BEAT) return controller.enqueue(encoder.encode(HEARTBEAT))
          waiting = undefined
          if (next.done) return controller.close()
          const out = deltas.through(next.value)
          if (out.length === 0) continue
          const text = out.map((event) => serverSentEvent(event, redact)).join('')
          return controller.enqueue(encoder.encode(text))
        }
      } catch (error) {
        if (cancelled) return
        const data = transcriptJson(toErrorInfo(error), redact)
        controller.enqueue(encoder.encode(`event: error\ndata: ${data}\n\n`))
        controller.close()
      }
    },
    async cancel() {
      cancelled = true
      await iterator.return?.()
    },
  })
  // In Node the global ReadableStream is Node's web stream: both types describe the same object.
  return body as EventStreamBody
}

/** A `text/event-stream` response of the events, ready to return from a fetch-style handler. */
export function serverSentResponse(
  events: AsyncIterable<BatonEvent>,
  clock: Clock,
  heartbeatMs: number,
  init: ResponseInit = {},
): Response {
  const headers = new Headers(init.headers)
  if (!headers.has('content-type')) headers.set('content-type', 'text/event-stream; charset=utf-8')
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-cache')
  return new Response(serverSentEvents(events, clock, heartbeatMs), withFields(init ?? {}, { headers }))
}
