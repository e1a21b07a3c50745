/**
 * Baton's own OpenTelemetry set-up, for scripts and the CLI that have none of their own: a tracer
 * provider whose spans go, in batches, to an OTLP/HTTP endpoint, configured by the standard
 * variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_TRACES_EXPORTER`, `OTEL_SDK_DISABLED`...). The OpenTelemetry packages are loaded here
 * only, when it is called; a missing one is named with the command that installs it.
 */
import type { Tracer } from '@opentelemetry/api'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import { isObjectOfStrings, unknownKey } from '../schema/known-keys.js'
import { VERSION } from '../version.js'

export interface TracingSetupOptions {
  /** The `service.name` of the spans. Default: `OTEL_SERVICE_NAME`, else `baton`. */
  serviceName?: string
  /**
   * Where the spans go: the full URL of the traces endpoint (`http://127.0.0.1:4318/v1/traces`).
   * Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`,
   * else `http://localhost:4318/v1/traces`.
   */
  url?: string
  /** Headers sent with each export (an API key, say). Default: `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>
  /**
   * Your own exporter instead of OTLP/HTTP (an `InMemorySpanExporter` in tests, say): a
   * `SpanExporter` of `@opentelemetry/sdk-trace-base`, typed here without that package.
   */
  exporter?: {
    export(spans: never[], done: (result: { code: number; error?: Error }) => void): void
    shutdown(): Promise<void>
    forceFlush?(): Promise<void>
  }
  /** The variables to read. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
}

/** Baton's tracer provider: the tracer to give runs, and how to send what is left before exiting. */
export interface TracingSetup {
  readonly tracer: Tracer
  /** Where the spans go, as said (`otlp http://…/v1/traces`, `console`, `none`). */
  readonly destination: string
  /** How many spans were sent, how many could not be, and why the last failure failed. */
  readonly sent: { spans: number; failed: number; error?: string }
  /** Sends the spans ended so far (a failure is counted in `sent`, never thrown). */
  flush(): Promise<void>
  /**
   * Sends what is left and stops (a failure is counted in `sent`, never thrown). Call it before
   * the process exits, or spans are lost.
   */
  shutdown(): Promise<void>
}

const PACKAGES = ['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/resources']
const OTLP_HTTP = '@opentelemetry/exporter-trace-otlp-http'

/** Loads a package of the set-up, or says which to install. */
async function load<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new BatonError(
      'INVALID_OPTIONS',
      `tracing needs ${name}, which is not installed: npm install ${[...PACKAGES, OTLP_HTTP].join(' ')}`,
      { details: { package: name } },
    )
  }
}

/** What `OTEL_TRACES_EXPORTER` asks for (`otlp` by default; the first of a list Baton knows). */
function exporterKind(env: TracingSetupOptions['env'] & object): 'otlp' | 'console' | 'none' {
  const asked = (env.OTEL_TRACES_EXPORTER ?? 'otlp')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean)
  for (const name of asked.length ? asked : ['otlp'])
    if (name === 'otlp' || name === 'console' || name === 'none') return name
  throw new BatonError(
    'INVALID_OPTIONS',
    `OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}: Baton's set-up sends to otlp, console or none`,
    { details: { variable: 'OTEL_TRACES_EXPORTER' } },
  )
}

/** The OTLP protocol asked for: only `http/json` is sent by Baton's set-up. */
function checkProtocol(env: TracingSetupOptions['env'] & object): void {
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = env[variable]?.trim()
    if (!protocol) continue
    if (protocol === 'http/json') return
    throw new BatonError(
      'INVALID_OPTIONS',
      `${variable}=${protocol}: Baton's set-up sends OTLP as http/json (every collector takes it on port 4318); for ${protocol}, give runs a tracer of your own`,
      { details: { variable, protocol } },
    )
  }
}

/** The traces URL the variables give; one that is not an http(s) URL is refused, naming the variable. */
function tracesUrl(env: TracingSetupOptions['env'] & object): string {
  for (const [variable, suffix] of [
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ''],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', '/v1/traces'],
  ] as const) {
    const given = env[variable]?.trim()
    if (!given) continue
    if (!isHttpUrl(given))
      throw new BatonError(
        'INVALID_OPTIONS',
        `${variable}=${given}: expected an http:// or https:// URL (http://localhost:4318)`,
        { details: { variable } },
      )
    return suffix ? `${given.replace(/\/+$/, '')}${suffix}` : given
  }
  return 'http://localhost:4318/v1/traces'
}

const isHttpUrl = (url: string): boolean => /^https?:\/\/[^/]/.test(url) && URL.canParse(url)

/** Parses `key=value,key=value` (percent-encoded values), as the OTLP variables are written. */
function pairs(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=')
    if (at <= 0) continue
    const key = pair.slice(0, at).trim()
    try {
      out[key] = decodeURIComponent(pair.slice(at + 1).trim())
    } catch {
      out[key] = pair.slice(at + 1).trim()
    }
  }
  return out
}

// A header's name, as HTTP allows it (RFC 9110's token).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** The headers the variables give; a pair that is not `name=value` is refused, naming the variable. */
function envHeaders(env: TracingSetupOptions['env'] & object): Record<string, string> {
  const variable = ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS'].find(
    (name) => env[name] !== undefined,
  )
  if (variable === undefined) return {}
  const text = env[variable]!
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue
    const at = pair.indexOf('=')
    const name = at > 0 ? pair.slice(0, at).trim() : ''
    if (!HEADER_NAME.test(name))
      throw new BatonError(
        'INVALID_OPTIONS',
        `${variable}: ${JSON.stringify(pair.trim().slice(0, 40))} is not a header as name=value (a comma between headers, the value percent-encoded)`,
        { details: { variable } },
      )
  }
  return pairs(text)
}

/** The export timeouts must be numbers of milliseconds, or the exporter quietly takes 10 s. */
function checkNumbers(env: TracingSetupOptions['env'] & object): void {
  for (const variable of [
    'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
    'OTEL_EXPORTER_OTLP_TIMEOUT',
    'OTEL_BSP_SCHEDULE_DELAY',
    'OTEL_BSP_EXPORT_TIMEOUT',
    'OTEL_BSP_MAX_QUEUE_SIZE',
    'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  ]) {
    const value = env[variable]?.trim()
    if (!value) continue
    const number = Number(value)
    if (!Number.isFinite(number) || number <= 0)
      throw new BatonError(
        'INVALID_OPTIONS',
        `${variable}=${value}: expected a positive number${variable.includes('SIZE') ? '' : ' of milliseconds'}`,
        { details: { variable } },
      )
  }
}

/**
 * Runs `make` with the `OTEL_*` variables of `process.env` replaced by those of `env`: the SDK's
 * constructors read their settings (timeout, headers, compression, batch sizes, span limits,
 * sampler) from `process.env`, and a set-up given `env` reads those of `env` only.
 */
function withOtelEnv<T>(env: TracingSetupOptions['env'] & object, make: () => T): T {
  if (env === process.env) return make()
  const saved: Record<string, string | undefined> = {}
  for (const name of Object.keys(process.env))
    if (name.startsWith('OTEL_')) {
      saved[name] = process.env[name]
      delete process.env[name]
    }
  for (const [name, value] of Object.entries(env))
    if (name.startsWith('OTEL_') && value !== undefined) process.env[name] = value
  try {
    return make()
  } finally {
    for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) delete process.env[name]
    Object.assign(process.env, saved)
  }
}

/**
 * Sets up tracing to an OTLP/HTTP endpoint (or the exporter given) and gives the tracer to pass
 * runs. With `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`, the tracer makes no spans.
 */
export async function setupTracing(options: TracingSetupOptions = {}): Promise<TracingSetup> {
  checkSetup(options)
  const env = options.env ?? process.env
  const api = await load('@opentelemetry/api', () => import('@opentelemetry/api'))
  const kind = options.exporter ? 'own' : exporterKind(env)
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || kind === 'none') {
    const tracer = new api.ProxyTracerProvider().getDelegate().getTracer('baton')
    return {
      tracer,
      destination: 'none',
      sent: { spans: 0, failed: 0 },
      flush: async () => {},
      shutdown: async () => {},
    }
  }
  checkNumbers(env)
  const sdk = await load('@opentelemetry/sdk-trace-base', () => import('@opentelemetry/sdk-trace-base'))
  const resources = await load('@opentelemetry/resources', () => import('@opentelemetry/resources'))
  let exporter: SpanExporter
  let destination: string
  if (options.exporter) {
    exporter = options.exporter as unknown as SpanExporter
    destination = 'exporter'
  } else if (kind === 'console') {
    exporter = new sdk.ConsoleSpanExporter()
    destination = 'console'
  } else {
    checkProtocol(env)
    const url = options.url ?? tracesUrl(env)
    const headers = options.headers ?? envHeaders(env)
    const otlp = await load(OTLP_HTTP, () => import('@opentelemetry/exporter-trace-otlp-http'))
    exporter = withOtelEnv(env, () => new otlp.OTLPTraceExporter({ url, headers }))
    destination = `otlp ${url}`
  }
  const resource = resources.resourceFromAttributes({
    ...pairs(env.OTEL_RESOURCE_ATTRIBUTES),
    'service.name': options.serviceName ?? (env.OTEL_SERVICE_NAME?.trim() || 'baton'),
  })
  const sent: TracingSetup['sent'] = { spans: 0, failed: 0 }
  // Spans go in batches (the `OTEL_BSP_*` variables apply), the way production tracing does.
  const provider = withOtelEnv(
    env,
    () =>
      new sdk.BasicTracerProvider({
        resource,
        spanProcessors: [new sdk.BatchSpanProcessor(counted(exporter, sent))],
      }),
  )
  return {
    tracer: provider.getTracer('baton', VERSION),
    destination,
    sent,
    flush: () => provider.forceFlush().catch((error) => failedWith(sent, error)),
    shutdown: () => provider.shutdown().catch((error) => failedWith(sent, error)),
  }
}

const SETUP_KEYS: ReadonlySet<string> = new Set(['serviceName', 'url', 'headers', 'exporter', 'env'])

/** Refuses options the set-up would ignore or trip over, naming the one that is wrong. */
function checkSetup(options: TracingSetupOptions): void {
  const fail = (message: string): never => {
    throw new BatonError('INVALID_OPTIONS', `setupTracing: ${message}`)
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    fail(`expected options { serviceName?, url?, headers?, exporter?, env? }, got ${describe(options)}`)
  const unknown = unknownKey(Object.keys(options), SETUP_KEYS, 'setupTracing option', {
    endpoint: 'url',
    service: 'serviceName',
    spanExporter: 'exporter',
    traceExporter: 'exporter',
  })
  if (unknown) fail(`${unknown.key} ${unknown.problem}`)
  const { serviceName, url, headers, exporter, env } = options
  if (serviceName !== undefined && (typeof serviceName !== 'string' || serviceName.trim() === ''))
    fail(`serviceName must be a non-empty string, got ${describe(serviceName)}`)
  if (url !== undefined && (typeof url !== 'string' || !isHttpUrl(url)))
    fail(
      `url must be the full URL of the traces endpoint (http://127.0.0.1:4318/v1/traces), got ${describe(url)}`,
    )
  for (const [what, record] of [
    ['headers', headers],
    ['env', env],
  ] as const)
    if (record !== undefined && !isObjectOfStrings(record, true))
      fail(`${what} must be an object of strings, got ${describe(record)}`)
  if (
    exporter !== undefined &&
    (typeof exporter !== 'object' ||
      exporter === null ||
      typeof exporter.export !== 'function' ||
      typeof exporter.shutdown !== 'function')
  )
    fail('exporter must be a SpanExporter: an object with export(spans, done) and shutdown()')
}

/** A flush that failed is counted, not thrown: tracing never fails what it traces. */
function failedWith(sent: TracingSetup['sent'], error: unknown): void {
  sent.error ??= (error as Error)?.message ?? String(error)
}

/** The exporter, counting what it sent and what it could not (an exporter only tells its callback). */
function counted(exporter: SpanExporter, sent: TracingSetup['sent']): SpanExporter {
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        // ExportResultCode.SUCCESS is 0.
        if (result.code === 0) sent.spans += spans.length
        else {
          sent.failed += spans.length
          sent.error = exportFailure(result.error)
        }
        done(result)
      })
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
  }
}

/**
 * Why an export failed, in one line: the collector's HTTP status and what it answered, when it
 * answered (`HTTP 413 Payload Too Large: request body too large`), else the exporter's reason.
 */
function exportFailure(error: (Error & { code?: unknown; data?: unknown }) | undefined): string {
  if (!error) return 'the exporter said it failed'
  const status = typeof error.code === 'number' ? `HTTP ${error.code} ` : ''
  const answered = typeof error.data === 'string' ? error.data.replace(/\s+/g, ' ').trim() : ''
  const said = answered ? `: ${answered.length > 200 ? `${answered.slice(0, 200)}…` : answered}` : ''
  return `${status}${error.message || 'failed'}${said}`
}
