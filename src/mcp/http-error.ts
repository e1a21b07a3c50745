/**
 * An MCP server's HTTP answer that is not a success, told in one short line: the status, and an
 * excerpt of the body (an error page can be kilobytes of HTML; a message quotes at most a line).
 */
import { STATUS_CODES } from 'node:http'

const EXCERPT_CHARS = 200

/** A request to an MCP server over HTTP was answered with this status (400 or above). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    /** At most a short line of the body: a JSON-RPC error's message, an HTML page's text. */
    readonly excerpt: string,
    /** The `Mcp-Session-Id` the request carried, if any. */
    readonly sessionId: string | undefined,
  ) {
    const text = STATUS_CODES[status]
    super(`HTTP ${status}${text ? ` (${text})` : ''}${excerpt ? `: ${excerpt}` : ''}`)
    this.name = 'HttpStatusError'
  }

  /**
   * The server no longer knows the session the request carried: an HTTP 404 to a request with a
   * session id, after which the client must start a new session (MCP streamable HTTP).
   */
  get sessionExpired(): boolean {
    return this.status === 404 && this.sessionId !== undefined
  }
}

/**
 * A body as one short line: the message of a JSON-RPC error, the visible text of an HTML page
 * (without its head, scripts and styles), whitespace collapsed, cut to `max` characters.
 */
export function bodyExcerpt(body: string, max = EXCERPT_CHARS): string {
  let text = jsonRpcMessage(body) ?? body
  if (/<\/?[a-z!][^>]*>/i.test(text)) {
    text = text
      .replace(/<(head|script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&')
  }
  text = text.replace(/\s+/g, ' ').trim()
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** The message of a JSON-RPC error response, when `body` is one. */
function jsonRpcMessage(body: string): string | undefined {
  if (!body.trimStart().startsWith('{')) return undefined
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } }
    const message = parsed?.error?.message
    return typeof message === 'string' && message.trim() !== '' ? message : undefined
  } catch {
    return undefined
  }
}
