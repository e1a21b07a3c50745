/**
 * A small OTLP/HTTP receiver for tests: takes `POST /v1/traces` in the JSON encoding (what the
 * official `@opentelemetry/exporter-trace-otlp-http` sends) on 127.0.0.1 and keeps each span
 * with its attributes as plain values, its resource's attributes, and the request's headers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Plain = string | number | boolean | Plain[] | undefined

export interface ReceivedSpan {
  traceId: string
  spanId: string
  /** Empty for a root span. */
  parentSpanId: string
  name: string
  /** OTLP's numbers: 1 internal, 2 server, 3 client. */
  kind: number
  /** Nanoseconds since the epoch. */
  start: bigint
  end: bigint
  attributes: Record<string, Plain>
  /** OTLP's numbers: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string }
  resource: Record<string, Plain>
  scope: string
}

export interface OtlpReceiver {
  /** The base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly url: string
  readonly spans: ReceivedSpan[]
  readonly headers: IncomingHttpHeaders[]
  /** Resolves once `count` spans have come (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>
  close(): Promise<void>
}

interface AnyValue {
  stringValue?: string
  boolValue?: boolean
  intValue?: string | number
  doubleValue?: number
  arrayValue?: { values?: AnyValue[] }
}
type KeyValues = { key: string; value: AnyValue }[] | undefined

function plain(value: AnyValue | undefined): Plain {
  if (!value) return undefined
  if (value.stringValue !== undefined) return value.stringValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plain)
  return undefined
}

const attributesOf = (list: KeyValues): Record<string, Plain> =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, plain(value)]))

/** `answer`: the status and body of every answer instead of taking the spans (a collector that refuses). */
export async function otlpReceiver(answer?: { status: number; body: string }): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const headers: IncomingHttpHeaders[] = []
  const waiting = new Set<() => void>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end()
        return
      }
      headers.push(req.headers)
      if (answer) {
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body)
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      for (const resourceSpans of body.resourceSpans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes)
        for (const scopeSpans of resourceSpans.scopeSpans ?? [])
          for (const span of scopeSpans.spans ?? [])
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              start: BigInt(span.startTimeUnixNano),
              end: BigInt(span.endTimeUnixNano),
              attributes: attributesOf(span.attributes),
              status: span.status ?? { code: 0 },
              resource,
              scope: scopeSpans.scope?.name ?? '',
            })
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      for (const wake of waiting) wake()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    headers,
    waitFor(count, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (spans.length < count) return
          waiting.delete(check)
          clearTimeout(timer)
          resolve(spans)
        }
        const timer = setTimeout(() => {
          waiting.delete(check)
          reject(new Error(`the receiver has ${spans.length} spans of the ${count} awaited`))
        }, timeoutMs)
        waiting.add(check)
        check()
      })
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
