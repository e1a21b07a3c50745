import type { McpAuthStore } from './store.js'

/** How Baton gets an access token for a streamable-HTTP MCP server. */
export type McpAuthGrant = 'authorization_code' | 'client_credentials' | 'jwt_bearer'

/** What `assertion` is asked for: the token a `jwt_bearer` grant exchanges. */
export interface McpAssertionTarget {
  /** The authorization server's issuer: the assertion's audience. */
  audience: string
  /** The MCP server, as its protected-resource metadata names it. */
  resource: string | undefined
  scope: string | undefined
}

/**
 * The `auth` of an HTTP server: OAuth 2.1 as the MCP authorization spec describes it, done by the
 * MCP SDK (discovery, registration, PKCE, refresh, step-up). Without `auth`, Baton uses the login
 * `baton mcp login <url>` stored, if any. Secrets given here never appear in errors, events or
 * transcripts.
 *
 * @example
 * // An agent that runs unattended, with a client of its own:
 * await mcpTools({
 *   url: 'https://mcp.example.com/mcp',
 *   auth: { grant: 'client_credentials', clientId: 'reporting-agent', clientSecret: process.env.MCP_SECRET },
 * })
 */
export interface McpAuth {
  /**
   * `'authorization_code'` (default): a user logs in, with `baton mcp login` beforehand or
   * `authorize` during connect; tokens are refreshed as they expire. `'client_credentials'`: the
   * client authenticates as itself (`clientId` with `clientSecret` or `privateKey`), no user.
   * `'jwt_bearer'`: an assertion from `assertion` is exchanged for a token (RFC 7523; e.g. an
   * ID-JAG of enterprise-managed authorization).
   */
  grant?: McpAuthGrant
  /**
   * A client registered with the authorization server beforehand. Without it, Baton uses
   * `clientMetadataUrl` when the server accepts URLs as client ids, else registers itself
   * (dynamic client registration).
   */
  clientId?: string
  /** The secret of `clientId`. */
  clientSecret?: string
  /**
   * A private key, PKCS#8 PEM or a JWK object, that signs a JWT to authenticate `clientId`
   * (private_key_jwt). The algorithm follows the key: ES256/384/512, RS256, EdDSA (or the JWK's `alg`).
   */
  privateKey?: string | Record<string, unknown>
  /** An https URL where your client's metadata document is published, used as the client id where supported. */
  clientMetadataUrl?: string
  /** The scope to ask for when the server names none (its 401 and its metadata come first). */
  scope?: string
  /** The issuer of the authorization server `clientId` belongs to: its credentials go to no other. */
  issuer?: string
  /**
   * Where logins are kept. Default: the file `$BATON_HOME/mcp-auth.json` (`~/.baton/…`), mode
   * 0600, for `authorization_code`; memory for the other grants.
   */
  store?: McpAuthStore
  /**
   * Lets a user log in during connect: called with the URL to open in a browser, while Baton
   * waits on 127.0.0.1 for the redirect. Without it, a server that needs a login fails with the
   * command to run.
   */
  authorize?: (authorizationUrl: URL) => void | Promise<void>
  /**
   * The redirect URI registered for `clientId`: `http://127.0.0.1:<port>/<path>` (or localhost).
   * Default: the one Baton registered before, else a free port's `/callback`.
   */
  redirectUrl?: string
  /** For `jwt_bearer`: the assertion to exchange for this authorization server and MCP server. */
  assertion?: (target: McpAssertionTarget) => string | Promise<string>
}
