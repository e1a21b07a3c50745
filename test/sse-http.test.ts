/**
 * A run served as server-sent events from a plain `node:http` server, read by an EventSource
 * client over a real socket: what a browser page showing an agent's answer does.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline, Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { EventSource } from 'eventsource'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BatonEvent, defineAgent, type Model, type RunResult, stream } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { streamedText } from './helpers.js'

const ANSWER = 'The quay opens at 7:40 and closes at dusk.'

const agent = () =>
  defineAgent({
    name: 'harbour',
    instructions: 'Answer from the notes.',
    model: scriptedModel([{ text: ANSWER }], { latencyMs: 5 }),
  })

/** A model that thinks until its call is aborted: a run of it ends only when something stops it. */
const thinking = { calls: 0, aborted: 0 }
const thinker = () =>
  defineAgent({
    name: 'thinker',
    instructions: 'Think it over.',
    model: {
      spec: 'baton.model.v1',
      id: 'scripted:thinker',
      generate: (_request, options) =>
        new Promise<never>((_, reject) => {
          thinking.calls++
          options?.signal?.addEventListener('abort', () => {
            thinking.aborted++
            reject(options.signal?.reason)
          })
        }),
    } satisfies Model,
  })

/** An agent whose task must be an object: a string task cannot start it. */
const typed = () =>
  defineAgent({
    name: 'typed',
    instructions: 'x',
    input: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    model: scriptedModel([{ text: 'ok' }]),
  })

let server: Server
let url = ''
/** The result of each run the server started, in order. */
const results: Promise<RunResult>[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    const asked = new URL(req.url ?? '/', 'http://localhost')
    const task = asked.searchParams.get('q') ?? ''
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    const chosen = asked.pathname === '/think' ? thinker() : asked.pathname === '/typed' ? typed() : agent()
    const events = stream(chosen, task)
    results.push(events.result)
    // The recipe for node:http: the web stream into the response with `pipeline`, which
    // destroys the body when the client goes away (`.pipe` would leave it, and the run, going).
    pipeline(Readable.fromWeb(events.toReadableStream() as NodeReadableStream), res, () => {})
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

  it('aborts the run when the client goes away in the middle of a model call', async () => {
    const source = new EventSource(`${url}/think?q=${encodeURIComponent('What is the tide?')}`)
    const asked = new Promise<void>((resolve, reject) => {
      source.addEventListener('model.request', () => resolve())
      source.onerror = (error) =>
        reject(new Error(`EventSource failed: ${String(error.message ?? error.type)}`))
    })
    await asked
    const started = results.length
    // The tab is closed while the model thinks: no event is on its way to notice it by.
    source.close()
    const result = await results[started - 1]!
    expect(result).toMatchObject({ status: 'aborted', stopReason: 'consumer' })
    expect(thinking).toEqual({ calls: 1, aborted: 1 })
  })

  it('sends a run that cannot start as one error event, which a client closes on', async () => {
    const before = results.length
    const source = new EventSource(`${url}/typed?q=Lisbon`)
    const data = await new Promise<string>((resolve) => {
      // As docs/streaming.md shows: close on error, or EventSource connects again (a new run).
      source.addEventListener('error', (event) => {
        source.close()
        resolve((event as MessageEvent).data)
      })
    })
    expect(JSON.parse(data)).toMatchObject({ code: 'INVALID_TASK' })
    expect(results.length).toBe(before + 1)
    await expect(results.at(-1)).rejects.toMatchObject({ code: 'INVALID_TASK' })
  })
})
