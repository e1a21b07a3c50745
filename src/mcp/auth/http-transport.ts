/**
 * The streamable-HTTP transport with authorization: the SDK's transport and its `authProvider`,
 * plus what Baton adds around them: an interactive login finished in the same connect, refreshes
 * shared between parallel calls, and failures as one line with no secret in it.
 */
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { FetchLike, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { BatonError } from '../../errors/index.js'
import { bodyExcerpt, HttpStatusError } from '../http-error.js'
import { checkAuth, keyAlgorithm, pkcs8 } from './check-auth.js'
import { freeRedirectUrl, isLoopbackRedirect } from './loopback.js'
import { BatonAuthProvider, LoginNeeded } from './provider.js'
import { scrub, scrubError } from './scrub.js'
import { fileAuthStore, type McpAuthStore, memoryAuthStore, serverKey } from './store.js'
import type { McpAuth } from './types.js'

/** An HTTP server as `mcpTools` takes it (the fields this file reads). */
export interface HttpServer {
  url: string | URL
  headers?: Record<string, string>
  auth?: McpAuth
}

export interface HttpTransport {
  transport: StreamableHTTPClientTransport
  /** The URL for messages: no credentials, query or fragment. */
  label: string
  /** Undefined when `headers` carry the Authorization and no `auth` was given. */
  provider: BatonAuthProvider | undefined
  /** Every secret known so far (tokens, client secrets, header values), for scrubbing. */
  secrets(): string[]
  /** Stops waiting for a browser, if a login is under way. */
  dispose(): Promise<void>
  /**
   * Forgets the session id and protocol version, so that the next request (an `initialize`)
   * starts a new session.
   */
  forgetSession(): void
}

/** Builds the transport for `server`, with its auth provider; `extra` is for `baton mcp login`. */
export async function httpTransport(
  server: HttpServer,
  extra: { scopeOverride?: string; fresh?: boolean } = {},
): Promise<HttpTransport> {
  const url = new URL(server.url)
  const label = `${url.origin}${url.pathname}`
  const headers = server.headers ?? {}
  const ownAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')
  let provider: BatonAuthProvider | undefined
  if (server.auth !== undefined || !ownAuthorization) {
    const auth = server.auth ?? {}
    checkAuth(auth)
    const grant = auth.grant ?? 'authorization_code'
    // A login is kept on disk; tokens a machine grant gets again in one request are not.
    const store = auth.store ?? (grant === 'authorization_code' ? fileAuthStore() : memoryAuthStore())
    const key = serverKey(url)
    const privateKey = auth.privateKey
    // The MCP SDK loads here, on first use (as connect() loads it): never with Baton.
    const addClientAuthentication =
      privateKey === undefined || auth.clientId === undefined
        ? undefined
        : (await import('@modelcontextprotocol/sdk/client/auth-extensions.js')).createPrivateKeyJwtAuth({
            issuer: auth.clientId,
            subject: auth.clientId,
            privateKey: typeof privateKey === 'string' ? pkcs8(privateKey) : privateKey,
            alg: keyAlgorithm(privateKey),
          })
    provider = new BatonAuthProvider({
      ...(addClientAuthentication ? { addClientAuthentication } : {}),
      key,
      auth,
      store,
      redirectUrl: grant === 'authorization_code' ? await redirectFor(auth, store, key) : undefined,
      ...(extra.scopeOverride ? { scopeOverride: extra.scopeOverride } : {}),
      ...(extra.fresh ? { fresh: true } : {}),
    })
  }
  const auth = provider
  // A header's value, and its credential without the scheme (`Bearer <token>`).
  const headerSecrets = Object.values(headers).flatMap((value) => [value, ...value.split(/\s+/).slice(1)])
  const secrets = () => [...headerSecrets, ...(auth?.secrets ?? [])]

  const { StreamableHTTPClientTransport, StreamableHTTPError } = await import(
    '@modelcontextprotocol/sdk/client/streamableHttp.js'
  )
  class AuthorizingTransport extends StreamableHTTPClientTransport {
    override async send(
      message: JSONRPCMessage | JSONRPCMessage[],
      options?: TransportSendOptions,
    ): Promise<void> {
      const flows = auth?.flows ?? 0
      const session = this.sessionId
      try {
        try {
          return await super.send(message, options)
        } catch (error) {
          // The login ran during this send: the SDK stops there; exchanging the code and
          // sending again is the rest of the same connect.
          const code = auth?.takeCode()
          if (code === undefined) throw error
          await this.finishAuth(code)
          return await super.send(message, options)
        }
      } catch (error) {
        throw failure(
          error,
          StreamableHTTPError,
          label,
          auth,
          auth !== undefined && auth.flows > flows,
          secrets(),
          session,
        )
      }
    }
  }
  const transport = new AuthorizingTransport(url, {
    ...(server.headers ? { requestInit: { headers: server.headers } } : {}),
    ...(auth ? { authProvider: auth as OAuthClientProvider, fetch: sharedRefreshes() } : {}),
  })
  // Errors the transport reports on its own (a failed SSE stream, a background re-auth) are
  // scrubbed before whoever listens sees them.
  let onerror: ((error: Error) => void) | undefined
  Object.defineProperty(transport, 'onerror', {
    get: () => (onerror ? (error: Error) => onerror?.(scrubError(error, secrets())) : undefined),
    set: (handler: ((error: Error) => void) | undefined) => {
      onerror = handler
    },
  })
  // The SDK keeps both in private fields and offers no way to clear them: a new `initialize` must
  // go without the session id the server no longer knows.
  const forgetSession = () => {
    const fields = transport as unknown as { _sessionId?: string; _protocolVersion?: string }
    fields._sessionId = undefined
    fields._protocolVersion = undefined
  }
  return { transport, label, provider, secrets, dispose: async () => auth?.dispose(), forgetSession }
}

/** The redirect URI of a login: the one given, else the loopback one registered before, else a free port. */
async function redirectFor(auth: McpAuth, store: McpAuthStore, key: string): Promise<string> {
  if (auth.redirectUrl) return auth.redirectUrl
  // Without `authorize` no browser comes back: a refresh or a failure never uses the URI.
  if (!auth.authorize) return 'http://127.0.0.1/callback'
  if (auth.clientId === undefined) {
    const stored = await Promise.resolve()
      .then(() => store.get(key))
      .catch(() => undefined)
    const client = stored?.client
    const registered = client && 'redirect_uris' in client ? client.redirect_uris : []
    const earlier = registered.find(loopback)
    if (earlier) return earlier
  }
  return freeRedirectUrl()
}

function loopback(url: string): boolean {
  try {
    return isLoopbackRedirect(new URL(url))
  } catch {
    return false
  }
}

/**
 * A fetch whose refresh-token requests are shared: parallel calls that all met an expired token
 * send one refresh, not one each (a rotating refresh token would fail the second).
 */
function sharedRefreshes(): FetchLike {
  const refreshes = new Map<string, Promise<Response>>()
  return (input, init) => {
    const body = init?.body
    const refresh = body instanceof URLSearchParams && body.get('grant_type') === 'refresh_token'
    if (!refresh) return globalThis.fetch(input, init)
    const key = body.get('refresh_token') ?? ''
    let shared = refreshes.get(key)
    if (!shared) {
      shared = globalThis.fetch(input, init)
      refreshes.set(key, shared)
      shared.catch(() => refreshes.delete(key))
    }
    return shared.then((response) => response.clone())
  }
}

/**
 * What a failed send becomes: an `MCP_AUTH` error in one line when authorization failed, an
 * `HttpStatusError` (the status and a short excerpt of the body) for another HTTP error status,
 * else the error scrubbed. `session`: the session id the request carried.
 */
function failure(
  error: unknown,
  HttpError: typeof StreamableHTTPError,
  label: string,
  provider: BatonAuthProvider | undefined,
  duringAuth: boolean,
  secrets: string[],
  session: string | undefined,
): unknown {
  scrubError(error, secrets)
  if (error instanceof BatonError || error instanceof HttpStatusError) return error
  const details = { server: label }
  if (error instanceof LoginNeeded) {
    const message = error.hadLogin
      ? `the login to the MCP server ${label} has expired and cannot be refreshed: run \`baton mcp login ${label}\` again, or give it auth: { authorize } to log in during connect`
      : `the MCP server ${label} needs authorization: run \`baton mcp login ${label}\`, or give it auth: { authorize } to log in during connect, or auth: { grant: 'client_credentials', clientId, clientSecret } for an agent with no user`
    return new BatonError('MCP_AUTH', message, { details: { ...details, reason: 'login_needed' } })
  }
  if (error instanceof HttpError && (error.code === 401 || error.code === 403)) {
    const status = `HTTP ${error.code}`
    const message = !provider
      ? `the MCP server ${label} refused the credentials in headers (${status})`
      : error.code === 401
        ? `the MCP server ${label} refused the token its authorization server gave (${status})`
        : `the MCP server ${label} refused access (${status}${/upscoping/.test(error.message) ? ', even with the scope it asked for' : ''})`
    return new BatonError('MCP_AUTH', message, { cause: error, details: { ...details, status: error.code } })
  }
  // The SDK's message quotes the whole body (`Error POSTing to endpoint: <html>…`).
  const status = error instanceof HttpError ? error.code : undefined
  const reported =
    status !== undefined && status >= 400
      ? new HttpStatusError(
          status,
          bodyExcerpt(
            (error as Error).message.replace(/^Streamable HTTP error: (Error POSTing to endpoint: )?/, ''),
          ),
          session,
        )
      : error
  if (duringAuth) {
    const why = scrub(reported instanceof Error ? reported.message : String(reported), secrets)
    return new BatonError('MCP_AUTH', `could not authorize with the MCP server ${label}: ${why}`, {
      cause: reported,
      details: { ...details, reason: 'oauth' },
    })
  }
  return reported
}
