/**
 * Server-sent events send a comment line while no event comes for a while (a long model or tool
 * call), so that proxies that close idle connections keep the stream open. Time comes from the
 * run's fake clock.
 */
import { describe, expect, it } from 'vitest'
import { defineAgent, defineTool, stream } from '../src/index.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'

/** A tool that answers when the test says so. */
function heldTool() {
  let release!: (text: string) => void
  const answer = new Promise<string>((resolve) => {
    release = resolve
  })
  const tool = defineTool({
    name: 'slow',
    description: 'Takes its time',
    input: { type: 'object', properties: {} },
    run: () => answer,
  })
  return { tool, release }
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

function setUp() {
  const clock = fakeClock(1_000_000)
  const { tool, release } = heldTool()
  const agent = defineAgent({
    name: 'waiter',
    instructions: 'x',
    model: scriptedModel([{ toolCalls: [{ name: 'slow', args: {} }] }, { text: 'done' }]),
    tools: [tool],
  })
  return { clock, release, events: stream(agent, 'wait', { clock }) }
}

// A read still waiting when `readAvailable` returned: the next call takes its chunk.
const pending = new WeakMap<object, Promise<ReadableStreamReadResult<Uint8Array>>>()

/** Reads what the body has sent so far (until nothing more comes within a few turns). */
async function readAvailable(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for (;;) {
    const read = pending.get(reader) ?? reader.read()
    pending.set(reader, read)
    const chunk = await Promise.race([read, turns(20).then(() => undefined)])
    if (chunk === undefined) return text
    pending.delete(reader)
    if (chunk.done) return `${text}<end>`
    text += decoder.decode(chunk.value)
  }
}

describe('server-sent event heartbeats', () => {
  it('sends ": keep-alive" after 15 s without an event, again each 15 s, and the events after it', async () => {
    const { clock, release, events } = setUp()
    const reader = events.toReadableStream().getReader()
    const first = await readAvailable(reader)
    expect(first).toContain('event: tool.call')
    expect(first).not.toContain('keep-alive')
    clock.advance(14_999)
    expect(await readAvailable(reader)).toBe('')
    clock.advance(1)
    expect(await readAvailable(reader)).toBe(': keep-alive\n\n')
    clock.advance(15_000)
    expect(await readAvailable(reader)).toBe(': keep-alive\n\n')
    release('ok')
    const rest = await readAvailable(reader)
    expect(rest).toContain('event: tool.result')
    expect(rest).toContain('event: run.end')
    expect(rest.endsWith('<end>')).toBe(true)
    // No event was lost to a heartbeat: every seq from 0 to run.end's is there once.
    const ids = [...`${first}${rest}`.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
    expect(ids).toEqual(ids.map((_, i) => i))
    expect(ids.length).toBeGreaterThan(5)
    expect((await events.result).status).toBe('done')
  })

  it('takes its interval from the options of toResponse, and 0 turns it off', async () => {
    const off = setUp()
    const body = off.events.toResponse(undefined, { heartbeatMs: 0 }).body!.getReader()
    await readAvailable(body)
    off.clock.advance(60 * 60_000)
    expect(await readAvailable(body)).toBe('')
    off.release('ok')
    expect(await readAvailable(body)).toContain('event: run.end')

    const fast = setUp()
    const reader = fast.events.toReadableStream({ heartbeatMs: 1_000 }).getReader()
    await readAvailable(reader)
    fast.clock.advance(1_000)
    expect(await readAvailable(reader)).toBe(': keep-alive\n\n')
    fast.release('ok')
    expect(await readAvailable(reader)).toContain('event: run.end')
  })

  it('refuses an interval that is not a whole number of milliseconds a timer can hold', () => {
    for (const heartbeatMs of [-1, 1.5, Number.NaN, 2 ** 31, '15000' as unknown as number]) {
      const { events } = setUp()
      expect(() => events.toReadableStream({ heartbeatMs }), String(heartbeatMs)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining('heartbeatMs') }),
      )
      // The refusal took nothing: the events can still be read.
      expect(() => events.toReadableStream()).not.toThrow()
    }
  })
})
