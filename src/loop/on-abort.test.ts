import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { onAbort } from './on-abort.js'

describe('onAbort', () => {
  it('puts one listener on the signal however many wait, and removes it when the last stops', () => {
    const controller = new AbortController()
    const offs = Array.from({ length: 50 }, () => onAbort(controller.signal, () => {}))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    for (const off of offs.slice(1)) off()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    offs[0]!()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    // Waiting again after everyone left works as the first time.
    const seen: unknown[] = []
    onAbort(controller.signal, (reason) => seen.push(reason))
    controller.abort('why')
    expect(seen).toEqual(['why'])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('calls every waiter still waiting once with the reason, and none that stopped waiting', () => {
    const controller = new AbortController()
    const calls: string[] = []
    const fn = (reason: unknown) => calls.push(String(reason))
    onAbort(controller.signal, fn)
    const off = onAbort(controller.signal, fn)
    onAbort(controller.signal, () => calls.push('other'))
    const gone = onAbort(controller.signal, () => calls.push('gone'))
    gone()
    off()
    off()
    controller.abort('stop')
    controller.abort('again')
    expect(calls).toEqual(['stop', 'other'])
  })

  it('calls at once for a signal already aborted, and adds no listener', () => {
    const signal = AbortSignal.abort('early')
    const seen: unknown[] = []
    const off = onAbort(signal, (reason) => seen.push(reason))
    expect(seen).toEqual(['early'])
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
    off()
  })
})
