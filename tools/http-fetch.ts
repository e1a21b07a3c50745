import type { LookupAddress } from 'node:dns'
import { BatonError, defineTool, type Tool, type ToolContext, VERSION } from 'baton'
import { blockedPort } from './blocked-ports.js'
import { discard, header, readBody } from './http-body.js'
import { type AddressPolicy, bareHost, checkedAddresses, normalizeHost, pinnedLookup } from './http-guard.js'
import { checkedHeaders } from './http-headers.js'
import { checkBoolean, checkCount, knownOptions, MAX_BYTES, MAX_MS } from './options.js'

export interface HttpFetchOptions {
  /** Fetch private, loopback, link-local and other non-public addresses too. Default false. */
  allowPrivate?: boolean
  /**
   * Hosts that may resolve to (or be) non-public addresses, e.g. `['intranet.example',
   * '*.corp.example', '10.0.0.5']`. Other hosts are still checked. Matched against the URL's host.
   */
  allowHosts?: readonly string[]
  /** Bytes of body read at most (after decompression); the rest is cut with a note. Default 1 MiB. */
  maxBytes?: number
  /** For the whole call, redirects and body included. Default 10,000 ms. */
  timeoutMs?: number
  /** Redirects followed at most. Default 5. */
  maxRedirects?: number
  /**
   * Headers sent with every request, to whatever URL the model asks for (the model's own headers
   * come on top). Credentials are refused here: give them in `credentials`.
   */
  headers?: Record<string, string>
  /**
   * Headers sent only to one origin each, e.g. `{ 'https://api.example.com': { authorization:
   * 'Bearer …' } }`: a model told by a page to fetch another site never sends them there.
   */
  credentials?: Record<string, Record<string, string>>
}

/** The arguments the model gives. */
export interface HttpFetchInput {
  url: string
  method?: 'GET' | 'HEAD'
  headers?: Record<string, string>
}

/** What the model gets back. */
export interface HttpFetchResult {
  /** The final URL, after redirects. */
  url: string
  status: number
  /** A few informative response headers. */
  headers: Record<string, string>
  contentType: string | undefined
  /** The body as text; binary content is described in one line instead. */
  body: string
  /** The body was longer than `maxBytes` and was cut (the body ends with a note saying so). */
  truncated: boolean
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const KEPT_HEADERS = ['content-type', 'content-length', 'content-language', 'last-modified', 'etag']
// Dropped when a redirect leaves the origin, as browsers do, and kept out of `headers`.
const CREDENTIAL_HEADERS = /^(?:authorization|cookie|proxy-authorization|x-api-key|api-key|x-auth-token)$/i

const INPUT = {
  type: 'object',
  properties: {
    url: { type: 'string', description: 'An absolute http:// or https:// URL.' },
    method: { type: 'string', enum: ['GET', 'HEAD'], description: 'Default GET.' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Extra request headers, e.g. {"accept": "application/json"}.',
    },
  },
  required: ['url'],
  additionalProperties: false,
} as const

/**
 * A tool, `http_fetch`, that fetches a public http(s) URL. Every hop of a redirect is checked:
 * hosts that are (or resolve to) private, loopback, link-local or other non-public addresses
 * are refused unless the options allow them, and the connection goes to the address checked.
 *
 * @example
 * const researcher = defineAgent({ name: 'researcher', instructions: '…', tools: [httpFetch()] })
 * const intranet = httpFetch({ allowHosts: ['wiki.corp.example'], maxBytes: 200_000 })
 */
export function httpFetch(options: HttpFetchOptions = {}): Tool {
  const settings = checkOptions(options)
  return defineTool({
    name: 'http_fetch',
    // GET and HEAD only: fetching again asks again, and changes nothing.
    idempotent: true,
    description:
      'Fetch a public web page or API over http(s) with GET or HEAD. Returns the final URL (redirects are followed), the status, a few headers and the body as text; binary bodies are described, not shown, and long ones are cut.',
    input: INPUT,
    run: (input, ctx) => fetchUrl(input as HttpFetchInput, settings, ctx),
  })
}

interface Settings {
  policy: AddressPolicy
  maxBytes: number
  timeoutMs: number
  maxRedirects: number
  headers: Record<string, string>
  /** Headers by origin (`https://api.example.com`). */
  credentials: Map<string, Record<string, string>>
}

async function fetchUrl(
  input: HttpFetchInput,
  settings: Settings,
  ctx: ToolContext,
): Promise<HttpFetchResult> {
  let url = parseUrl(input.url)
  const method = input.method ?? 'GET'
  let headers = { ...settings.headers, ...checkedHeaders(input.headers ?? {}) }
  const timeout = AbortSignal.timeout(settings.timeoutMs)
  const signal = AbortSignal.any([ctx.signal, timeout])
  const { Agent, request } = await import('undici')
  const pins = new Map<string, LookupAddress[]>()
  // One dispatcher per call: its lookup only knows the addresses this call has checked.
  const dispatcher = new Agent({ connect: { lookup: pinnedLookup(pins) } })
  try {
    for (let redirects = 0; ; redirects++) {
      pins.set(bareHost(url), await checkedAddresses(url, settings.policy, signal))
      const own = settings.credentials.get(url.origin)
      const sent = own ? { ...headers, ...own } : headers
      const response = await request(url, { dispatcher, method, headers: sent, signal }).catch(failed(url))
      const location = header(response.headers, 'location')
      if (REDIRECTS.has(response.statusCode) && location !== undefined) {
        discard(response.body)
        if (redirects >= settings.maxRedirects) {
          throw new Error(`too many redirects: ${url.href} redirects again after ${redirects} redirects`)
        }
        const next = parseUrl(location, url)
        if (next.origin !== url.origin) headers = withoutCredentials(headers)
        ctx.progress({ redirect: { from: url.href, to: next.href, status: response.statusCode } })
        url = next
        continue
      }
      const body =
        method === 'HEAD'
          ? { body: '', truncated: false }
          : await readBody(response, settings.maxBytes).catch(failed(url))
      return {
        url: url.href,
        status: response.statusCode,
        headers: keptHeaders(response.headers),
        contentType: header(response.headers, 'content-type'),
        ...body,
      }
    }
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? error
    if (timeout.aborted)
      throw new Error(`no complete response from ${url.href} within ${settings.timeoutMs} ms`)
    throw error
  } finally {
    await dispatcher.destroy().catch(() => {})
  }
}

/** Names the URL in a network error (the timeout and the run stopping get their own messages). */
function failed(url: URL): (error: Error) => never {
  return (error) => {
    const code = (error as NodeJS.ErrnoException).code
    throw new Error(
      `could not fetch ${url.href}: ${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}`,
    )
  }
}

function parseUrl(text: string, base?: URL): URL {
  let url: URL
  try {
    url = new URL(text, base)
  } catch {
    throw new Error(`not a valid URL: ${JSON.stringify(text)}`)
  }
  const where = base ? `a redirect from ${base.href} to ${url.href}` : url.href
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`only http: and https: URLs can be fetched, got ${url.protocol} (${where})`)
  }
  if (url.username || url.password) {
    throw new Error(
      `URLs with a user name or password are not fetched (${where}); send an authorization header`,
    )
  }
  if (blockedPort(url)) {
    throw new Error(
      `port ${url.port} is for another protocol than HTTP, and is not fetched (${where}), as browsers do not`,
    )
  }
  url.hash = ''
  return url
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.test(name)))
}

function keptHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const name of KEPT_HEADERS) {
    const value = header(headers, name)
    if (value !== undefined) kept[name] = value
  }
  return kept
}

function checkOptions(given: HttpFetchOptions): Settings {
  const options = knownOptions<HttpFetchOptions>('httpFetch', given, [
    'allowPrivate',
    'allowHosts',
    'maxBytes',
    'timeoutMs',
    'maxRedirects',
    'headers',
    'credentials',
  ])
  const fail = (message: string) => new BatonError('INVALID_DEFINITION', `httpFetch: ${message}`)
  checkBoolean('httpFetch', 'allowPrivate', options.allowPrivate)
  if (options.allowHosts !== undefined && !Array.isArray(options.allowHosts))
    throw fail(`allowHosts must be an array of host names or IP addresses, got ${typeof options.allowHosts}`)
  if (
    options.headers !== undefined &&
    (typeof options.headers !== 'object' ||
      options.headers === null ||
      Array.isArray(options.headers) ||
      Object.values(options.headers).some((value) => typeof value !== 'string'))
  )
    throw fail('headers must be an object of header names to string values')
  let headers: Record<string, string>
  try {
    headers = checkedHeaders(options.headers ?? {})
  } catch (error) {
    throw fail(`headers: ${(error as Error).message}`)
  }
  const secret = Object.keys(headers).find((name) => CREDENTIAL_HEADERS.test(name))
  if (secret)
    throw fail(
      `headers.${secret} would be sent to every URL the model asks for, an attacker's too; give it for the origins that need it: credentials: { "https://api.example.com": { "${secret}": "…" } }`,
    )
  const credentials = credentialsOf(options.credentials, fail)
  const maxRedirects = options.maxRedirects ?? 5
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
    throw fail(`maxRedirects must be a whole number of 0 or more, got ${maxRedirects}`)
  }
  const allowHosts = (options.allowHosts ?? []).map((entry) => {
    try {
      return normalizeHost(entry)
    } catch {
      throw fail(`allowHosts: not a host name or IP address: ${JSON.stringify(entry)}`)
    }
  })
  return {
    policy: { allowPrivate: options.allowPrivate === true, allowHosts },
    maxBytes: checkCount('httpFetch', 'maxBytes', options.maxBytes, 1024 * 1024, MAX_BYTES),
    timeoutMs: checkCount('httpFetch', 'timeoutMs', options.timeoutMs, 10_000, MAX_MS),
    maxRedirects,
    headers: { 'user-agent': `baton/${VERSION} (http_fetch)`, accept: '*/*', ...headers },
    credentials,
  }
}

/** The `credentials` option by origin, each key an http(s) origin and nothing more. */
function credentialsOf(
  given: HttpFetchOptions['credentials'],
  fail: (message: string) => Error,
): Map<string, Record<string, string>> {
  const byOrigin = new Map<string, Record<string, string>>()
  if (given === undefined) return byOrigin
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw fail(
      'credentials must be an object of origins to headers: { "https://api.example.com": { authorization: "…" } }',
    )
  for (const [key, headers] of Object.entries(given)) {
    let origin: URL | undefined
    try {
      origin = new URL(key)
    } catch {
      // Said below.
    }
    if (
      !origin ||
      (origin.protocol !== 'https:' && origin.protocol !== 'http:') ||
      `${origin.origin}/` !== origin.href.replace(/\/?$/, '/')
    )
      throw fail(
        `credentials: ${JSON.stringify(key)} is not an origin; write it as scheme://host[:port], e.g. "https://api.example.com"`,
      )
    if (
      typeof headers !== 'object' ||
      headers === null ||
      Array.isArray(headers) ||
      Object.values(headers).some((value) => typeof value !== 'string')
    )
      throw fail(`credentials["${key}"] must be an object of header names to string values`)
    try {
      byOrigin.set(origin.origin, checkedHeaders(headers))
    } catch (error) {
      throw fail(`credentials["${key}"]: ${(error as Error).message}`)
    }
  }
  return byOrigin
}
