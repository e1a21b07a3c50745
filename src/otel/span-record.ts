/** A span as a run's events describe it, before any OpenTelemetry SDK sees it. */

export type AttributeValue = string | number | boolean | string[]

/** One span, as the events say it: what an OpenTelemetry exporter is handed. */
export interface SpanRecord {
  /** The step key or agent path it stands for (unique in a run). */
  readonly key: string
  /** Its parent's key; undefined for the root agent. */
  readonly parent: string | undefined
  readonly name: string
  /** `client` for model calls (a call to another service), `internal` for the rest. */
  readonly kind: 'client' | 'internal'
  /** Milliseconds since the run started. */
  readonly start: number
  /** Milliseconds since the run started; undefined while it is open. */
  end: number | undefined
  readonly attributes: Record<string, AttributeValue>
  status: { code: 'unset' | 'error'; message?: string }
}

/** What one event did to the trace: the span it opened, and those it closed (children first). */
export interface SpanChange {
  started?: SpanRecord
  ended?: SpanRecord[]
}
