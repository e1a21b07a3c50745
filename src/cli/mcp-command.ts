/**
 * `baton mcp login <url>` and `baton mcp logout <url>`: a user's login to an MCP server that
 * needs one, kept for the runs whose agents use it (`mcpTools({ url })`).
 */
import { BatonError } from '../errors/index.js'
import { UsageError } from './args.js'

export interface McpArgs {
  action: 'login' | 'logout'
  url: string
  scope: string | undefined
  clientId: string | undefined
  redirectUrl: string | undefined
}

const FLAGS = ['--scope', '--client-id', '--redirect-url'] as const

/** Parses `baton mcp login <url> [--scope s] [--client-id id] [--redirect-url u]` and `baton mcp logout <url>`. */
export function parseMcpArgs(argv: readonly string[]): McpArgs {
  const [action, ...rest] = argv
  if (action !== 'login' && action !== 'logout')
    throw new UsageError(
      action === undefined
        ? 'missing what to do: baton mcp login <url> or baton mcp logout <url>'
        : `unknown "baton mcp ${action}"; expected "login" or "logout"`,
    )
  const args: McpArgs = { action, url: '', scope: undefined, clientId: undefined, redirectUrl: undefined }
  const urls: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === '--debug') continue
    if (!arg.startsWith('--')) {
      urls.push(arg)
      continue
    }
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg]
    if (!(FLAGS as readonly string[]).includes(flag!) || action === 'logout')
      throw new UsageError(
        `unknown flag ${flag} for "baton mcp ${action}"${action === 'login' ? `; expected ${FLAGS.join(', ')}` : ''}`,
      )
    const value = inline ?? rest[++i]
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`)
    if (flag === '--scope') args.scope = value
    else if (flag === '--client-id') args.clientId = value
    else args.redirectUrl = value
  }
  if (urls.length !== 1)
    throw new UsageError(
      urls.length === 0
        ? `missing the MCP server's URL: baton mcp ${action} <url>`
        : `one URL at a time: baton mcp ${action} <url> (got ${urls.length})`,
    )
  let url: URL | undefined
  try {
    url = new URL(urls[0]!)
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new UsageError(
      `expected the MCP server's http(s) URL, e.g. https://mcp.example.com/mcp, got ${urls[0]}`,
    )
  args.url = url.href
  return args
}

interface Output {
  write(text: string): unknown
}

/** Runs the login (or logout): 0 when done, 1 when the login failed (said in one line on stderr). */
export async function mcpCommand(
  args: McpArgs,
  io: { out: Output; err: Output; env: Readonly<Record<string, string | undefined>>; signal: AbortSignal },
): Promise<number> {
  const { defaultAuthFile, fileAuthStore, mcpLogin } = await import('../mcp/auth/index.js')
  const { serverKey } = await import('../mcp/auth/store.js')
  const store = fileAuthStore(defaultAuthFile(io.env))
  if (args.action === 'logout') {
    const had = (await store.get(serverKey(args.url))) !== undefined
    await store.delete(serverKey(args.url))
    io.out.write(
      had
        ? `baton: logged out of ${serverKey(args.url)} (removed from ${store.path})\n`
        : `baton: no login to ${serverKey(args.url)} in ${store.path}\n`,
    )
    return 0
  }
  const clientSecret = io.env.BATON_MCP_CLIENT_SECRET
  try {
    const result = await mcpLogin(args.url, {
      store,
      signal: io.signal,
      authorize: (url) => {
        io.err.write(
          `baton: open this URL in a browser to log in to ${serverKey(args.url)} (waiting for it on 127.0.0.1):\n\n  ${url.href}\n\n`,
        )
      },
      ...(args.scope ? { scope: args.scope } : {}),
      ...(args.clientId ? { clientId: args.clientId } : {}),
      ...(args.clientId && clientSecret ? { clientSecret } : {}),
      ...(args.redirectUrl ? { redirectUrl: args.redirectUrl } : {}),
    })
    const server = `${result.server.name} ${result.server.version}`
    if (!result.loggedIn) {
      io.out.write(`baton: ${result.url} (${server}) let Baton in without a login; nothing to keep\n`)
      return 0
    }
    const scope = result.scope ? `, scope "${result.scope}"` : ''
    const refresh = result.refreshable ? '' : ' (no refresh token: log in again when it expires)'
    io.out.write(
      `baton: logged in to ${result.url} (${server})${scope}; tokens kept in ${store.path}${refresh}\n`,
    )
    return 0
  } catch (error) {
    // Option errors name the library's fields: here they are flags.
    if (error instanceof BatonError && error.code === 'INVALID_OPTIONS')
      throw new UsageError(
        error.message
          .replace(/^mcpTools: /, '')
          .replace('server.auth.clientId', '--client-id')
          .replace('server.auth.redirectUrl', '--redirect-url')
          .replace('server.auth.scope', '--scope'),
      )
    if (!(error instanceof BatonError) || error.code === 'INTERNAL') throw error
    io.err.write(`baton: ${error.message}\n`)
    return 1
  }
}

export const MCP_HELP = `baton mcp — log in to MCP servers that need authorization

Usage:
  baton mcp login <url> [--scope <scopes>] [--client-id <id>] [--redirect-url <url>]
  baton mcp logout <url>

login prints a URL to open in a browser and waits on 127.0.0.1 for the authorization server
to send the browser back; it exchanges the code (OAuth 2.1 with PKCE) and keeps the tokens
for the runs: an agent whose tools come from mcpTools({ url }) then connects with them, and
they are refreshed as they expire. Without --client-id, Baton registers itself with the
authorization server (or uses its client metadata document where one is given in code).
Logging in again replaces the login.

The tokens are kept in $BATON_HOME/mcp-auth.json (default ~/.baton/mcp-auth.json), a file
only you can read, by the server's URL. logout removes a server's login from it.

Flags:
  --scope <scopes>       ask for these scopes (space-separated, quoted) instead of those the
                         server names
  --client-id <id>       a client registered beforehand; its secret, if it has one, comes from
                         BATON_MCP_CLIENT_SECRET (and the runs need auth: { clientId, clientSecret })
  --redirect-url <url>   the redirect URI registered for --client-id, http://127.0.0.1:<port>/<path>
                         (default: a free port's /callback)
  --debug                show stack traces

Examples:
  baton mcp login https://mcp.example.com/mcp
  baton mcp login https://mcp.example.com/mcp --scope "files:read files:write"
  baton mcp logout https://mcp.example.com/mcp

Exit codes: 0 logged in (or out), 1 the login failed, 2 usage error.
`
