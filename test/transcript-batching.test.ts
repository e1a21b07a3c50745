/**
 * When the transcript writer writes, and what: a step's lines go out together (at the next idle
 * moment, or at once for a slow step an eager writer's reader may see), in order, whole lines
 * only; a model request's messages, serialized once for the request hash, are written exactly
 * as they would be if serialized again.
 */
import * as fs from 'node:fs'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BatonEvent, Message } from '../src/index.js'
import type { Frame } from '../src/loop/frame.js'
import { LoopState } from '../src/loop/state.js'
import { redactor } from '../src/transcript/redact.js'
import { transcriptJson } from '../src/transcript/transcript-json.js'
import { type TranscriptIo, TranscriptWriter } from '../src/transcript/writer.js'
import { HEADER } from './helpers.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-batching-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Real file operations that keep every text written, one entry per write. */
function recordingIo(): TranscriptIo & { writes: string[] } {
  const writes: string[] = []
  return {
    writes,
    open: (path, flags, callback) => fs.open(path, flags, callback),
    openSync: (path, flags) => fs.openSync(path, flags),
    writeSync: (fd, text) => {
      writes.push(text)
      return fs.writeSync(fd, text)
    },
    closeSync: (fd) => fs.closeSync(fd),
  }
}

const idle = () => new Promise((resolve) => setImmediate(resolve))

/** One step of an agent: its model answer (after `ms`), its tool call and result, the next request. */
function step(n: number, ms: number): BatonEvent[] {
  return [
    {
      type: 'model.response',
      path: `root/${n}/model`,
      message: { role: 'assistant', content: '', toolCalls: [{ id: `c${n}`, name: 'echo', args: { n } }] },
      usage: { inputTokens: 1, outputTokens: 1 },
      costUsd: 0,
      finishReason: 'tool-calls',
      durationMs: ms,
    },
    { type: 'tool.call', path: `root/${n}/tool/c${n}`, callId: `c${n}`, name: 'echo', args: { n } },
    {
      type: 'tool.result',
      path: `root/${n}/tool/c${n}`,
      callId: `c${n}`,
      name: 'echo',
      isError: false,
      content: String(n),
      durationMs: 0,
    },
    {
      type: 'model.request',
      path: `root/${n + 1}/model`,
      model: 'scripted:model',
      messages: [{ role: 'tool', toolCallId: `c${n}`, toolName: 'echo', content: String(n) }],
      hash: 'h',
      specHash: 's',
    },
  ] as BatonEvent[]
}

/** The event lines of a transcript file, parsed. */
function eventLines(path: string): { seq: number; type: string; path: string }[] {
  const text = readFileSync(path, 'utf8')
  expect(text.endsWith('\n')).toBe(true)
  return text
    .slice(0, -1)
    .split('\n')
    .slice(1)
    .map((line) => JSON.parse(line) as { seq: number; type: string; path: string })
}

describe('a writer whose run nobody reads (eager: false)', () => {
  it('writes a slow step with the rest of its step, in one write at the next idle moment', async () => {
    const io = recordingIo()
    const path = join(dir, 'batched.jsonl')
    const writer = new TranscriptWriter(path, HEADER, undefined, io, { eager: false })
    await writer.ready()
    expect(io.writes).toHaveLength(1) // the header
    let seq = 0
    for (const event of step(1, 20)) writer.write(event, seq++, 0)
    expect(io.writes).toHaveLength(1)
    await idle()
    expect(io.writes).toHaveLength(2)
    expect(
      io.writes[1]!.split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line).type),
    ).toEqual(['model.response', 'tool.call', 'tool.result', 'model.request'])
    expect(await writer.close()).toBeUndefined()
    expect(eventLines(path).map((e) => e.seq)).toEqual([0, 1, 2, 3])
  })

  it('keeps every line whole and in order across many batches and concurrent writers', async () => {
    const files = [0, 1, 2].map((i) => join(dir, `order-${i}.jsonl`))
    const ios = files.map(() => recordingIo())
    const writers = files.map(
      (path, i) => new TranscriptWriter(path, HEADER, undefined, ios[i], { eager: false }),
    )
    const seqs = [0, 0, 0]
    for (let n = 1; n <= 60; n++) {
      // Writers take turns, some steps slow and some instant; idle moments come now and then.
      const i = n % 3
      for (const event of step(n, n % 2 ? 5 : 0)) writers[i]!.write(event, seqs[i]!++, n)
      if (n % 7 === 0) await idle()
    }
    for (const writer of writers) expect(await writer.close()).toBeUndefined()
    files.forEach((path, i) => {
      const events = eventLines(path)
      expect(events.map((e) => e.seq)).toEqual(events.map((_, k) => k))
      expect(events).toHaveLength(seqs[i]!)
      for (const text of ios[i]!.writes) expect(text.endsWith('\n')).toBe(true)
      // Batches: far fewer writes than steps.
      expect(ios[i]!.writes.length).toBeLessThan(20)
    })
  })

  it('writes at once when 64 KB are waiting, opening events included', async () => {
    const io = recordingIo()
    const writer = new TranscriptWriter(join(dir, 'big.jsonl'), HEADER, undefined, io, { eager: false })
    await writer.ready()
    const big: BatonEvent = {
      type: 'model.request',
      path: 'root/1/model',
      model: 'scripted:model',
      messages: [{ role: 'user', content: 'x'.repeat(70_000) }],
      hash: 'h',
      specHash: 's',
    }
    writer.write(big, 0, 0)
    expect(io.writes).toHaveLength(2)
    await writer.close()
  })
})

describe('an eager writer (a run whose events are streamed)', () => {
  it('writes a slow step at once, and instant ones at the next idle moment', async () => {
    const io = recordingIo()
    const writer = new TranscriptWriter(join(dir, 'eager.jsonl'), HEADER, undefined, io)
    await writer.ready()
    const [response, call, result, request] = step(1, 3)
    writer.write(response!, 0, 0)
    expect(io.writes).toHaveLength(2)
    writer.write(call!, 1, 0)
    writer.write(result!, 2, 0)
    writer.write(request!, 3, 0)
    expect(io.writes).toHaveLength(2)
    await idle()
    expect(io.writes).toHaveLength(3)
    await writer.close()
  })
})

describe('a model request serialized once for its hash and its line', () => {
  const frame = { agent: {} } as Frame
  const history: Message[] = [
    { role: 'system', content: 'Answer.' },
    { role: 'user', content: 'My key is sk-proj-abcdefghijklmnop1234 and {"password":"hunter2hunter2"}' },
    {
      role: 'assistant',
      content: '',
      toolCalls: [
        { id: 'c1', name: 'login', args: { user: 'ada', apiKey: 'plain', nested: { list: [1, 2] } } },
      ],
    },
    { role: 'tool', toolCallId: 'c1', toolName: 'login', content: '{"token":"abc","ok":true}' },
  ]

  /** The line a writer writes for a request event (the first event line of its file). */
  async function lineOf(event: BatonEvent, name: string): Promise<string> {
    const path = join(dir, `${name}.jsonl`)
    const writer = new TranscriptWriter(path, HEADER)
    writer.write(event, 0, 0)
    await writer.close()
    return readFileSync(path, 'utf8').split('\n')[1]!
  }

  it('writes the same line as serializing the messages again, redacted, and hashes that text', async () => {
    const state = new LoopState(frame)
    for (const message of history) state.push(message)
    const { fresh, hash } = state.nextRequest('spec', true)
    const request = (messages: Message[]): BatonEvent => ({
      type: 'model.request',
      path: 'root/1/model',
      model: 'scripted:model',
      messages,
      hash,
      specHash: 'spec',
      maxTokens: 100,
    })
    // The state remembered the JSON of `fresh`; a copy of the array was never serialized.
    const reused = await lineOf(request(fresh), 'reused')
    const again = await lineOf(request([...fresh]), 'again')
    expect(reused).toBe(again)
    const messagesJson = transcriptJson(fresh, redactor(), 2)
    expect(reused).toContain(`"model":"scripted:model","messages":${messagesJson},"hash":"${hash}"`)
    expect(reused).not.toContain('hunter2')
    expect(reused).not.toContain('abcdefghijklmnop1234')
    expect(JSON.parse(reused)).toMatchObject({ seq: 0, t: 0, type: 'model.request', maxTokens: 100 })
  })

  it('serializes a request again when its messages are not the ones last hashed', async () => {
    const state = new LoopState(frame)
    state.push(history[0]!)
    const first = state.nextRequest('spec', true).fresh
    state.push(history[1]!)
    state.nextRequest('spec', true)
    const event: BatonEvent = {
      type: 'model.request',
      path: 'root/1/model',
      model: 'scripted:model',
      messages: first,
      hash: 'h',
      specHash: 'spec',
    }
    const line = JSON.parse(await lineOf(event, 'older')) as { messages: unknown }
    expect(line.messages).toEqual([{ role: 'system', content: 'Answer.' }])
  })
})

describe('redactor()', () => {
  it('is one redactor while the key variables keep their values, and a new one when they change', () => {
    const a = redactor({ OPENAI_API_KEY: 'key-one-1234567' })
    expect(redactor({ OPENAI_API_KEY: 'key-one-1234567' })).toBe(a)
    const b = redactor({ OPENAI_API_KEY: 'key-two-1234567' })
    expect(b).not.toBe(a)
    expect(b.string('use key-two-1234567 now')).toBe('use [redacted] now')
    expect(b.string('use key-one-1234567 now')).toBe('use key-one-1234567 now')
  })
})

describe('the place a transcript goes', () => {
  it('is checked once for runs started together, and again once the event loop has turned', async () => {
    const place = join(dir, 'runs')
    const io = recordingIo()
    const first = new TranscriptWriter(join(place, 'a.jsonl'), HEADER, undefined, io)
    const second = new TranscriptWriter(join(place, 'b.jsonl'), HEADER, undefined, io)
    expect(await first.close()).toBeUndefined()
    expect(await second.close()).toBeUndefined()
    // The directory goes away between two turns: the next writer makes it again.
    rmSync(place, { recursive: true })
    await idle()
    const third = new TranscriptWriter(join(place, 'c.jsonl'), HEADER, undefined, io)
    expect(await third.close()).toBeUndefined()
    expect(JSON.parse(readFileSync(join(place, 'c.jsonl'), 'utf8').split('\n')[0]!)).toMatchObject({
      runId: 'run_1',
    })
  })

  it('still refuses, before the run starts, a place where no file can be made', () => {
    const file = join(dir, 'not-a-dir')
    fs.writeFileSync(file, '')
    expect(() => new TranscriptWriter(join(file, 'run.jsonl'), HEADER)).toThrow(/not-a-dir/)
    expect(() => new TranscriptWriter(join(file, 'run.jsonl'), HEADER)).toThrow(/not-a-dir/)
  })
})
