/**
 * A run served as server-sent events from a plain `node:http` server, read by an EventSource
 * client over a real socket: what a browser page showing an agent's answer does.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { EventSource } from 'eventsource'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BatonEvent, defineAgent, stream } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { streamedText } from './helpers.js'

const ANSWER = 'The quay opens at 7:40 and closes at dusk.'

const agent = () =>
  defineAgent({
    name: 'harbour',
    instructions: 'Answer from the notes.',
    model: scriptedModel([{ text: ANSWER }], { latencyMs: 5 }),
  })

let server: Server
let url = ''

beforeAll(async () => {
  server = createServer((req, res) => {
    const task = new URL(req.url ?? '/', 'http://localhost').searchParams.get('q') ?? ''
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    // The recipe for node:http: the web stream, piped into the response.
    Readable.fromWeb(stream(agent(), task).toReadableStream() as NodeReadableStream).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('a run served as server-sent events over node:http', () => {
  it('is read by an EventSource client: the answer word by word, then the end of the run', async () => {
    const source = new EventSource(`${url}/ask?q=${encodeURIComponent('When does the quay open?')}`)
    const received: BatonEvent[] = []
    const ended = new Promise<BatonEvent>((resolve, reject) => {
      const keep = (message: MessageEvent) => received.push(JSON.parse(message.data) as BatonEvent)
      for (const type of ['run.start', 'model.request', 'model.delta', 'model.response'])
        source.addEventListener(type, keep)
      source.addEventListener('run.end', (message) => {
        // The stream is over: an EventSource would otherwise connect again.
        source.close()
        resolve(JSON.parse(message.data) as BatonEvent)
      })
      source.onerror = (error) => {
        source.close()
        reject(new Error(`EventSource failed: ${String(error.message ?? error.type)}`))
      }
    })
    const end = await ended
    expect(end).toMatchObject({ type: 'run.end', status: 'done', output: ANSWER })
    expect(received[0]).toMatchObject({ type: 'run.start', task: 'When does the quay open?' })
    const deltas = received.filter((e) => e.type === 'model.delta')
    expect(deltas.length).toBeGreaterThan(5)
    expect(streamedText(received).get('root/1/model')).toBe(ANSWER)
    const response = received.findIndex((e) => e.type === 'model.response')
    expect(received.indexOf(deltas.at(-1)!)).toBeLessThan(response)
  })
})
