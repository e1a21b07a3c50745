/**
 * The GenAI conventions' client metrics, from the same spans as the trace: each model call's
 * `gen_ai.client.token.usage` (input and output tokens) and `gen_ai.client.operation.duration`
 * (seconds), recorded when its `chat` span ends, into the meter a run is given.
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api'
import type { SpanRecord } from './spans.js'

// The conventions' advised bucket boundaries.
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
]
const SECOND_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]

/** What a metric point is told of its call (the attributes the conventions name). */
const CALL_ATTRIBUTES = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
] as const

/** Records the metrics of model calls whose spans ended. */
export class CallMetrics {
  private readonly tokens: Histogram
  private readonly duration: Histogram

  constructor(meter: Meter) {
    this.tokens = meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Number of input and output tokens used',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    })
    this.duration = meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'GenAI operation duration',
      unit: 's',
      advice: { explicitBucketBoundaries: SECOND_BUCKETS },
    })
  }

  /** Takes an ended span: a model call's is measured, the rest are not metrics. */
  ended(span: SpanRecord): void {
    // A call cut off with its transcript has no known duration or usage: it is not measured.
    if (span.kind !== 'client' || span.attributes['baton.unfinished'] === true) return
    const attributes: Attributes = {}
    for (const name of CALL_ATTRIBUTES)
      if (span.attributes[name] !== undefined) attributes[name] = span.attributes[name]
    const error = span.attributes['error.type']
    this.duration.record(((span.end ?? span.start) - span.start) / 1000, {
      ...attributes,
      ...(error !== undefined ? { 'error.type': error } : {}),
    })
    for (const [type, name] of [
      ['input', 'gen_ai.usage.input_tokens'],
      ['output', 'gen_ai.usage.output_tokens'],
    ] as const) {
      const count = span.attributes[name]
      if (typeof count === 'number') this.tokens.record(count, { ...attributes, 'gen_ai.token.type': type })
    }
  }
}
