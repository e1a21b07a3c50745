/**
 * Spans handed to an OpenTelemetry tracer: live, event by event, while a run goes (the `tracer`
 * run option), or after the fact from a transcript with its original timing. `@opentelemetry/api`
 * is loaded only here, when a tracer is given: a run without one pays nothing.
 */
import type { Context, Span, Tracer } from '@opentelemetry/api'
import type { BatonEvent } from '../events/index.js'
import type { Transcript } from '../transcript/index.js'
import { SpanBuilder, type SpanChange, type SpanRecord } from './spans.js'

type Api = typeof import('@opentelemetry/api')

/** Takes a run's events as they come and gives their spans to a tracer. */
export interface Tracing {
  add(event: BatonEvent): void
}

/**
 * Tracing of one run into `tracer`: `startedAt` is the run's start (epoch ms), from which the
 * events' times count; `runId` is the trace's conversation id.
 */
export async function startTracing(tracer: Tracer, startedAt: number, runId: string): Promise<Tracing> {
  const api = await import('@opentelemetry/api')
  const builder = new SpanBuilder(runId)
  const open = new Map<string, Span>()
  return {
    add(event) {
      const change = builder.add(event)
      if (change) apply(api, tracer, open, change, startedAt)
    },
  }
}

/** Gives a recorded run's spans to `tracer`, timed as they happened. */
export async function traceTranscript(transcript: Transcript, tracer: Tracer): Promise<void> {
  const tracing = await startTracing(tracer, Date.parse(transcript.header.startedAt), transcript.header.runId)
  for (const event of transcript.events) tracing.add(event)
}

function apply(
  api: Api,
  tracer: Tracer,
  open: Map<string, Span>,
  change: SpanChange,
  startedAt: number,
): void {
  const { started, ended } = change
  if (started) {
    const parent = started.parent === undefined ? undefined : open.get(started.parent)
    const context: Context = parent ? api.trace.setSpan(api.ROOT_CONTEXT, parent) : api.ROOT_CONTEXT
    const span = tracer.startSpan(
      started.name,
      {
        kind: started.kind === 'client' ? api.SpanKind.CLIENT : api.SpanKind.INTERNAL,
        startTime: startedAt + started.start,
        attributes: started.attributes,
      },
      context,
    )
    open.set(started.key, span)
  }
  for (const record of ended ?? []) {
    const span = open.get(record.key)
    if (!span) continue
    finish(api, span, record, startedAt)
    open.delete(record.key)
  }
}

function finish(api: Api, span: Span, record: SpanRecord, startedAt: number): void {
  span.setAttributes(record.attributes)
  if (record.status.code === 'error')
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: record.status.message ?? '' })
  span.end(startedAt + (record.end ?? record.start))
}
