/**
 * The MCP SDK's `OAuthClientProvider`, on top of a Baton store: the SDK runs the OAuth flows
 * (discovery, registration, PKCE, refresh, step-up); this keeps what they produce, knows which
 * grant to use, and runs the interactive part of a login when the caller allowed one.
 */
import { randomBytes } from 'node:crypto'
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import { BatonError } from '../../errors/index.js'
import { VERSION } from '../../version.js'
import { listenForRedirect, type Redirect } from './loopback.js'
import type { McpAuthEntry, McpAuthStore } from './store.js'
import type { McpAuth } from './types.js'

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** Thrown into the SDK's flow when a user must log in and nobody can: connect turns it into one line. */
export class LoginNeeded extends Error {
  constructor(readonly hadLogin: boolean) {
    super('a login is needed')
    this.name = 'LoginNeeded'
  }
}

export interface ProviderOptions {
  /** The store key: the server URL without query. */
  key: string
  auth: McpAuth
  store: McpAuthStore
  /** For `authorization_code`: where the browser comes back to. */
  redirectUrl: string | undefined
  /** Ask for this scope instead of the one the server names (`baton mcp login --scope`). */
  scopeOverride?: string
  /** Start without the stored tokens (a new login), keeping the registration and discovery. */
  fresh?: boolean
  /**
   * Signs the client's assertion (private-key JWT), when `auth` gives a `privateKey`: the SDK's
   * `createPrivateKeyJwtAuth`, made by the caller, which loads the SDK on first use.
   */
  addClientAuthentication?: OAuthClientProvider['addClientAuthentication']
}

export class BatonAuthProvider implements OAuthClientProvider {
  /** Every secret this provider has seen, for scrubbing messages. */
  readonly secrets = new Set<string>()
  /** Whether an interactive login ran (and brought a code to exchange). */
  authorized = false
  /** How many SDK auth flows began: a send that saw this grow failed while authorizing. */
  flows = 0
  readonly clientMetadataUrl: string | undefined
  readonly addClientAuthentication: OAuthClientProvider['addClientAuthentication']
  readonly saveClientInformation: OAuthClientProvider['saveClientInformation']
  private entry: Promise<McpAuthEntry> | undefined
  private hadTokens = false
  private unreadable: unknown
  private verifier: string | undefined
  private expectedState: string | undefined
  private code: string | undefined
  private waiting: Redirect | undefined
  private readonly grant: NonNullable<McpAuth['grant']>

  constructor(private readonly o: ProviderOptions) {
    const { auth } = o
    this.grant = auth.grant ?? 'authorization_code'
    this.clientMetadataUrl = auth.clientMetadataUrl
    for (const secret of [
      auth.clientSecret,
      typeof auth.privateKey === 'string' ? auth.privateKey : undefined,
    ])
      if (secret) this.secrets.add(secret)
    if (typeof auth.privateKey === 'object' && typeof auth.privateKey.d === 'string')
      this.secrets.add(auth.privateKey.d)
    this.addClientAuthentication = o.addClientAuthentication
    // A client given in the options is never replaced by a registration: without this method the
    // SDK refuses to send its credentials to an authorization server other than `issuer`.
    this.saveClientInformation =
      auth.clientId === undefined
        ? (info) =>
            this.update((e) => {
              e.client = info
            })
        : undefined
  }

  get redirectUrl(): string | undefined {
    return this.grant === 'authorization_code' ? this.o.redirectUrl : undefined
  }

  get clientMetadata(): OAuthClientMetadata {
    const code = this.grant === 'authorization_code'
    return {
      client_name: 'Baton',
      redirect_uris: code && this.o.redirectUrl ? [this.o.redirectUrl] : [],
      grant_types: code
        ? ['authorization_code', 'refresh_token']
        : [this.grant === 'jwt_bearer' ? JWT_BEARER : this.grant],
      response_types: code ? ['code'] : [],
      token_endpoint_auth_method: this.o.auth.privateKey
        ? 'private_key_jwt'
        : this.o.auth.clientSecret
          ? 'client_secret_basic'
          : 'none',
      software_id: 'baton',
      software_version: VERSION,
      ...(this.o.auth.scope ? { scope: this.o.auth.scope } : {}),
    }
  }

  /** The first call of every SDK flow: where Baton refuses early when nothing can authorize. */
  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    this.flows++
    const entry = await this.load()
    if (this.unreadable !== undefined) throw this.unreadable
    if (this.grant === 'authorization_code' && !this.o.auth.authorize && !entry.tokens?.refresh_token)
      throw new LoginNeeded(this.hadTokens)
    return entry.discovery
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    await this.update((e) => {
      e.discovery = state
    })
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const { clientId, clientSecret, issuer } = this.o.auth
    if (clientId === undefined) return (await this.load()).client
    return {
      client_id: clientId,
      ...(clientSecret ? { client_secret: clientSecret } : {}),
      ...(issuer ? { issuer } : {}),
    }
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    return (await this.load()).tokens
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    for (const secret of [tokens.access_token, tokens.refresh_token, tokens.id_token])
      if (secret) this.secrets.add(secret)
    await this.update((e) => {
      e.tokens = tokens
    })
  }

  state(): string {
    this.expectedState = randomBytes(16).toString('base64url')
    return this.expectedState
  }

  saveCodeVerifier(verifier: string): void {
    this.secrets.add(verifier)
    this.verifier = verifier
  }

  codeVerifier(): string {
    if (!this.verifier) throw new BatonError('MCP_AUTH', 'no login is under way (no PKCE code verifier)')
    return this.verifier
  }

  /** Opens the login through `authorize`, then waits on the loopback redirect for the code. */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const { authorize } = this.o.auth
    if (!authorize || !this.o.redirectUrl) throw new LoginNeeded(this.hadTokens)
    if (this.waiting) throw new BatonError('MCP_AUTH', 'a login is already under way for this server')
    const url = await this.adjustScope(authorizationUrl)
    const redirect = await listenForRedirect(new URL(this.o.redirectUrl), this.expectedState)
    this.waiting = redirect
    try {
      await authorize(url)
      this.code = await redirect.code
      this.secrets.add(this.code)
      this.authorized = true
    } finally {
      this.waiting = undefined
      await redirect.close()
    }
  }

  /** The code an interactive login brought back, once (for the transport's `finishAuth`). */
  takeCode(): string | undefined {
    const code = this.code
    this.code = undefined
    return code
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'verifier') {
      this.verifier = undefined
      return
    }
    await this.update((e) => {
      if (scope === 'all' || scope === 'tokens') delete e.tokens
      if (scope === 'all' || scope === 'client') delete e.client
      if (scope === 'all' || scope === 'discovery') delete e.discovery
    })
  }

  async prepareTokenRequest(scope?: string): Promise<URLSearchParams | undefined> {
    if (this.grant === 'authorization_code') return undefined
    const params = new URLSearchParams({ grant_type: this.grant === 'jwt_bearer' ? JWT_BEARER : this.grant })
    if (this.grant === 'jwt_bearer') {
      const discovery = (await this.load()).discovery
      const audience = discovery?.authorizationServerMetadata?.issuer ?? discovery?.authorizationServerUrl
      if (!audience)
        throw new BatonError('MCP_AUTH', 'no authorization server was found for the jwt_bearer grant')
      const assertion = await this.o.auth.assertion!({
        audience,
        resource: discovery?.resourceMetadata?.resource,
        scope,
      })
      if (typeof assertion !== 'string' || assertion === '')
        throw new BatonError('MCP_AUTH', 'auth.assertion() must return the assertion, a non-empty string')
      this.secrets.add(assertion)
      params.set('assertion', assertion)
    }
    if (scope) params.set('scope', scope)
    return params
  }

  /** Stops waiting for a browser (the connection is closing). */
  async dispose(): Promise<void> {
    await this.waiting?.close()
  }

  /**
   * The scope `baton mcp login --scope` asks for, and `offline_access` when the authorization
   * server offers it: an agent that runs for hours wants a refresh token.
   */
  private async adjustScope(url: URL): Promise<URL> {
    const out = new URL(url)
    const scopes = new Set(
      (this.o.scopeOverride ?? out.searchParams.get('scope') ?? '').split(' ').filter(Boolean),
    )
    const offered = (await this.load()).discovery?.authorizationServerMetadata?.scopes_supported ?? []
    if (offered.includes('offline_access') && scopes.size > 0) scopes.add('offline_access')
    if (scopes.size > 0) out.searchParams.set('scope', [...scopes].join(' '))
    if (scopes.has('offline_access') && !out.searchParams.has('prompt'))
      out.searchParams.set('prompt', 'consent')
    return out
  }

  private load(): Promise<McpAuthEntry> {
    // A store that cannot be read matters only to a server that asks for authorization.
    this.entry ??= Promise.resolve()
      .then(() => this.o.store.get(this.o.key))
      .catch((error: unknown) => {
        this.unreadable = error
        return undefined
      })
      .then((stored) => {
        const entry: McpAuthEntry = { ...(stored ?? {}) }
        if (this.o.fresh) delete entry.tokens
        this.hadTokens = entry.tokens !== undefined
        for (const secret of [
          entry.tokens?.access_token,
          entry.tokens?.refresh_token,
          entry.tokens?.id_token,
          entry.client?.client_secret,
        ])
          if (secret) this.secrets.add(secret)
        return entry
      })
    return this.entry
  }

  private async update(change: (entry: McpAuthEntry) => void): Promise<void> {
    const entry = await this.load()
    change(entry)
    if (entry.client?.client_secret) this.secrets.add(entry.client.client_secret)
    await this.o.store.set(this.o.key, { ...entry })
  }
}
