/**
 * A fake OpenAI Chat Completions server for the clerk agent of test/fixtures/durable-agents.ts,
 * on 127.0.0.1 and a free port. Its answers follow the conversation, not a script, so any
 * process can carry a run on: while the conversation has fewer than `steps` rounds of tool
 * results it asks for `lookup` and `charge` together, then it answers `finished <token>` (the
 * token is the task's `Task <token>`). The lead (model `fake-lead`) hands two clerks the tasks
 * `Task <token>a` and `Task <token>b` at once, then says `lead finished <token>`. It counts what it is asked, per task token: model
 * requests (each one paid), and charges per reference (the side effect that must not repeat).
 */
import { createServer, type Server, type ServerResponse } from 'node:http'
import { readBody } from './processes.js'

export interface FakeClerkServer {
  readonly url: string
  /** Model requests per task token. */
  readonly requests: Map<string, number>
  /** Charges per reference (`<token>-<n>`). */
  readonly charges: Map<string, number>
  /** Model requests refused with a 429 (with `perSecond`). */
  readonly limited: { count: number }
  close(): Promise<void>
}

export async function startFakeClerkServer(options: {
  steps: number
  latencyMs: number
  /** Model requests a second it takes (a bucket of as many, refilled continuously); past it a 429 with retry-after. */
  perSecond?: number
}): Promise<FakeClerkServer> {
  const requests = new Map<string, number>()
  const charges = new Map<string, number>()
  const limited = { count: 0 }
  const rate = options.perSecond
  let level = rate ?? 0
  let at = performance.now()
  /** Takes a request from the bucket; else how long until there is one. */
  const refused = (): number | undefined => {
    if (rate === undefined) return undefined
    const now = performance.now()
    level = Math.min(rate, level + ((now - at) * rate) / 1000)
    at = now
    if (level >= 1) {
      level -= 1
      return undefined
    }
    return Math.ceil(((1 - level) * 1000) / rate)
  }
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)
  const server: Server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>
    if (req.url === '/charge') {
      bump(charges, String(body.ref))
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
      return
    }
    const wait = refused()
    if (wait !== undefined) {
      limited.count++
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': String(wait) })
      res.end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests' } }))
      return
    }
    const messages = body.messages as { role: string; content?: unknown }[]
    const task = String(messages.find((m) => m.role === 'user')?.content ?? '')
    const token = /Task (\w+)/.exec(task)?.[1] ?? 'unknown'
    bump(requests, token)
    const rounds = messages.filter((m) => m.role === 'tool').length / 2
    await new Promise((resolve) => setTimeout(resolve, options.latencyMs))
    if (body.model === 'fake-lead') return answer(res, token, rounds, lead(token, rounds))
    const message =
      rounds < options.steps
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: `l${rounds}`,
                type: 'function',
                function: { name: 'lookup', arguments: JSON.stringify({ q: `item ${rounds}` }) },
              },
              {
                id: `c${rounds}`,
                type: 'function',
                function: { name: 'charge', arguments: JSON.stringify({ ref: `${token}-${rounds}` }) },
              },
            ],
          }
        : { role: 'assistant', content: `finished ${token}` }
    answer(res, token, rounds, message)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return {
    url,
    requests,
    charges,
    limited,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The lead: it hands two clerks a task each, at once, then says it is finished. */
function lead(token: string, rounds: number): Record<string, unknown> {
  if (rounds > 0) return { role: 'assistant', content: `lead finished ${token}` }
  const call = (part: string) => ({
    id: `d${part}`,
    type: 'function',
    function: {
      name: 'delegate_clerk',
      arguments: JSON.stringify({ task: `Task ${token}${part}: buy the items` }),
    },
  })
  return { role: 'assistant', content: null, tool_calls: [call('a'), call('b')] }
}

function answer(res: ServerResponse, token: string, rounds: number, message: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      id: `cmpl_${token}_${rounds}`,
      object: 'chat.completion',
      created: 1,
      model: 'fake-clerk',
      choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
    }),
  )
}
