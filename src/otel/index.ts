export { type AttributeValue, SpanBuilder, type SpanChange, type SpanRecord, spansOf } from './spans.js'
