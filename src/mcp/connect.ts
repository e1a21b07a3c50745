import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js'
import { BatonError } from '../errors/index.js'
import { VERSION } from '../version.js'
import type { McpAuth } from './auth/types.js'

/** An MCP server started as a child process, spoken to over stdin/stdout. */
export interface McpStdioServer {
  command: string
  args?: string[]
  /**
   * Added to the small default environment the MCP SDK gives a server (HOME, PATH, SHELL, TERM,
   * USER, LOGNAME); the server does not see the rest of `process.env` unless you pass it.
   */
  env?: Record<string, string | undefined>
  cwd?: string
  /**
   * The server's stderr: `'pipe'` (default) keeps its last lines to explain a failed start,
   * `'inherit'` shows it on this process's stderr, `'ignore'` drops it.
   */
  stderr?: 'pipe' | 'inherit' | 'ignore'
}

/** An MCP server reached over streamable HTTP. */
export interface McpHttpServer {
  url: string | URL
  /** Sent with every request (e.g. `Authorization`); never written to errors or transcripts. */
  headers?: Record<string, string>
  /**
   * OAuth for servers that need it (see docs/mcp.md#authorization). Without it, the login
   * `baton mcp login <url>` stored is used, unless `headers` carry an `Authorization`.
   */
  auth?: McpAuth
}

export type McpServerConfig = McpStdioServer | McpHttpServer

/** A connected client, with what the tools need to call it and to explain failures. */
export interface Connection {
  readonly client: Client
  /** The command or URL, for messages (no environment, headers, credentials or query). */
  readonly label: string
  readonly pid: number | undefined
  /** True once the connection is gone (closed by us, or the server exited / hung up). */
  readonly closed: boolean
  /** A BatonError saying the server is not reachable, with the last lines of its stderr. */
  lostError(cause?: unknown): BatonError
  /** The session of a streamable HTTP server (undefined over stdio). */
  readonly session: Session | undefined
  close(): Promise<void>
}

/**
 * A streamable HTTP session, started again when the server forgets it (it answers HTTP 404 to a
 * request carrying its `Mcp-Session-Id`): a new `initialize` without the old id. Calls that meet
 * the same forgotten session share one new session.
 */
export interface Session {
  /**
   * Waits for a new session being started, if any, and starts one when the last attempt failed.
   * True when the caller waited for (or made) a start: its call has had its new session. Rejects
   * with why the start failed.
   */
  ready(): Promise<boolean>
  /**
   * Starts a new session in place of `expired` (the id a request carried when the server
   * answered 404), unless one was started since; shares a start under way. Rejects with why it failed.
   */
  renew(expired: string): Promise<void>
}

const CONNECTION = 'MCP_CONNECTION'
const STDERR_KEEP = 2_000
const CLOSE_WAIT_MS = 2_000

/** A BatonError for an MCP server that cannot be reached (code `MCP_CONNECTION`). */
export function connectionError(message: string, cause?: unknown): BatonError {
  return new BatonError(CONNECTION, message, cause === undefined ? undefined : { cause })
}

/**
 * Starts (stdio) or reaches (HTTP) the server and completes the MCP handshake. `serve` declares
 * the client's capabilities and answers the server's requests (src/mcp/client-requests.ts).
 */
export async function connect(
  server: McpServerConfig,
  timeoutMs: number,
  serve?: (client: Client) => Promise<ClientCapabilities>,
): Promise<Connection> {
  // The MCP SDK loads here, on first use: importing Baton never loads it.
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js')
  const client = new Client({ name: 'baton', version: VERSION })
  const capabilities = (await serve?.(client)) ?? {}
  let stderr = ''
  let transport: Transport
  let label: string
  let getPid: () => number | undefined = () => undefined
  let terminate: (() => Promise<void>) | undefined
  let dispose: (() => Promise<void>) | undefined
  let session: Session | undefined

  if ('command' in server) {
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js')
    label = [server.command, ...(server.args ?? [])].map(quote).join(' ')
    const env = server.env === undefined ? undefined : definedOnly(server.env)
    let pid: number | undefined
    // The pid is kept from the start: the SDK forgets it as soon as the transport closes.
    class Tracked extends StdioClientTransport {
      override async start(): Promise<void> {
        await super.start()
        pid = this.pid ?? undefined
      }
    }
    const stdio = new Tracked({
      command: server.command,
      args: server.args ?? [],
      ...(env ? { env } : {}),
      ...(server.cwd ? { cwd: server.cwd } : {}),
      stderr: server.stderr ?? 'pipe',
    })
    stdio.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP)
    })
    getPid = () => pid
    transport = stdio
  } else {
    // The SDK's transport with its OAuth provider (src/mcp/auth): logins, refresh, step-up.
    const { httpTransport } = await import('./auth/http-transport.js')
    const http = await httpTransport(server)
    label = http.label
    terminate = () => http.transport.terminateSession()
    dispose = http.dispose
    transport = http.transport
    session = httpSession(client, http.transport, http.forgetSession, capabilities, timeoutMs)
  }

  let closed = false
  let closing: Promise<void> | undefined
  client.onclose = () => {
    closed = true
  }
  // Transport errors also reject the request in flight, which is where they are reported.
  client.onerror = () => {}

  const tail = () => {
    const text = stderr.trim()
    return text ? `\nThe server's stderr ended with:\n${text.slice(-600)}` : ''
  }
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await dispose?.().catch(() => {})
      if (terminate && !closed) await withTimeout(terminate(), CLOSE_WAIT_MS).catch(() => {})
      closed = true
      await client.close().catch(() => {})
    })()
    return closing
  }
  const connection: Connection = {
    client,
    label,
    get pid() {
      return getPid()
    },
    get closed() {
      return closed
    },
    session,
    lostError(cause) {
      const why = cause instanceof Error ? ` (${cause.message})` : ''
      return connectionError(
        `the MCP server ${label} is no longer connected: it exited or was closed${why}${tail()}`,
        cause,
      )
    },
    close,
  }

  try {
    await client.connect(transport, { timeout: timeoutMs })
  } catch (error) {
    // A server that failed its handshake gets no graceful two-second wait for its stdin to close.
    const pid = getPid()
    if (pid !== undefined && !closed) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {}
    }
    await close()
    // Authorization failures are already one line that names the server and what to do.
    if (error instanceof BatonError && error.code === 'MCP_AUTH') throw error
    throw connectionError(
      `could not connect to the MCP server ${label}: ${reason(error, timeoutMs, 'cwd' in server ? server.cwd : undefined)}${tail()}`,
      error,
    )
  }
  return connection
}

/**
 * The session of a streamable HTTP transport, started again when the server forgot it: the same
 * handshake `Client.connect` makes (`initialize`, then `notifications/initialized`), on the same
 * client and transport, so the handlers of the server's requests stay in place.
 */
function httpSession(
  client: Client,
  transport: { readonly sessionId: string | undefined; setProtocolVersion(version: string): void },
  forget: () => void,
  capabilities: ClientCapabilities,
  timeoutMs: number,
): Session {
  let starting: Promise<void> | undefined
  // The last start failed: the transport has no session, and the next call starts one first.
  let failed = false
  const start = (): Promise<void> => {
    starting ??= (async () => {
      const { InitializeResultSchema, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } = await import(
        '@modelcontextprotocol/sdk/types.js'
      )
      forget()
      try {
        const result = await client.request(
          {
            method: 'initialize',
            params: {
              protocolVersion: LATEST_PROTOCOL_VERSION,
              capabilities,
              clientInfo: { name: 'baton', version: VERSION },
            },
          },
          InitializeResultSchema,
          { timeout: timeoutMs },
        )
        if (!SUPPORTED_PROTOCOL_VERSIONS.includes(result.protocolVersion))
          throw new Error(`the server's protocol version ${result.protocolVersion} is not supported`)
        transport.setProtocolVersion(result.protocolVersion)
        await client.notification({ method: 'notifications/initialized' })
        failed = false
      } catch (error) {
        failed = true
        throw error
      }
    })().finally(() => {
      starting = undefined
    })
    return starting
  }
  return {
    async ready() {
      if (starting) {
        await starting
        return true
      }
      if (!failed) return false
      await start()
      return true
    },
    renew(expired) {
      if (starting || failed || transport.sessionId === expired) return start()
      // Another call started a new session since this request was sent.
      return Promise.resolve()
    },
  }
}

/** Why a connection failed, in words (spawn errors, refused connections, timeouts). */
function reason(error: unknown, timeoutMs: number, cwd: string | undefined): string {
  const err = error as (Error & { code?: unknown; cause?: unknown }) | undefined
  if (err?.code === 'ENOENT')
    return cwd ? `the command or the working directory ${cwd} was not found` : 'the command was not found'
  if (err?.code === 'EACCES') return 'the command is not executable'
  if (err?.code === -32001) return `the server did not answer the handshake within ${timeoutMs} ms`
  if (err?.code === -32000) return 'the server closed the connection during the handshake (did it exit?)'
  const cause = err?.cause as (Error & { code?: unknown }) | undefined
  if (cause instanceof Error) {
    const code = typeof cause.code === 'string' ? `${cause.code}: ` : ''
    return `${err?.message}: ${code}${cause.message}`
  }
  return err instanceof Error ? err.message : String(error)
}

function quote(part: string): string {
  return /^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part)
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value
  return out
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let done!: (value: undefined) => void
  const timeout = new Promise<undefined>((resolve) => {
    done = resolve
  })
  const timer = setTimeout(() => done(undefined), ms)
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
