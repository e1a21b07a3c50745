/**
 * A local server that enforces a rate limit the way the real APIs do, speaking OpenAI Chat
 * Completions (`POST /v1/chat/completions`, JSON or SSE) and Anthropic Messages (`POST
 * /v1/messages`, JSON): a bucket of `perSecond` requests refilled continuously; past it, a 429
 * with `retry-after` (fractional seconds) and `retry-after-ms` and the provider's own error body.
 * Every answer carries the provider's rate-limit headers (`x-ratelimit-*`,
 * `anthropic-ratelimit-*`) unless `headers: false`. The model calls the tool `echo` until the
 * conversation holds `toolTurns` tool results, then answers `done <n>`. Only node built-ins: the
 * benchmark runs it too. It listens on 127.0.0.1 and a free port; `close()` stops it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

export interface RateLimitedServer {
  /** `http://127.0.0.1:<port>/v1` (OpenAI's base URL); Anthropic's is `anthropicURL`. */
  readonly url: string
  readonly anthropicURL: string
  readonly counts: { requests: number; answered: number; limited: number; inputTokens: number }
  close(): Promise<void>
}

export interface RateLimitedOptions {
  /** Requests a second (and the bucket's size). */
  perSecond: number
  /** Tool turns before the final answer. */
  toolTurns: number
  /** How long each answer takes. */
  latencyMs?: number
  /** Send the rate-limit headers on every answer. Default true. */
  headers?: boolean
}

// biome-ignore lint/suspicious/noExplicitAny: wire objects are plain JSON
type Json = Record<string, any>

export async function startRateLimitedServer(options: RateLimitedOptions): Promise<RateLimitedServer> {
  const { perSecond, toolTurns, latencyMs = 0 } = options
  const headers = options.headers !== false
  let level = perSecond
  let at = performance.now()
  const counts = { requests: 0, answered: 0, limited: 0, inputTokens: 0 }

  /** Takes one request from the bucket; else says how long until one is there. */
  const take = (): { ok: true; left: number } | { ok: false; waitMs: number } => {
    const now = performance.now()
    level = Math.min(perSecond, level + ((now - at) * perSecond) / 1000)
    at = now
    if (level >= 1) {
      level -= 1
      return { ok: true, left: Math.floor(level) }
    }
    return { ok: false, waitMs: ((1 - level) * 1000) / perSecond }
  }

  const server = createServer(async (req, res) => {
    const body = JSON.parse(await read(req)) as Json
    counts.requests++
    counts.inputTokens += Math.ceil(JSON.stringify(body.messages ?? []).length / 4)
    const anthropic = req.url === '/v1/messages'
    const turn = take()
    if (!turn.ok) {
      counts.limited++
      const wait = Math.max(1, Math.ceil(turn.waitMs))
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(wait / 1000),
        'retry-after-ms': String(wait),
        ...(headers ? limitHeaders(anthropic, perSecond, 0, wait) : {}),
      })
      res.end(
        JSON.stringify(
          anthropic
            ? {
                type: 'error',
                error: {
                  type: 'rate_limit_error',
                  message: 'Number of requests has exceeded your rate limit',
                },
              }
            : {
                error: {
                  message: 'Rate limit reached for requests',
                  type: 'requests',
                  code: 'rate_limit_exceeded',
                },
              },
        ),
      )
      return
    }
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs))
    counts.answered++
    const limit = headers ? limitHeaders(anthropic, perSecond, turn.left, 1000 / perSecond) : {}
    if (anthropic) return answerAnthropic(res, body, toolTurns, limit)
    return answerOpenAI(res, body, toolTurns, limit)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/v1`,
    anthropicURL: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** The provider's rate-limit headers: `left` requests in the bucket, one more in `resetMs`. */
function limitHeaders(
  anthropic: boolean,
  perSecond: number,
  left: number,
  resetMs: number,
): Record<string, string> {
  if (anthropic)
    return {
      'anthropic-ratelimit-requests-limit': String(perSecond * 60),
      'anthropic-ratelimit-requests-remaining': String(left),
      'anthropic-ratelimit-requests-reset': new Date(Date.now() + Math.ceil(resetMs)).toISOString(),
    }
  return {
    'x-ratelimit-limit-requests': String(perSecond * 60),
    'x-ratelimit-remaining-requests': String(left),
    'x-ratelimit-reset-requests': `${Math.ceil(resetMs)}ms`,
  }
}

/** Tool results so far, and the `n` of the task (`Task <n>`). */
function progress(messages: Json[], anthropic: boolean): { results: number; n: string } {
  const results = anthropic
    ? messages
        .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
        .filter((b: Json) => b.type === 'tool_result').length
    : messages.filter((m) => m.role === 'tool').length
  const user = messages.find((m) => m.role === 'user')
  const text = typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '')
  return { results, n: /Task (\w+)/.exec(text)?.[1] ?? '?' }
}

function answerOpenAI(
  res: ServerResponse,
  body: Json,
  toolTurns: number,
  limit: Record<string, string>,
): void {
  const { results, n } = progress(body.messages as Json[], false)
  const call = results < toolTurns
  const message = call
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: `call_${n}_${results}`,
            type: 'function',
            function: { name: 'echo', arguments: `{"text":"turn ${results}"}` },
          },
        ],
      }
    : { role: 'assistant', content: `done ${n}` }
  const finish = call ? 'tool_calls' : 'stop'
  const usage = { prompt_tokens: 40 + results * 10, completion_tokens: 8, total_tokens: 48 + results * 10 }
  const base = { id: `chatcmpl-${n}-${results}`, created: 1756000000, model: body.model }
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json', ...limit })
    res.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message, finish_reason: finish }],
        usage,
      }),
    )
    return
  }
  const chunk = (delta: Json, finishReason: string | null, extra: Json = {}) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`
  res.writeHead(200, { 'content-type': 'text/event-stream', ...limit })
  const delta = call
    ? { role: 'assistant', tool_calls: message.tool_calls?.map((c, index) => ({ index, ...c })) }
    : { role: 'assistant', content: message.content }
  res.write(chunk(delta, null))
  res.write(chunk({}, finish))
  if (body.stream_options?.include_usage)
    res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`)
  res.end('data: [DONE]\n\n')
}

function answerAnthropic(
  res: ServerResponse,
  body: Json,
  toolTurns: number,
  limit: Record<string, string>,
): void {
  const { results, n } = progress(body.messages as Json[], true)
  const call = results < toolTurns
  const content = call
    ? [{ type: 'tool_use', id: `toolu_${n}_${results}`, name: 'echo', input: { text: `turn ${results}` } }]
    : [{ type: 'text', text: `done ${n}` }]
  res.writeHead(200, { 'content-type': 'application/json', ...limit })
  res.end(
    JSON.stringify({
      id: `msg_${n}_${results}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: call ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 40 + results * 10,
        output_tokens: 8,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    }),
  )
}
