export { setupTracing, type TracingSetup, type TracingSetupOptions } from './setup.js'
export { type AttributeValue, SpanBuilder, type SpanChange, type SpanRecord, spansOf } from './spans.js'
export { startTracing, type TraceOptions, type Tracing, tracesContent, traceTranscript } from './trace.js'
