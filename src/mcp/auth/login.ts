/**
 * A login to an MCP server ahead of the runs that use it (`baton mcp login`): the authorization
 * code flow with PKCE, through the browser, its tokens kept in the store for `mcpTools`.
 */
import { MAX_TIMER_MS } from '../../effects/clock.js'
import { BatonError } from '../../errors/index.js'
import { describe } from '../../schema/index.js'
import { VERSION } from '../../version.js'
import { checkServer } from '../check-options.js'
import type { McpAuthStore } from './store.js'
import { fileAuthStore, serverKey } from './store.js'

export interface McpLoginOptions {
  /** Shows the user the URL to open (print it, open a browser); Baton waits on 127.0.0.1 for the redirect. */
  authorize: (authorizationUrl: URL) => void | Promise<void>
  /** Ask for this scope instead of the one the server names. */
  scope?: string
  /** A client registered beforehand (else: dynamic registration, or `clientMetadataUrl`). */
  clientId?: string
  clientSecret?: string
  clientMetadataUrl?: string
  /** The redirect URI registered for `clientId` (default: a free port on 127.0.0.1). */
  redirectUrl?: string
  /** Default: the file store (`$BATON_HOME/mcp-auth.json`, else `~/.baton/mcp-auth.json`). */
  store?: McpAuthStore
  /** How long the user has to log in. Default 300,000 (5 minutes). */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface McpLoginResult {
  /** The server URL the login is kept under (no query). */
  url: string
  /** False when the server let Baton in without asking for a login. */
  loggedIn: boolean
  server: { name: string; version: string }
  /** The scope the authorization server granted, when it said. */
  scope?: string
  /** Whether a refresh token came with it (runs can then outlive the access token). */
  refreshable: boolean
}

/**
 * Logs in to an MCP server and keeps the tokens, replacing an earlier login to it.
 *
 * @example
 * await mcpLogin('https://mcp.example.com/mcp', { authorize: (url) => console.log(`Open ${url}`) })
 */
export async function mcpLogin(url: string | URL, options: McpLoginOptions): Promise<McpLoginResult> {
  const { authorize, scope, clientId, clientSecret, clientMetadataUrl, redirectUrl } = options
  const store = options.store ?? fileAuthStore()
  const auth = {
    authorize,
    store,
    ...(scope ? { scope } : {}),
    ...(clientId ? { clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    ...(clientMetadataUrl ? { clientMetadataUrl } : {}),
    ...(redirectUrl ? { redirectUrl } : {}),
  }
  const server = { url, auth }
  checkServer(server)
  const { timeoutMs } = options
  // The MCP client arms one timer with it: Node fires one it cannot keep (NaN, past 2^31 - 1 ms) at once.
  if (
    timeoutMs !== undefined &&
    !(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)
  )
    throw new BatonError(
      'INVALID_OPTIONS',
      `mcpLogin: timeoutMs must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${describe(timeoutMs)}`,
      { details: { field: 'timeoutMs' } },
    )
  const [{ httpTransport }, { Client }] = await Promise.all([
    import('./http-transport.js'),
    import('@modelcontextprotocol/sdk/client/index.js'),
  ])
  const http = await httpTransport(server, { fresh: true, ...(scope ? { scopeOverride: scope } : {}) })
  const client = new Client({ name: 'baton', version: VERSION })
  client.onerror = () => {}
  try {
    await client.connect(http.transport, {
      timeout: options.timeoutMs ?? 300_000,
      ...(options.signal ? { signal: options.signal } : {}),
    })
  } catch (error) {
    if (error instanceof BatonError) throw error
    const cause = (error as { cause?: unknown }).cause
    const code = (cause as { code?: unknown } | undefined)?.code
    const why =
      cause instanceof Error
        ? `${(error as Error).message}: ${typeof code === 'string' ? `${code}: ` : ''}${cause.message}`
        : (error as Error).message
    throw new BatonError('MCP_AUTH', `could not log in to the MCP server ${http.label}: ${why}`, {
      cause: error,
    })
  } finally {
    await http.dispose()
    await client.close().catch(() => {})
  }
  const key = serverKey(url)
  const entry = await store.get(key)
  // A client given by id is kept without its secret, so runs can refresh a public client's tokens.
  if (clientId && entry?.tokens) {
    const issuer = entry.discovery?.authorizationServerUrl
    await store.set(key, { ...entry, client: { client_id: clientId, ...(issuer ? { issuer } : {}) } })
  }
  const info = client.getServerVersion()
  return {
    url: key,
    loggedIn: http.provider?.authorized === true,
    server: { name: info?.name ?? 'unknown', version: info?.version ?? 'unknown' },
    ...(entry?.tokens?.scope ? { scope: entry.tokens.scope } : {}),
    refreshable: entry?.tokens?.refresh_token !== undefined,
  }
}
