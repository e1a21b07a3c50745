/**
 * Raw wire bodies for probes of real API shapes: server-sent events written exactly as given
 * (`data:` lines, with or without `event:` names), split into small pieces so that events and
 * lines are cut mid-way, and JSON bodies with a status and headers.
 */
import { HttpResponse } from 'msw'
import type { Model, ModelRequest, ModelStreamEvent, RetryInfo } from '../../../src/index.js'

/** One SSE event: `data` is serialised as JSON unless it is a string. */
export interface RawEvent {
  event?: string
  data: unknown
  /** Written as an SSE comment line before the event (`: OPENROUTER PROCESSING`). */
  comment?: string
}

export function sseText(events: readonly RawEvent[], options: { done?: boolean } = {}): string {
  let text = events
    .map((e) => {
      const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data)
      const comment = e.comment === undefined ? '' : `: ${e.comment}\n\n`
      return `${comment}${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`
    })
    .join('')
  if (options.done) text += 'data: [DONE]\n\n'
  return text
}

/** A `text/event-stream` response of `events`, delivered in pieces of 1 to 29 bytes. */
export function sse(events: readonly RawEvent[], options: { done?: boolean } = {}): Response {
  const bytes = new TextEncoder().encode(sseText(events, options))
  const parts: Uint8Array[] = []
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const size = 1 + ((n * 11) % 29)
    parts.push(bytes.subarray(at, at + size))
    at += size
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(part)
      controller.close()
    },
  })
  return new HttpResponse(body, {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  })
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return HttpResponse.json(body as Record<string, unknown>, { status, headers })
}

/** Streams `request` through `model` to its end; the stream must end with its `finish` event. */
export async function streamAll(model: Model, request: ModelRequest, onRetry?: (info: RetryInfo) => void) {
  const events: ModelStreamEvent[] = []
  for await (const event of model.stream!(request, onRetry ? { onRetry } : {})) events.push(event)
  const last = events.at(-1)
  if (last?.type !== 'finish') throw new Error(`the stream ended with ${last?.type}`)
  return { events, response: last.response }
}

/** The text deltas of a stream, joined. */
export const textOf = (events: readonly ModelStreamEvent[]): string =>
  events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('')
