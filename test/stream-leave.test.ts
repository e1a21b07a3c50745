/**
 * A reader that leaves a run's stream stops the run at once, whatever the run is doing: even
 * while no event is on its way (a model call that takes minutes, a tool that runs long), and
 * even before it read anything. Each model here answers only when its call is aborted, so a
 * run that is not stopped never ends (and the test times out).
 */
import { describe, expect, it } from 'vitest'
import { defineAgent, type Model, stream } from '../src/index.js'

/** A model that never answers: its calls end only when aborted. `aborted` counts those. */
function silentModel() {
  const seen = { calls: 0, aborted: 0 }
  const wait = (signal: AbortSignal | undefined) =>
    new Promise<never>((_, reject) => {
      seen.calls++
      signal?.addEventListener('abort', () => {
        seen.aborted++
        reject(signal.reason)
      })
    })
  const model: Model = {
    spec: 'baton.model.v1',
    id: 'scripted:silent',
    generate: (_request, options) => wait(options?.signal),
    // biome-ignore lint/correctness/useYield: it never yields; it waits for the abort
    async *stream(_request, options) {
      await wait(options?.signal)
    },
  }
  return { model, seen }
}

/** Lets `n` turns of the event loop go by (pending reads start, the body asks for more). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

const agentWith = (model: Model) => defineAgent({ name: 'thinker', instructions: 'x', model })

/** Reads events until the model call is under way (its request is out, nothing else is coming). */
async function untilModelCall(iterator: AsyncIterator<{ type: string }>): Promise<void> {
  for (;;) {
    const next = await iterator.next()
    if (next.done) throw new Error('the run ended before its model call')
    if (next.value.type === 'model.request') return
  }
}

describe('a reader that leaves stops the run at once', () => {
  it.each([true, false])(
    'return() while a next() waits for an event that is not coming (deltas %s)',
    async (deltas) => {
      const { model, seen } = silentModel()
      const events = stream(agentWith(model), 'think hard', { deltas })
      const iterator = events[Symbol.asyncIterator]()
      await untilModelCall(iterator)
      const waiting = iterator.next()
      await iterator.return?.()
      expect(await waiting).toEqual({ done: true, value: undefined })
      expect(seen.aborted).toBe(1)
      const result = await events.result
      expect(result).toMatchObject({ status: 'aborted', stopReason: 'consumer' })
      // Nothing more comes once the reader left.
      expect(await iterator.next()).toEqual({ done: true, value: undefined })
    },
    2_000,
  )

  it('return() before reading anything', async () => {
    const { model } = silentModel()
    const events = stream(agentWith(model), 'think hard')
    await events[Symbol.asyncIterator]().return?.()
    expect(await events.result).toMatchObject({ status: 'aborted', stopReason: 'consumer' })
  }, 2_000)

  it('text(): return() while it waits, and before it started', async () => {
    const first = silentModel()
    const events = stream(agentWith(first.model), 'think hard')
    const text = events.text()[Symbol.asyncIterator]()
    const waiting = text.next()
    // Let the run reach its model call before leaving.
    while (first.seen.calls === 0) await new Promise((resolve) => setImmediate(resolve))
    await text.return?.()
    expect(await waiting).toEqual({ done: true, value: undefined })
    expect(await events.result).toMatchObject({ status: 'aborted', stopReason: 'consumer' })

    const second = silentModel()
    const unstarted = stream(agentWith(second.model), 'think hard')
    await unstarted.text()[Symbol.asyncIterator]().return?.()
    expect(await unstarted.result).toMatchObject({ status: 'aborted', stopReason: 'consumer' })
  }, 2_000)

  it('a server-sent events body cancelled while the model thinks (a browser tab closed)', async () => {
    const { model, seen } = silentModel()
    const events = stream(agentWith(model), 'think hard', { deltas: false })
    const reader = events.toReadableStream().getReader()
    const decoder = new TextDecoder()
    let sent = ''
    while (!sent.includes('event: model.request')) sent += decoder.decode((await reader.read()).value)
    // The body is now waiting for the next event, which only the model's answer would bring.
    while (seen.calls === 0) await new Promise((resolve) => setImmediate(resolve))
    await turns(5)
    await reader.cancel()
    expect(seen.aborted).toBe(1)
    expect(await events.result).toMatchObject({ status: 'aborted', stopReason: 'consumer' })
  }, 2_000)

  it('two next() calls at once each get an event, in order, and both end when the reader leaves', async () => {
    const { model } = silentModel()
    const events = stream(agentWith(model), 'think hard', { deltas: false })
    const iterator = events[Symbol.asyncIterator]()
    const [a, b] = await Promise.all([iterator.next(), iterator.next()])
    expect([a.value?.type, b.value?.type]).toEqual(['run.start', 'agent.start'])
    await iterator.next() // model.request
    const [c, d] = [iterator.next(), iterator.next()]
    await iterator.return?.()
    expect(await Promise.all([c, d])).toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ])
    expect((await events.result).status).toBe('aborted')
  }, 2_000)
})
