/**
 * The contract every `Model` implementation must meet (the scripted model now, every provider
 * adapter later). Each implementation supplies a factory that returns a model primed to answer
 * the scenario named by `script`.
 */
import { describe, expect, it } from 'vitest'
import type { Model, ModelRequest, ModelResponse } from '../../src/index.js'

export type ContractScript = 'text' | 'tool-calls' | 'slow'

export interface ModelContractSubject {
  name: string
  /** Whether the model must implement `stream` (every provider adapter does). */
  streaming?: boolean
  /** A model that answers the next request per `script`: 'text' says "hello"; 'tool-calls' calls `lookup` twice ({ q: "a" }, { q: "b" }); 'slow' takes 10 s or more. */
  make(script: ContractScript): Model | Promise<Model>
}

const request: ModelRequest = {
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello, or look up a and b.' },
  ],
  tools: [
    {
      name: 'lookup',
      description: 'Looks up a word',
      parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    },
  ],
}

export function modelContract(subject: ModelContractSubject): void {
  describe(`Model contract: ${subject.name}`, () => {
    it('declares the versioned spec and a provider:model id', async () => {
      const model = await subject.make('text')
      expect(model.spec).toBe('baton.model.v1')
      expect(model.id).toMatch(/^[a-z]+:.+/)
    })

    it('answers text as an assistant message with a stop reason and usage', async () => {
      const response = await (await subject.make('text')).generate(request)
      expect(response.message.role).toBe('assistant')
      expect(response.message.content).toContain('hello')
      expect(response.message.toolCalls ?? []).toEqual([])
      expect(response.finishReason).toBe('stop')
      expect(Number.isInteger(response.usage.inputTokens) && response.usage.inputTokens >= 0).toBe(true)
      expect(Number.isInteger(response.usage.outputTokens) && response.usage.outputTokens >= 0).toBe(true)
    })

    it('returns parallel tool calls in order, with unique ids and parsed object arguments', async () => {
      const response = await (await subject.make('tool-calls')).generate(request)
      const calls = response.message.toolCalls ?? []
      expect(calls.map((call) => [call.name, call.args])).toEqual([
        ['lookup', { q: 'a' }],
        ['lookup', { q: 'b' }],
      ])
      expect(new Set(calls.map((call) => call.id)).size).toBe(2)
      expect(calls.every((call) => typeof call.id === 'string' && call.id.length > 0)).toBe(true)
      expect(response.finishReason).toBe('tool-calls')
    })

    it('streams the same response it generates: text deltas, then a finish event', async () => {
      const model = await subject.make('text')
      if (!model.stream) return expect(subject.streaming ?? false).toBe(false)
      const generated = await (await subject.make('text')).generate(request)
      const events = []
      for await (const event of model.stream(request)) events.push(event)
      const last = events.at(-1)
      expect(last?.type).toBe('finish')
      const text = events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('')
      expect(text).toBe(generated.message.content)
      if (last?.type === 'finish') expect(normalize(last.response)).toEqual(normalize(generated))
    })

    it('streams parallel tool calls assembled like the generated ones', async () => {
      const model = await subject.make('tool-calls')
      if (!model.stream) return expect(subject.streaming ?? false).toBe(false)
      const generated = await (await subject.make('tool-calls')).generate(request)
      let finish: ModelResponse | undefined
      for await (const event of model.stream(request)) if (event.type === 'finish') finish = event.response
      expect(finish && normalize(finish)).toEqual(normalize(generated))
    })

    it('stops promptly when its signal aborts', async () => {
      const model = await subject.make('slow')
      const controller = new AbortController()
      const started = Date.now()
      setTimeout(() => controller.abort(new Error('stop now')), 20)
      await expect(model.generate(request, { signal: controller.signal })).rejects.toBeDefined()
      // Well before the 10 s the answer takes.
      expect(Date.now() - started).toBeLessThan(5_000)
    })
  })
}

/** What must agree between a streamed and a plain call (ids are compared by position only). */
function normalize(response: ModelResponse) {
  return {
    content: response.message.content,
    toolCalls: (response.message.toolCalls ?? []).map((call) => ({ name: call.name, args: call.args })),
    finishReason: response.finishReason,
    usage: response.usage,
  }
}
