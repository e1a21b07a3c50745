/**
 * Where MCP logins are kept: tokens, the client Baton registered, and what discovery found, per
 * server URL. The default is one JSON file only its user can read; any object with `get`, `set`
 * and `delete` will do instead (a secrets manager, a database row, memory).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import { BatonError } from '../../errors/index.js'

/** What Baton keeps for one MCP server. Every field is as the MCP SDK gave it. */
export interface McpAuthEntry {
  tokens?: OAuthTokens
  /** When `tokens` were saved (ms since the epoch): with `expires_in`, when the access token ends. */
  savedAt?: number
  /** The client Baton registered with the authorization server (dynamic registration, or a metadata URL). */
  client?: OAuthClientInformationMixed
  /** The authorization server and metadata found last time, so a refresh needs no discovery. */
  discovery?: OAuthDiscoveryState
}

/** Keeps logins by MCP server URL (`origin + pathname`). Methods may be sync or async. */
export interface McpAuthStore {
  get(serverUrl: string): McpAuthEntry | undefined | Promise<McpAuthEntry | undefined>
  set(serverUrl: string, entry: McpAuthEntry): void | Promise<void>
  delete(serverUrl: string): void | Promise<void>
}

const FILE_VERSION = 1

/** `$BATON_HOME/mcp-auth.json`, else `~/.baton/mcp-auth.json`. */
export function defaultAuthFile(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(env.BATON_HOME || join(homedir(), '.baton'), 'mcp-auth.json')
}

/** The key a server's login is kept under: its URL without query or fragment. */
export function serverKey(url: string | URL): string {
  const u = new URL(url)
  return `${u.origin}${u.pathname}`
}

/**
 * A store in one JSON file (default {@link defaultAuthFile}), written whole through a temporary
 * file created with mode 0600, in a directory created with mode 0700.
 *
 * @example
 * const github = await mcpTools({ url, auth: { store: fileAuthStore('/run/secrets/mcp.json') } })
 */
export function fileAuthStore(path: string = defaultAuthFile()): McpAuthStore & { readonly path: string } {
  // Writes from one process go one after the other; each reads the file again first, so a
  // login saved by another process meanwhile is kept.
  let queue: Promise<unknown> = Promise.resolve()
  const update = (change: (servers: Record<string, McpAuthEntry>) => void): Promise<void> => {
    const next = queue.then(async () => {
      const servers = await readServers(path)
      change(servers)
      await writeServers(path, servers)
    })
    queue = next.catch(() => {})
    return next
  }
  return {
    path,
    async get(serverUrl) {
      return (await readServers(path))[serverUrl]
    },
    set(serverUrl, entry) {
      return update((servers) => {
        servers[serverUrl] = entry
      })
    },
    delete(serverUrl) {
      return update((servers) => {
        delete servers[serverUrl]
      })
    },
  }
}

/** A store that lives as long as the object (nothing is written anywhere). */
export function memoryAuthStore(): McpAuthStore {
  const entries = new Map<string, McpAuthEntry>()
  return {
    get: (serverUrl) => entries.get(serverUrl),
    set: (serverUrl, entry) => void entries.set(serverUrl, entry),
    delete: (serverUrl) => void entries.delete(serverUrl),
  }
}

async function readServers(path: string): Promise<Record<string, McpAuthEntry>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new BatonError('MCP_AUTH', `cannot read the MCP login file ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  // Never quote the file: it holds tokens.
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {}
  const servers = (data as { servers?: unknown } | undefined)?.servers
  if (
    typeof data !== 'object' ||
    data === null ||
    (data as { version?: unknown }).version !== FILE_VERSION ||
    typeof servers !== 'object' ||
    servers === null ||
    Array.isArray(servers)
  )
    throw new BatonError(
      'MCP_AUTH',
      `the MCP login file ${path} is not one Baton wrote (expected JSON { "version": ${FILE_VERSION}, "servers": { … } }); delete it and log in again`,
    )
  return servers as Record<string, McpAuthEntry>
}

async function writeServers(path: string, servers: Record<string, McpAuthEntry>): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    await writeFile(temp, `${JSON.stringify({ version: FILE_VERSION, servers }, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    })
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {})
    throw new BatonError('MCP_AUTH', `cannot write the MCP login file ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
}
