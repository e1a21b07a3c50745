/**
 * A fake protected MCP server and its authorization server in one, on 127.0.0.1 and a free port:
 * protected-resource and authorization-server metadata, dynamic client registration, an
 * authorization endpoint that approves at once (PKCE S256 checked), a token endpoint
 * (authorization_code, refresh_token with rotation, client_credentials with a client secret),
 * and the MCP endpoint (the SDK's server, tool `whoami`) behind bearer tokens. It counts what it is
 * asked and keeps every secret it handed out, so tests can look for them where they must not be.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { readBody } from './processes.js'

export interface FakeAuthServer {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string
  readonly counts: {
    registrations: number
    authorizations: number
    tokens: Record<string, number>
    mcp: number
    unauthorized: number
  }
  /** Every token, code and secret handed out. */
  readonly secrets: string[]
  /** The scopes the last authorization request asked for. */
  readonly lastScope: string | undefined
  /** Makes every access token handed out so far expire. */
  expireAccessTokens(): void
  /** Makes every refresh token handed out so far invalid. */
  revokeRefreshTokens(): void
  close(): Promise<void>
}

export interface FakeAuthOptions {
  /** Access tokens' `expires_in`, seconds (default 3600). */
  expiresIn?: number
  /** Clients known beforehand, for client_credentials: id → secret. */
  clients?: Record<string, string>
  /** A token endpoint that fails quotes the request's secrets back in its error body. */
  echoSecretsOnError?: boolean
  /** Delay before the token endpoint answers a refresh, ms (lets parallel refreshes overlap). */
  refreshDelayMs?: number
}

interface Token {
  client: string
  scope: string
  expired: boolean
}

export async function startFakeAuthServer(options: FakeAuthOptions = {}): Promise<FakeAuthServer> {
  const counts = {
    registrations: 0,
    authorizations: 0,
    tokens: {} as Record<string, number>,
    mcp: 0,
    unauthorized: 0,
  }
  const secrets: string[] = []
  const clients = new Map<string, { redirectUris: string[]; secret?: string }>()
  for (const [id, secret] of Object.entries(options.clients ?? {}))
    clients.set(id, { redirectUris: [], secret })
  const codes = new Map<string, { client: string; challenge: string; redirectUri: string; scope: string }>()
  const access = new Map<string, Token>()
  const refresh = new Map<string, Token>()
  let lastScope: string | undefined
  let base = ''
  const mint = (prefix: string) => {
    const value = `${prefix}-${randomBytes(12).toString('hex')}`
    secrets.push(value)
    return value
  }
  const issue = (client: string, scope: string, withRefresh: boolean) => {
    const accessToken = mint('at')
    access.set(accessToken, { client, scope, expired: false })
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: options.expiresIn ?? 3600,
      ...(scope ? { scope } : {}),
    }
    if (withRefresh) {
      const refreshToken = mint('rt')
      refresh.set(refreshToken, { client, scope, expired: false })
      body.refresh_token = refreshToken
    }
    return body
  }

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  const tokenEndpoint = async (req: IncomingMessage, res: ServerResponse, form: URLSearchParams) => {
    const grant = form.get('grant_type') ?? ''
    counts.tokens[grant] = (counts.tokens[grant] ?? 0) + 1
    const fail = (error: string) =>
      json(res, 400, {
        error,
        error_description: options.echoSecretsOnError ? `bad request ${form.toString()}` : 'refused',
      })
    if (grant === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '')
      codes.delete(form.get('code') ?? '')
      const verifier = form.get('code_verifier') ?? ''
      const challenge = createHash('sha256').update(verifier).digest('base64url')
      if (!code || code.challenge !== challenge || code.redirectUri !== form.get('redirect_uri'))
        return fail('invalid_grant')
      return json(res, 200, issue(code.client, code.scope, true))
    }
    if (grant === 'refresh_token') {
      if (options.refreshDelayMs) await new Promise((r) => setTimeout(r, options.refreshDelayMs))
      const old = refresh.get(form.get('refresh_token') ?? '')
      // Rotation: a refresh token works once.
      refresh.delete(form.get('refresh_token') ?? '')
      if (!old || old.expired) return fail('invalid_grant')
      return json(res, 200, issue(old.client, old.scope, true))
    }
    if (grant === 'client_credentials') {
      const basic = req.headers.authorization?.match(/^Basic (.+)$/)?.[1]
      const [id, secret] = basic
        ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
        : [form.get('client_id'), form.get('client_secret')]
      if (!id || clients.get(id)?.secret === undefined || clients.get(id)?.secret !== secret)
        return json(res, 401, {
          error: 'invalid_client',
          error_description: options.echoSecretsOnError ? `bad secret ${secret}` : 'refused',
        })
      return json(res, 200, issue(id, form.get('scope') ?? '', false))
    }
    return fail('unsupported_grant_type')
  }

  const mcpEndpoint = async (req: IncomingMessage, res: ServerResponse) => {
    counts.mcp++
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1]
    const token = bearer === undefined ? undefined : access.get(bearer)
    if (!token || token.expired) {
      counts.unauthorized++
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer error="invalid_token", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
      })
      res.end(
        JSON.stringify({
          error: 'invalid_token',
          error_description: `no valid token (got ${bearer ?? 'none'})`,
        }),
      )
      return
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end()
      return
    }
    const server = new McpServer({ name: 'fake-protected', version: '1.0.0' })
    server.registerTool('whoami', { description: 'Says which client the token belongs to.' }, async () => ({
      content: [{ type: 'text', text: `client ${token.client}, scope ${token.scope || '(none)'}` }],
    }))
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    })
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    await server.connect(transport)
    await transport.handleRequest(req, res, JSON.parse(await readBody(req)))
  }

  const http = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base)
    try {
      if (url.pathname === '/mcp') return await mcpEndpoint(req, res)
      if (url.pathname === '/.well-known/oauth-protected-resource/mcp')
        return json(res, 200, {
          resource: `${base}/mcp`,
          authorization_servers: [base],
          scopes_supported: ['tools'],
        })
      if (url.pathname === '/.well-known/oauth-authorization-server')
        return json(res, 200, {
          issuer: base,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          registration_endpoint: `${base}/register`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
          scopes_supported: ['tools'],
        })
      if (url.pathname === '/register' && req.method === 'POST') {
        counts.registrations++
        const body = JSON.parse(await readBody(req)) as { redirect_uris?: string[] }
        const id = `client-${counts.registrations}`
        clients.set(id, { redirectUris: body.redirect_uris ?? [] })
        return json(res, 201, { ...body, client_id: id, token_endpoint_auth_method: 'none' })
      }
      if (url.pathname === '/authorize') {
        counts.authorizations++
        const q = url.searchParams
        const client = clients.get(q.get('client_id') ?? '')
        const redirectUri = q.get('redirect_uri') ?? ''
        if (!client?.redirectUris.includes(redirectUri) || q.get('code_challenge_method') !== 'S256')
          return json(res, 400, { error: 'invalid_request' })
        lastScope = q.get('scope') ?? undefined
        const code = mint('code')
        codes.set(code, {
          client: q.get('client_id')!,
          challenge: q.get('code_challenge') ?? '',
          redirectUri,
          scope: q.get('scope') ?? '',
        })
        const back = new URL(redirectUri)
        back.searchParams.set('code', code)
        if (q.get('state')) back.searchParams.set('state', q.get('state')!)
        res.writeHead(302, { location: back.href }).end()
        return
      }
      if (url.pathname === '/token' && req.method === 'POST')
        return await tokenEndpoint(req, res, new URLSearchParams(await readBody(req)))
      res.writeHead(404).end()
    } catch (error) {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(error) })
    }
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  return {
    url: `${base}/mcp`,
    counts,
    secrets,
    get lastScope() {
      return lastScope
    },
    expireAccessTokens() {
      for (const token of access.values()) token.expired = true
    },
    revokeRefreshTokens() {
      for (const token of refresh.values()) token.expired = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  }
}

/** A browser that approves at once: follows the authorization URL to its redirect, as a user's would. */
export async function approve(authorizationUrl: URL): Promise<void> {
  const answer = await fetch(authorizationUrl, { redirect: 'manual' })
  const location = answer.headers.get('location')
  if (!location) throw new Error(`the authorization server did not redirect (HTTP ${answer.status})`)
  await (await fetch(location)).text()
}
