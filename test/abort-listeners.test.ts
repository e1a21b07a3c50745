import { getEventListeners } from 'node:events'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, type Model, type ModelRequest, run, stream } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { collect } from './helpers.js'

const COUNT = 30

let warnings: Error[] = []
const onWarning = (warning: Error) => warnings.push(warning)
beforeEach(() => {
  warnings = []
  process.on('warning', onWarning)
})
afterEach(() => {
  process.off('warning', onWarning)
})

/** Lets `count` callers through together, so that they are all in flight at once. */
function barrier(count: number) {
  let arrived = 0
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return async () => {
    if (++arrived === count) open()
    await Promise.race([opened, new Promise((resolve) => setTimeout(resolve, 5_000))])
  }
}

/**
 * A model that listens on its call's signal the way an HTTP client does: one listener,
 * added for the call, removed after it. All its calls wait for each other.
 */
function listeningModel(together: () => Promise<void>, seen: AbortSignal[]): Model {
  return {
    spec: 'baton.model.v1',
    id: 'scripted:listening',
    async generate(_request, options) {
      const signal = options!.signal!
      seen.push(signal)
      const onAbort = () => {}
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        await together()
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
      return {
        message: { role: 'assistant', content: 'part done' },
        usage: { inputTokens: 1, outputTokens: 1 },
        finishReason: 'stop',
      }
    },
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))
const leakWarnings = () => warnings.filter((w) => w.name === 'MaxListenersExceededWarning')

describe('abort listeners', () => {
  it(`${COUNT} concurrent sub-agents add no listener that outlives them, and no warning`, async () => {
    const seen: AbortSignal[] = []
    const together = barrier(COUNT)
    let toolSignals = 0
    const tick = defineTool({
      name: 'tick',
      description: 'Waits for its siblings',
      input: z.object({}),
      run: async (_input, ctx) => {
        const onAbort = () => {}
        ctx.signal.addEventListener('abort', onAbort)
        toolSignals = Math.max(toolSignals, getEventListeners(ctx.signal, 'abort').length)
        ctx.signal.removeEventListener('abort', onAbort)
        return 'ticked'
      },
    })
    const worker = defineAgent({
      name: 'worker',
      description: 'Does a part',
      instructions: 'w',
      tools: [tick],
      // Each worker calls tick once, then answers; the workers share one script.
      model: scriptedModel(
        Array.from(
          { length: 2 * COUNT },
          () => (request: ModelRequest) =>
            request.messages.some((m) => m.role === 'tool')
              ? { text: 'worker done' }
              : { toolCalls: [{ name: 'tick', args: {} }] },
        ),
      ),
    })
    const listening = defineAgent({
      name: 'listening',
      description: 'Does a part, listening on its signal',
      instructions: 'l',
      model: listeningModel(together, seen),
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: scriptedModel([
        {
          toolCalls: Array.from({ length: 2 * COUNT }, (_, i) => ({
            name: i % 2 ? 'delegate_worker' : 'delegate_listening',
            args: { task: `part ${i}` },
          })),
        },
        { text: 'lead done' },
      ]),
      agents: [listening, worker],
      toolConcurrency: 2 * COUNT,
    })
    const controller = new AbortController()
    const before = getEventListeners(controller.signal, 'abort').length
    const { result } = await collect(stream(lead, 'go', { signal: controller.signal }))
    await settle()
    expect(result.status).toBe('done')
    expect(seen).toHaveLength(COUNT)
    expect(leakWarnings()).toEqual([])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(before)
    for (const signal of seen) expect(getEventListeners(signal, 'abort')).toHaveLength(0)
    expect(toolSignals).toBeLessThanOrEqual(1)
  })

  it('as many concurrent tool calls as the agent allows may each listen on its signal, with no warning', async () => {
    const concurrency = 16
    const together = barrier(concurrency)
    let signal: AbortSignal | undefined
    const fetchLike = defineTool({
      name: 'fetch_like',
      description: 'Listens twice on its signal, as a lookup then a request would',
      input: z.object({ n: z.number() }),
      run: async (_input, ctx) => {
        signal = ctx.signal
        const first = () => {}
        const second = () => {}
        ctx.signal.addEventListener('abort', first)
        ctx.signal.addEventListener('abort', second)
        await together()
        ctx.signal.removeEventListener('abort', first)
        ctx.signal.removeEventListener('abort', second)
        return 'fetched'
      },
    })
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [fetchLike],
      toolConcurrency: concurrency,
      model: scriptedModel([
        { toolCalls: Array.from({ length: concurrency }, (_, n) => ({ name: 'fetch_like', args: { n } })) },
        { text: 'done' },
      ]),
    })
    const result = await run(agent, 'go')
    await settle()
    expect(result.status).toBe('done')
    expect(leakWarnings()).toEqual([])
    expect(getEventListeners(signal!, 'abort')).toHaveLength(0)
  })

  it(`${COUNT} concurrent runs sharing one signal leave it as they found it`, async () => {
    const controller = new AbortController()
    const onAbort = () => {}
    controller.signal.addEventListener('abort', onAbort)
    const before = getEventListeners(controller.signal, 'abort').length
    const together = barrier(COUNT)
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: listeningModel(together, []),
    })
    const results = await Promise.all(
      Array.from({ length: COUNT }, () => run(agent, 'go', { signal: controller.signal })),
    )
    await settle()
    expect(results.every((r) => r.status === 'done')).toBe(true)
    expect(leakWarnings()).toEqual([])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(before)
    controller.signal.removeEventListener('abort', onAbort)
  })

  it(`an abort still reaches all ${COUNT} concurrent sub-agents, and then nothing is left listening`, async () => {
    const seen: AbortSignal[] = []
    const hung: Model = {
      spec: 'baton.model.v1',
      id: 'scripted:hung',
      generate: (_request, options) => {
        seen.push(options!.signal!)
        return new Promise(() => {})
      },
    }
    const worker = defineAgent({ name: 'worker', description: 'Hangs', instructions: 'w', model: hung })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: scriptedModel([
        {
          toolCalls: Array.from({ length: COUNT }, (_, i) => ({
            name: 'delegate_worker',
            args: { task: `part ${i}` },
          })),
        },
      ]),
      agents: [worker],
      toolConcurrency: COUNT,
    })
    const controller = new AbortController()
    const running = run(lead, 'go', { signal: controller.signal })
    for (let i = 0; i < 1_000 && seen.length < COUNT; i++) await settle()
    expect(seen).toHaveLength(COUNT)
    controller.abort()
    const result = await running
    await settle()
    expect(result.status).toBe('aborted')
    expect(seen.every((signal) => signal.aborted)).toBe(true)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    expect(leakWarnings()).toEqual([])
  })
})
