/**
 * The end of an interactive login: a one-page HTTP server on the loopback interface that waits
 * for the browser to come back from the authorization server with a code (RFC 8252 §7.3).
 */
import { createServer as createNetServer } from 'node:net'
import { BatonError } from '../../errors/index.js'
import { scrub } from './scrub.js'

/** A redirect being waited for: the code it brings, and the server to stop. */
export interface Redirect {
  code: Promise<string>
  close(): Promise<void>
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** Whether Baton can listen for this redirect URI itself: http, a loopback host, a port. */
export function isLoopbackRedirect(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.port !== ''
}

/** `http://127.0.0.1:<a free port>/callback`. */
export async function freeRedirectUrl(): Promise<string> {
  const port = await new Promise<number>((resolve, reject) => {
    const server = createNetServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
  return `http://127.0.0.1:${port}/callback`
}

/**
 * Listens on the redirect URI's host and port. `code` resolves with the first request to its
 * path that carries this `state`; an `error` from the authorization server rejects it.
 */
export async function listenForRedirect(redirectUrl: URL, state: string | undefined): Promise<Redirect> {
  const { createServer } = await import('node:http')
  let settle!: { resolve(code: string): void; reject(error: unknown): void }
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject }
  })
  code.catch(() => {})
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', redirectUrl)
    if (req.method !== 'GET' || url.pathname !== redirectUrl.pathname) {
      res.writeHead(404).end()
      return
    }
    const params = url.searchParams
    // A request without our state is not the browser we sent: it is answered and ignored.
    if (state !== undefined && params.get('state') !== state) {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('This is not the login Baton is waiting for.\n')
      return
    }
    const error = params.get('error')
    const received = params.get('code')
    if (error || !received) {
      const why = [error ?? 'no code', params.get('error_description')].filter(Boolean).join(': ')
      page(res, 400, `The login failed (${why}). Go back to the terminal.`)
      settle.reject(
        new BatonError('MCP_AUTH', `the authorization server did not authorize Baton: ${scrub(why)}`),
      )
      return
    }
    page(res, 200, 'Baton is logged in. You can close this tab.')
    settle.resolve(received)
  })
  const host = redirectUrl.hostname === '[::1]' ? '::1' : '127.0.0.1'
  const port = Number(redirectUrl.port)
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new BatonError(
          'MCP_AUTH',
          `cannot wait for the login's redirect on ${redirectUrl.origin}: ${error.code === 'EADDRINUSE' ? `port ${port} is in use` : error.message}`,
          { cause: error },
        ),
      ),
    )
    server.listen(port, host, () => resolve())
  })
  return {
    code,
    close: () =>
      new Promise<void>((resolve) => {
        settle.reject(new BatonError('MCP_AUTH', 'the login was abandoned before the browser came back'))
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function page(res: import('node:http').ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', connection: 'close' })
  const safe = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  res.end(
    `<!doctype html><meta charset="utf-8"><title>Baton</title><p style="font:16px system-ui">${safe}</p>\n`,
  )
}
