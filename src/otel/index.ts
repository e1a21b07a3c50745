export { type AttributeValue, SpanBuilder, type SpanChange, type SpanRecord, spansOf } from './spans.js'
export { startTracing, type Tracing, traceTranscript } from './trace.js'
