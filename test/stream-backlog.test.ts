/**
 * Events a reader has not taken yet wait in the run's queue. A stream nobody reads (only its
 * `result` is awaited), or a reader slower than the model, must not hold one object per token:
 * past a backlog, the pieces of one call join into the piece before them, so the queue holds a
 * run's steps, not its tokens. What a reader reads still adds up to every response.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type BatonEvent,
  defineAgent,
  type Model,
  type ModelResponse,
  type ModelStreamEvent,
  readTranscript,
  stream,
} from '../src/index.js'
import { EventQueue } from '../src/run/event-queue.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { isDelta, ofType, recordedOf, streamedText } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-stream-backlog-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PIECES = 20_000

/** A model that streams its answer in `pieces` pieces (restarting halfway when asked). */
function chattyModel(word: string, pieces: number, options: { restart?: boolean; id?: string } = {}): Model {
  const response: ModelResponse = {
    message: { role: 'assistant', content: word.repeat(pieces) },
    usage: { inputTokens: 1, outputTokens: pieces },
    finishReason: 'stop',
  }
  return {
    spec: 'baton.model.v1',
    id: options.id ?? 'scripted:chatty',
    generate: async () => response,
    async *stream(): AsyncGenerator<ModelStreamEvent> {
      if (options.restart) {
        for (let i = 0; i < pieces / 2; i++) yield { type: 'text-delta', text: 'DROP ' }
        yield { type: 'restart' }
      }
      for (let i = 0; i < pieces; i++) yield { type: 'text-delta', text: word }
      yield { type: 'finish', response }
    },
  }
}

/** Reads every event of a stream whose result already settled: what a late reader gets. */
async function readLate(events: ReturnType<typeof stream>) {
  const result = await events.result
  const read: BatonEvent[] = []
  for await (const event of events) read.push(event)
  return { result, read }
}

/** Each delta's seq is the seq of the first recorded event after it (docs/streaming.md). */
function expectDeltaSeqs(events: BatonEvent[]): void {
  for (const [at, event] of events.entries()) {
    if (!isDelta(event)) continue
    const next = events.slice(at + 1).find((later) => !isDelta(later))
    expect(event.seq).toBe(next?.seq)
  }
}

describe('a backlog of deltas', () => {
  it('of a stream nobody reads holds the steps, not every token, and still adds up', async () => {
    const record = join(dir, 'unread.jsonl')
    const agent = defineAgent({ name: 'a', instructions: 'x', model: chattyModel('tok ', PIECES) })
    const events = stream(agent, 'go', { record, clock: fakeClock() })
    const { result, read } = await readLate(events)
    expect(result.status).toBe('done')
    const deltas = ofType(read, 'model.delta')
    expect(deltas.length).toBeLessThan(PIECES / 10)
    expect(streamedText(read).get('root/1/model')).toBe('tok '.repeat(PIECES))
    // The whole steps are all there, as the transcript has them.
    expect(recordedOf(read)).toEqual(readTranscript(record).events)
    expectDeltaSeqs(read)
  })

  it('never joins pieces across a restart: the pieces after the last one are the answer', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: chattyModel('ok ', PIECES, { restart: true }),
    })
    const { read } = await readLate(stream(agent, 'go'))
    const restart = read.findIndex((e) => e.type === 'model.restart')
    expect(restart).toBeGreaterThan(0)
    for (const delta of ofType(read.slice(0, restart), 'model.delta'))
      expect(delta.kind === 'text' && delta.text).toMatch(/^(DROP )+$/)
    expect(streamedText(read).get('root/1/model')).toBe('ok '.repeat(PIECES))
  })

  it('joins each concurrent sub-agent’s pieces with its own, never with another’s', async () => {
    const helper = (name: string, word: string) =>
      defineAgent({
        name,
        description: `says ${word}`,
        instructions: 'x',
        model: chattyModel(word, PIECES / 2, { id: `scripted:${name}` }),
      })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'x',
      agents: [helper('north', 'n'), helper('south', 's')],
      model: scriptedModel([
        {
          toolCalls: [
            { name: 'delegate_north', args: { task: 'go' } },
            { name: 'delegate_south', args: { task: 'go' } },
          ],
        },
        { text: 'both done' },
      ]),
    })
    const { result, read } = await readLate(stream(lead, 'go'))
    expect(result.status).toBe('done')
    const texts = streamedText(read)
    expect(texts.get('root/1/agent:north#0/1/model')).toBe('n'.repeat(PIECES / 2))
    expect(texts.get('root/1/agent:south#0/1/model')).toBe('s'.repeat(PIECES / 2))
    expect(ofType(read, 'model.delta').length).toBeLessThan(PIECES / 10)
    expectDeltaSeqs(read)
  })

  it('joins a tool call’s argument pieces, keeping the id and name of its first piece', () => {
    const queue = new EventQueue()
    const piece = (index: number, argsDelta: string, first = false): BatonEvent => ({
      type: 'model.delta',
      path: 'root/1/model',
      kind: 'tool-call',
      toolCall: { index, argsDelta, ...(first ? { id: `call_${index}`, name: 'add' } : {}) },
    })
    for (let i = 0; i < EventQueue.BACKLOG; i++)
      queue.push({ type: 'memory.write', path: 'root', key: `k${i}`, value: i, by: 'root' })
    queue.push(piece(0, '{"a":', true))
    queue.push(piece(0, '1}'))
    queue.push(piece(1, '{"a":', true))
    queue.push(piece(1, '2', false))
    queue.push(piece(1, '}'))
    queue.push(piece(1, '', true)) // a new id on the same index starts a new piece
    const taken: BatonEvent[] = []
    for (let event = queue.take(); event; event = queue.take()) taken.push(event)
    expect(ofType(taken, 'model.delta').map((e) => e.kind === 'tool-call' && e.toolCall)).toEqual([
      { index: 0, id: 'call_0', name: 'add', argsDelta: '{"a":1}' },
      { index: 1, id: 'call_1', name: 'add', argsDelta: '{"a":2}' },
      { index: 1, id: 'call_1', name: 'add', argsDelta: '' },
    ])
  })

  it('leaves the pieces alone for a reader that keeps up', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: chattyModel('w ', PIECES) })
    let deltas = 0
    for await (const event of stream(agent, 'go')) if (event.type === 'model.delta') deltas++
    expect(deltas).toBe(PIECES)
  })
})

describe('the queue', () => {
  it('lets go of what was read even when the reader never catches up', () => {
    const queue = new EventQueue()
    const event = (): BatonEvent => ({ type: 'model.restart', path: 'root/1/model' })
    queue.push(event())
    let taken = 0
    for (let i = 0; i < 100_000; i++) {
      queue.push(event())
      if (queue.take()) taken++
    }
    expect(taken).toBe(100_000)
    expect(queue.pending).toBe(1)
    expect(queue.retained).toBeLessThan(5_000)
  })
})
