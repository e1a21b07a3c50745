/**
 * Spans handed to an OpenTelemetry tracer: live, event by event, while a run goes (the `tracer`
 * run option), or after the fact from a transcript with its original timing. `@opentelemetry/api`
 * is loaded only here, when a tracer is given: a run without one pays nothing.
 */
import type { Context, Meter, Span, SpanContext, Tracer } from '@opentelemetry/api'
import type { BatonEvent } from '../events/index.js'
import { givenTranscript } from '../transcript/given.js'
import type { Transcript } from '../transcript/index.js'
import { CallMetrics } from './metrics.js'
import { SpanBuilder, type SpanChange, type SpanRecord } from './spans.js'

type Api = typeof import('@opentelemetry/api')

/** Takes a run's events as they come and gives their spans to a tracer. */
export interface Tracing {
  add(event: BatonEvent): void
  /** Ends the spans still open at `t` (ms since the run started): a transcript cut short ends there. */
  cut(t: number): void
}

/** How a run is traced. */
export interface TraceOptions {
  /**
   * Put message contents on the spans: prompts, answers, tool arguments and results, redacted as
   * the transcript redacts them. Default: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`
   * (`true`), else off.
   */
  content?: boolean
  /** Also record the conventions' client metrics (token usage, operation duration) here. */
  meter?: Meter
}

/** Whether contents go on spans: as asked, else as the conventional variable says. */
export function tracesContent(asked: boolean | undefined, env = process.env): boolean {
  return asked ?? env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase() === 'true'
}

/**
 * Tracing of one run into `tracer` (and metrics into `options.meter`; either may be missing):
 * `startedAt` is the run's start (epoch ms), from which the events' times count; `runId` is the
 * trace's conversation id.
 */
export async function startTracing(
  tracer: Tracer | undefined,
  startedAt: number,
  runId: string,
  options: TraceOptions = {},
): Promise<Tracing> {
  const api = await import('@opentelemetry/api')
  const builder = new SpanBuilder(runId, { content: tracesContent(options.content) })
  const open = new Map<string, Span>()
  // Every span's context, ended or not: a span that starts after its parent ended is still its child.
  const started = new Map<string, SpanContext>()
  const metrics = options.meter ? new CallMetrics(options.meter) : undefined
  // A run whose root span is not recorded (a no-op tracer, or a sampler that left this trace
  // out) has no span recorded under it either: the rest of it is not built.
  let unrecorded = false
  const take = (change: SpanChange | undefined) => {
    if (!change || unrecorded) return
    if (tracer) {
      apply(api, tracer, open, started, change, startedAt)
      const root = change.started?.parent === undefined ? change.started : undefined
      if (root && !metrics && open.get(root.key)?.isRecording() === false) unrecorded = true
    }
    if (metrics) for (const span of change.ended ?? []) metrics.ended(span)
  }
  return {
    add: (event) => {
      if (!unrecorded) take(builder.add(event))
    },
    cut: (t) => {
      if (!unrecorded) take(builder.closeAll(t, true))
    },
  }
}

/** Gives a recorded run's spans to `tracer`, timed as they happened. */
export async function traceTranscript(
  given: Transcript,
  tracer: Tracer,
  options: TraceOptions = {},
): Promise<void> {
  const transcript = givenTranscript(given, 'traceTranscript')
  const tracing = await startTracing(
    tracer,
    Date.parse(transcript.header.startedAt),
    transcript.header.runId,
    options,
  )
  for (const event of transcript.events) tracing.add(event)
  const last = transcript.events.at(-1)
  if (last && last.type !== 'run.end') tracing.cut(last.t ?? 0)
}

function apply(
  api: Api,
  tracer: Tracer,
  open: Map<string, Span>,
  contexts: Map<string, SpanContext>,
  change: SpanChange,
  startedAt: number,
): void {
  const { started, ended } = change
  if (started) {
    const parent = started.parent === undefined ? undefined : contexts.get(started.parent)
    const context: Context = parent ? api.trace.setSpanContext(api.ROOT_CONTEXT, parent) : api.ROOT_CONTEXT
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
    contexts.set(started.key, span.spanContext())
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
