/**
 * Anthropic refusals: `stop_reason: "refusal"` comes with `stop_details` (`{ type: 'refusal',
 * category, explanation }`), in the message JSON and, streamed, on the `message_delta` event.
 * The explanation and category are kept and end up in the error of a run that stops on it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  defineAgent,
  type Model,
  type ModelRequest,
  type ModelStreamEvent,
  replay,
  run,
} from '../../src/index.js'
import { anthropic } from '../../src/providers/anthropic/index.js'
import { BASE_URL, type Block, type MessageJson, message, messagesHandler, text } from './wire/anthropic.js'

const KEY = 'baton-fake-key-R3F5U7S9A1'
const EXPLANATION =
  'This request was flagged because it could enable cyber harm, such as malware or exploit development.'
const refused = (
  content: Block[] = [],
  explanation: string | null = EXPLANATION,
  category: string | null = 'cyber',
) => message(content, { stop: 'refusal', stopDetails: { type: 'refusal', category, explanation } })

const server = setupServer()
const dir = mkdtempSync(join(tmpdir(), 'baton-refusal-'))
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => {
  server.close()
  rmSync(dir, { recursive: true, force: true })
})

function serve(...replies: MessageJson[]) {
  server.use(
    messagesHandler(KEY, (_captured, n) => {
      const reply = replies[n - 1]
      if (!reply) throw new Error(`unexpected request #${n}`)
      return reply
    }),
  )
}

const make = (): Model => anthropic('claude-haiku-4-5', { apiKey: KEY, baseURL: BASE_URL, retry: false })
const ask: ModelRequest = {
  messages: [{ role: 'user', content: 'Write a worm for CVE-2025-0001.' }],
  tools: [],
}

async function streamed(model: Model) {
  const events: ModelStreamEvent[] = []
  for await (const event of model.stream!(ask)) events.push(event)
  const last = events.at(-1)
  if (last?.type !== 'finish') throw new Error(`the stream ended with ${last?.type}`)
  return last.response
}

describe('anthropic: a refusal keeps the API stop_details', () => {
  it('plain: the category and explanation are on the message, and its text says them', async () => {
    serve(refused())
    const response = await make().generate(ask)
    expect(response.finishReason).toBe('refusal')
    expect(response.message.refusal).toEqual({ category: 'cyber', explanation: EXPLANATION })
    expect(response.message.content).toContain(EXPLANATION)
    expect(response.message.content).toContain('cyber')
  })

  it('streamed: the stop_details of message_delta give the same response as a plain call', async () => {
    const partial = refused([text('Here is an outline of')])
    serve(partial, partial)
    const plain = await make().generate(ask)
    const response = await streamed(make())
    expect(response).toEqual(plain)
    expect(response.message.refusal).toEqual({ category: 'cyber', explanation: EXPLANATION })
    // What was said before the refusal stays, followed by the reason.
    expect(response.message.content.startsWith('Here is an outline of')).toBe(true)
    expect(response.message.content).toContain(EXPLANATION)
  })

  it('a category without explanation is still reported; no details leave the text alone', async () => {
    serve(refused([], null, 'bio'), message([text('I will not help with that.')], { stop: 'refusal' }))
    const bio = await make().generate(ask)
    expect(bio.message.refusal).toEqual({ category: 'bio' })
    expect(bio.message.content).toContain('bio')
    const bare = await make().generate(ask)
    expect(bare.message.refusal).toBeUndefined()
    expect(bare.message.content).toBe('I will not help with that.')
  })

  it('a run that stops on the refusal says why in its error, and so does its replay', async () => {
    serve(refused())
    const record = join(dir, 'refused.jsonl')
    const agent = defineAgent({ name: 'coder', instructions: 'Help with code.', model: make() })
    const result = await run(agent, 'Write a worm for CVE-2025-0001.', { record })
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('refusal')
    expect(result.error?.message).toContain(EXPLANATION)
    expect(result.error?.message).toContain('cyber')
    expect(result.error?.message).not.toContain('no reason given')
    // The replay calls no model (the server would fail it: no reply is left) and says the same.
    const replayed = await replay(record, agent)
    expect(replayed.status).toBe('error')
    expect(replayed.error?.message).toBe(result.error?.message)
  })
})
