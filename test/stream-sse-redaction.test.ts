/**
 * What leaves the process as server-sent events is no more than a transcript may hold. A
 * transcript redacts each answer whole; a model writes a secret in several pieces (a tokenizer
 * cuts `sk-proj-…` into many), and each piece alone looks like nothing. The pieces sent must
 * never carry what the whole answer's redaction removes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type BatonEvent,
  defineAgent,
  type Model,
  type ModelResponse,
  type ModelStreamEvent,
  stream,
} from '../src/index.js'
import { isDelta, streamedText } from './helpers.js'

afterEach(() => {
  vi.unstubAllEnvs()
})

/** A model that streams `pieces` (a piece `null` is a restart), then answers `response`. */
function piecewise(pieces: (ModelStreamEvent | string | null)[], message: ModelResponse['message']): Model {
  const response: ModelResponse = {
    message,
    usage: { inputTokens: 1, outputTokens: 1 },
    finishReason: 'stop',
  }
  return {
    spec: 'baton.model.v1',
    id: 'scripted:piecewise',
    generate: async () => response,
    async *stream(): AsyncGenerator<ModelStreamEvent> {
      for (const piece of pieces)
        if (piece === null) yield { type: 'restart' }
        else yield typeof piece === 'string' ? { type: 'text-delta', text: piece } : piece
      yield { type: 'finish', response }
    },
  }
}

/** The events a server-sent events body carried. */
async function sent(model: Model): Promise<{ body: string; events: BatonEvent[] }> {
  const agent = defineAgent({ name: 'a', instructions: 'x', model, budget: { maxSteps: 1 } })
  const body = await stream(agent, 'go').toResponse().text()
  const events = body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as BatonEvent)
  return { body, events }
}

function responseOf(events: BatonEvent[]) {
  const response = events.find((event) => event.type === 'model.response')
  if (response?.type !== 'model.response') throw new Error('no model.response was sent')
  return response
}

describe('deltas sent as server-sent events', () => {
  it('carry no piece of a secret the model wrote across several deltas', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'envsecret-4f9a2c7e1b')
    const pieces = [
      'Use sk-proj-A1b2',
      'C3d4E5f6G7h8I9j0 with Bearer abcdef',
      'ghijklmnop, or envsec',
      'ret-4f9a2c7e1b.',
    ]
    const { body, events } = await sent(piecewise(pieces, { role: 'assistant', content: pieces.join('') }))
    for (const fragment of ['A1b2', 'C3d4', 'abcdef', 'ghijklmnop', 'envsec', '4f9a2c7e1b'])
      expect(body).not.toContain(fragment)
    const { content } = responseOf(events).message
    expect(content).toBe('Use sk-[redacted] with Bearer [redacted], or [redacted].')
    // The pieces still add up to the answer as the transcript holds it, and still stream.
    expect(streamedText(events).get('root/1/model')).toBe(content)
    expect(events.filter((event) => event.type === 'model.delta').length).toBeGreaterThan(2)
  })

  it('hold an answer that is JSON until it is whole, then send it redacted by its field names', async () => {
    const pieces = ['{"city": "Lisbon", "tok', 'en": "s3cr3t-', 'value-77"}']
    const { body, events } = await sent(piecewise(pieces, { role: 'assistant', content: pieces.join('') }))
    expect(body).not.toContain('s3cr3t')
    const { content } = responseOf(events).message
    expect(JSON.parse(content)).toEqual({ city: 'Lisbon', token: '[redacted]' })
    expect(streamedText(events).get('root/1/model')).toBe(content)
  })

  it('send a tool call’s arguments whole, redacted as JSON', async () => {
    const call = (argsDelta: string, first = false): ModelStreamEvent => ({
      type: 'tool-call-delta',
      index: 0,
      argsDelta,
      ...(first ? { id: 'call_1', name: 'lookup' } : {}),
    })
    const { body, events } = await sent(
      piecewise([call('{"q":"x","password":"hun', true), call('ter2-long"}')], {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'lookup', args: { q: 'x', password: 'hunter2-long' } }],
      }),
    )
    expect(body).not.toContain('hun')
    const deltas = events.filter((event) => event.type === 'model.delta')
    expect(deltas).toHaveLength(1)
    const [delta] = deltas
    expect(delta?.kind === 'tool-call' && JSON.parse(delta.toolCall.argsDelta)).toEqual({
      q: 'x',
      password: '[redacted]',
    })
    expect(delta?.kind === 'tool-call' && delta.toolCall).toMatchObject({
      index: 0,
      id: 'call_1',
      name: 'lookup',
    })
  })

  it('keep their order and numbers: after the request, before the response, seq of the next event', async () => {
    const pieces = ['Half a sk-proj-ZZ', null, 'The answer is ', 'sk-proj-Q1w2E3r4T5y6U7i8', ' indeed.']
    const content = 'The answer is sk-proj-Q1w2E3r4T5y6U7i8 indeed.'
    const { body, events } = await sent(piecewise(pieces, { role: 'assistant', content }))
    expect(body).not.toContain('Q1w2')
    expect(streamedText(events).get('root/1/model')).toBe(responseOf(events).message.content)
    const request = events.findIndex((event) => event.type === 'model.request')
    const response = events.findIndex((event) => event.type === 'model.response')
    for (const [at, event] of events.entries()) {
      if (!isDelta(event)) continue
      expect(at).toBeGreaterThan(request)
      expect(at).toBeLessThan(response)
      expect(event.seq).toBe(events.slice(at + 1).find((later) => !isDelta(later))?.seq)
    }
  })
})
