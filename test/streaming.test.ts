/**
 * Tokens as they are generated: every model call of the tree streams its answer into the run's
 * one event stream (`model.delta`, `model.restart`), transcripts keep responses (deltas only on
 * request), a replay writes the recorded answers out again, and the stream can be taken as the
 * root agent's text or as server-sent events.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type BatonEvent,
  defineAgent,
  type Model,
  type ModelResponse,
  type ModelStreamEvent,
  readTranscript,
  replay,
  run,
  stream,
} from '../src/index.js'
import { replayStream } from '../src/replay/replay.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { collect, isDelta, ofType, recordedOf, streamedText } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-streaming-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const LEAD_TEXT = 'Lisbon has about 545,000 people and Porto about 232,000.'
const RESEARCH_TEXT = 'Lisbon: 545,000 people; Porto: 232,000 people.'

/** A lead that delegates to a researcher, then answers from what it found. */
function team() {
  const researcher = defineAgent({
    name: 'researcher',
    description: 'Finds facts',
    instructions: 'Find the facts.',
    model: scriptedModel([{ text: RESEARCH_TEXT }], { id: 'scripted:researcher' }),
  })
  return defineAgent({
    name: 'lead',
    instructions: 'Answer with the researcher’s help.',
    agents: [researcher],
    model: scriptedModel(
      [
        { toolCalls: [{ name: 'delegate_researcher', args: { task: 'Populations of Lisbon and Porto' } }] },
        { text: LEAD_TEXT },
      ],
      { id: 'scripted:lead' },
    ),
  })
}

/** A model that counts how it was called, answering `text` either way. */
function countingModel(text: string, options: { canStream: boolean }) {
  const calls = { generate: 0, stream: 0 }
  const response: ModelResponse = {
    message: { role: 'assistant', content: text },
    usage: { inputTokens: 5, outputTokens: 7 },
    finishReason: 'stop',
  }
  const model: Model = {
    spec: 'baton.model.v1',
    id: 'scripted:counting',
    async generate() {
      calls.generate++
      return response
    },
  }
  if (options.canStream) {
    ;(model as { stream: Model['stream'] }).stream = async function* () {
      calls.stream++
      yield { type: 'text-delta', text: text.slice(0, 4) }
      yield { type: 'text-delta', text: text.slice(4) }
      yield { type: 'finish', response }
    }
  }
  return { model, calls }
}

describe('model calls stream through the loop', () => {
  it('streams every agent of the tree, each delta under its call’s step key, before that call’s response', async () => {
    const { events, result } = await collect(stream(team(), 'Compare Lisbon and Porto'))
    expect(result.status).toBe('done')
    const texts = streamedText(events)
    expect(texts.get('root/2/model')).toBe(LEAD_TEXT)
    expect(texts.get('root/1/agent:researcher#0/1/model')).toBe(RESEARCH_TEXT)
    // Word by word, not in one piece.
    expect(ofType(events, 'model.delta').filter((e) => e.path === 'root/2/model').length).toBeGreaterThan(5)
    // The delegation's arguments streamed too, as JSON text.
    const call = ofType(events, 'model.delta').find((e) => e.kind === 'tool-call')!
    expect(call.path).toBe('root/1/model')
    expect(call.toolCall).toMatchObject({ index: 0, name: 'delegate_researcher' })
    expect(JSON.parse(call.toolCall!.argsDelta)).toEqual({ task: 'Populations of Lisbon and Porto' })
    for (const delta of events.filter(isDelta)) {
      const at = events.indexOf(delta)
      const request = events.findIndex((e) => e.type === 'model.request' && e.path === delta.path)
      const response = events.findIndex((e) => e.type === 'model.response' && e.path === delta.path)
      expect(request).toBeGreaterThanOrEqual(0)
      expect(request).toBeLessThan(at)
      expect(response).toBeGreaterThan(at)
    }
  })

  it('keeps responses, not deltas, in the transcript: numbered 0, 1, 2, … and the same as a run() records', async () => {
    const streamed = join(dir, 'streamed.jsonl')
    const plain = join(dir, 'plain.jsonl')
    const { events } = await collect(
      stream(team(), 'Compare Lisbon and Porto', { record: streamed, clock: fakeClock() }),
    )
    await run(team(), 'Compare Lisbon and Porto', { record: plain, clock: fakeClock() })
    const kept = readTranscript(streamed).events
    expect(kept.filter(isDelta)).toEqual([])
    expect(kept.map((e) => e.seq)).toEqual(kept.map((_, i) => i))
    expect(kept).toEqual(recordedOf(events))
    const shape = (list: BatonEvent[]) => list.map((e) => `${e.seq} ${e.type} ${e.path}`)
    expect(shape(kept)).toEqual(shape(readTranscript(plain).events))
  })

  it('keeps the deltas too with recordDeltas, and such a transcript replays', async () => {
    const record = join(dir, 'with-deltas.jsonl')
    const result = await run(team(), 'Compare Lisbon and Porto', { record, recordDeltas: true })
    expect(result.status).toBe('done')
    const kept = readTranscript(record).events
    expect(streamedText(kept).get('root/2/model')).toBe(LEAD_TEXT)
    const replayed = await replay(record, team())
    expect(replayed.status).toBe('done')
    expect(replayed.output).toBe(LEAD_TEXT)
  })

  it('calls generate, never stream, when nobody reads the answer as it is written', async () => {
    const quiet = countingModel('Forty-two.', { canStream: true })
    const agent = defineAgent({ name: 'a', instructions: 'x', model: quiet.model })
    expect((await run(agent, 'go', { record: join(dir, 'quiet.jsonl') })).output).toBe('Forty-two.')
    expect(quiet.calls).toEqual({ generate: 1, stream: 0 })

    const off = countingModel('Forty-two.', { canStream: true })
    const offAgent = defineAgent({ name: 'a', instructions: 'x', model: off.model })
    const { events } = await collect(stream(offAgent, 'go', { deltas: false }))
    expect(events.filter(isDelta)).toEqual([])
    expect(off.calls).toEqual({ generate: 1, stream: 0 })

    const on = countingModel('Forty-two.', { canStream: true })
    const onAgent = defineAgent({ name: 'a', instructions: 'x', model: on.model })
    const streamed = await collect(stream(onAgent, 'go'))
    expect(on.calls).toEqual({ generate: 0, stream: 1 })
    expect(ofType(streamed.events, 'model.delta').map((e) => (e.kind === 'text' ? e.text : e.kind))).toEqual([
      'Fort',
      'y-two.',
    ])
  })

  it('gives the answer of a model that cannot stream as deltas once it arrives', async () => {
    const { model, calls } = countingModel('No stream here, just words.', { canStream: false })
    const agent = defineAgent({ name: 'a', instructions: 'x', model })
    const { events } = await collect(stream(agent, 'go'))
    expect(calls).toEqual({ generate: 1, stream: 0 })
    expect(streamedText(events).get('root/1/model')).toBe('No stream here, just words.')
  })

  it('says when a cut stream starts again, so a reader drops what it showed', async () => {
    const response: ModelResponse = {
      message: { role: 'assistant', content: 'whole answer' },
      usage: { inputTokens: 3, outputTokens: 2 },
      finishReason: 'stop',
    }
    const model: Model = {
      spec: 'baton.model.v1',
      id: 'scripted:flaky',
      generate: async () => response,
      async *stream(): AsyncGenerator<ModelStreamEvent> {
        yield { type: 'text-delta', text: 'half an' }
        yield { type: 'restart' }
        yield { type: 'text-delta', text: 'whole ' }
        yield { type: 'text-delta', text: 'answer' }
        yield { type: 'finish', response }
      },
    }
    const record = join(dir, 'restart.jsonl')
    const { events, result } = await collect(
      stream(defineAgent({ name: 'a', instructions: 'x', model }), 'go', { record }),
    )
    expect(result.output).toBe('whole answer')
    expect(
      events
        .filter(isDelta)
        .map((e) => (e.type === 'model.delta' ? (e.kind === 'text' ? e.text : e.kind) : 'restart')),
    ).toEqual(['half an', 'restart', 'whole ', 'answer'])
    expect(ofType(events, 'model.restart')[0]!.path).toBe('root/1/model')
    expect(streamedText(events).get('root/1/model')).toBe('whole answer')
    expect(readTranscript(record).events.filter(isDelta)).toEqual([])
  })

  it('writes the recorded answers out again in a replay, with no model called', async () => {
    const record = join(dir, 'to-replay.jsonl')
    await run(team(), 'Compare Lisbon and Porto', { record })
    // Models with nothing left to say: any live call would fail the replay.
    const spent = defineAgent({
      name: 'lead',
      instructions: 'Answer with the researcher’s help.',
      agents: [
        defineAgent({
          name: 'researcher',
          description: 'Finds facts',
          instructions: 'Find the facts.',
          model: scriptedModel([], { id: 'scripted:researcher' }),
        }),
      ],
      model: scriptedModel([], { id: 'scripted:lead' }),
    })
    const replaying = replayStream(record, spent, 'replay')
    const { events } = await collect(replaying.events)
    const result = await replaying.result
    expect(result.status).toBe('done')
    expect(result.live).toEqual({ model: 0, tool: 0 })
    const texts = streamedText(events)
    expect(texts.get('root/2/model')).toBe(LEAD_TEXT)
    expect(texts.get('root/1/agent:researcher#0/1/model')).toBe(RESEARCH_TEXT)
  })
})

describe('the root agent’s text', () => {
  it('yields the root agent’s answer as it is written, without the sub-agents’ text', async () => {
    const pieces: string[] = []
    const events = stream(team(), 'Compare Lisbon and Porto')
    for await (const piece of events.text()) pieces.push(piece)
    expect(pieces.length).toBeGreaterThan(1)
    expect(pieces.join('')).toBe(LEAD_TEXT)
    expect((await events.result).status).toBe('done')
  })

  it('yields each whole answer when deltas are off', async () => {
    const pieces: string[] = []
    for await (const piece of stream(team(), 'Compare Lisbon and Porto', { deltas: false }).text())
      pieces.push(piece)
    expect(pieces).toEqual([LEAD_TEXT])
  })
})

describe('a stream is read once, in one form', () => {
  const forms: [string, (events: ReturnType<typeof stream>) => unknown, string][] = [
    ['iterating it', (events) => events[Symbol.asyncIterator](), 'iterating the stream'],
    ['text()', (events) => events.text(), 'text()'],
    ['toResponse()', (events) => events.toResponse(), 'toResponse()'],
    ['toReadableStream()', (events) => events.toReadableStream(), 'toReadableStream()'],
  ]
  it.each(forms)(
    'after %s, any second reader is refused, naming the first; the run still ends whole',
    async (_, first, named) => {
      const events = stream(team(), 'Compare Lisbon and Porto')
      const taken = first(events)
      for (const [, second] of forms)
        expect(() => second(events)).toThrow(
          expect.objectContaining({
            code: 'INVALID_OPTIONS',
            message: expect.stringContaining(
              `stream: the events were already taken by ${named}; they are read once`,
            ),
          }),
        )
      // The first reader gets every event: nothing went to the refused ones.
      let read = 0
      if (taken instanceof Response) read = parseSse(await taken.text()).length
      else if (taken instanceof ReadableStream) read = parseSse(await new Response(taken).text()).length
      else for await (const _item of { [Symbol.asyncIterator]: () => taken as AsyncIterator<unknown> }) read++
      const result = await events.result
      expect(result.status).toBe('done')
      if (named !== 'text()') expect(read).toBeGreaterThanOrEqual(result.trajectory.length + 4)
      else expect(read).toBeGreaterThan(1)
    },
  )
})

/** Parses a server-sent event stream into `{ event, id, data }` records. */
function parseSse(text: string): { event: string; id?: string; data: unknown }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const fields = new Map<string, string>()
      for (const line of block.split('\n')) {
        const colon = line.indexOf(': ')
        fields.set(line.slice(0, colon), line.slice(colon + 2))
      }
      const record: { event: string; id?: string; data: unknown } = {
        event: fields.get('event')!,
        data: JSON.parse(fields.get('data')!),
      }
      if (fields.has('id')) record.id = fields.get('id')!
      return record
    })
}

describe('server-sent events', () => {
  const KEY = 'sk-proj-A1b2C3d4E5f6G7h8I9j0KlMn'

  it('is a text/event-stream Response of every event, deltas included, with secrets redacted', async () => {
    const events = stream(team(), `Compare Lisbon and Porto (key ${KEY})`)
    const response = events.toResponse({ headers: { 'x-run': 'lisbon' } })
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(response.headers.get('x-run')).toBe('lisbon')
    const body = await response.text()
    expect(body).not.toContain(KEY)
    const sent = parseSse(body)
    expect(sent[0]).toMatchObject({ event: 'run.start', id: '0' })
    expect(sent.at(-1)).toMatchObject({ event: 'run.end', data: { status: 'done', output: LEAD_TEXT } })
    const data = sent.map((e) => e.data as BatonEvent)
    expect(sent.map((e) => e.event)).toEqual(data.map((e) => e.type))
    expect(streamedText(data).get('root/2/model')).toBe(LEAD_TEXT)
    // Deltas have no id: they share the number of the event after them.
    for (const e of sent) expect(e.id === undefined).toBe(e.event === 'model.delta')
    expect((await events.result).status).toBe('done')
  })

  it('is returned as it is from a Hono route', async () => {
    const app = new Hono().get('/ask', (c) => stream(team(), c.req.query('q') ?? '').toResponse())
    const response = await app.request('/ask?q=Compare%20Lisbon%20and%20Porto')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const sent = parseSse(await response.text())
    expect(sent.find((e) => e.event === 'run.start')?.data).toMatchObject({
      task: 'Compare Lisbon and Porto',
    })
    expect(sent.at(-1)?.event).toBe('run.end')
  })

  it('aborts the run when the client goes away', async () => {
    const slow = defineAgent({
      name: 'slow',
      instructions: 'x',
      model: scriptedModel([{ text: 'first' }, { text: 'never' }], { latencyMs: 60_000 }),
    })
    const events = stream(slow, 'go')
    const reader = events.toReadableStream().getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toContain('event: run.start')
    await reader.cancel()
    const result = await events.result
    expect(result.status).toBe('aborted')
    expect(result.stopReason).toBe('consumer')
  })

  it('ends with an error event when the run cannot start', async () => {
    const typed = defineAgent({
      name: 'typed',
      instructions: 'x',
      input: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      model: scriptedModel([{ text: 'ok' }]),
    })
    const sent = parseSse(await stream(typed, { town: 'Lisbon' }).toResponse().text())
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ event: 'error', data: { code: 'INVALID_TASK' } })
  })
})
