/**
 * msw intercepts `fetch` itself, so the other provider tests never reach the shared undici
 * dispatcher. These go over a real socket to a local server, through that dispatcher, plain
 * and streamed, on whatever Node runs the suite.
 */
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anthropic, openai } from '../../src/providers/index.js'
import { readBody } from '../processes.js'

let server: Server
let base = ''
const seen: { url: string; body: Record<string, unknown>; connection: string | undefined }[] = []

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>
    seen.push({ url: req.url ?? '', body, connection: req.headers.connection })
    if (req.url === '/v1/messages') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-haiku-4-5',
          content: [{ type: 'text', text: 'hello from a socket' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 4 },
        }),
      )
      return
    }
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
      res.write(chunk({ role: 'assistant', content: 'streamed ' }, null))
      res.write(chunk({ content: 'over a socket' }, null))
      res.write(chunk({}, 'stop'))
      res.end('data: [DONE]\n\n')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'plain over a socket' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const request = { messages: [{ role: 'user' as const, content: 'hi' }], tools: [] }

describe('providers over a real socket', () => {
  it('OpenAI Chat Completions, plain and streamed, keeping the connection alive', async () => {
    const model = openai('gpt-4o', { apiKey: 'sk-test-socket', baseURL: `${base}/v1` })
    const plain = await model.generate(request)
    expect(plain.message.content).toBe('plain over a socket')
    expect(plain.usage).toEqual({ inputTokens: 3, outputTokens: 4 })
    let text = ''
    for await (const event of model.stream!(request)) if (event.type === 'text-delta') text += event.text
    expect(text).toBe('streamed over a socket')
    expect(seen.filter((s) => s.url === '/v1/chat/completions').map((s) => s.body.stream ?? false)).toEqual([
      false,
      true,
    ])
    expect(seen.every((s) => s.connection !== 'close')).toBe(true)
  })

  it('Anthropic Messages', async () => {
    const model = anthropic('claude-haiku-4-5', { apiKey: 'sk-ant-test-socket', baseURL: base })
    const response = await model.generate(request)
    expect(response.message.content).toBe('hello from a socket')
    expect(response.finishReason).toBe('stop')
  })
})
