import { describe, expect, it } from 'vitest'
import { Stopper } from './stopper.js'

describe('Stopper', () => {
  it('stops once, with the first reason, and tells each waiter once', () => {
    const stopper = new Stopper()
    const heard: unknown[] = []
    const wait = (reason: unknown) => heard.push(reason)
    stopper.onStop(wait)
    stopper.onStop(wait) // the same function twice is two waiters
    const gone = stopper.onStop(() => heard.push('never'))
    gone()
    expect(stopper.stopped).toBe(false)
    stopper.stop('first')
    stopper.stop('second')
    expect(stopper.stopped).toBe(true)
    expect(stopper.reason).toBe('first')
    expect(heard).toEqual(['first', 'first'])
  })

  it('answers a waiter that comes after the stop at once', () => {
    const stopper = new Stopper()
    stopper.stop('late')
    const heard: unknown[] = []
    stopper.onStop((reason) => heard.push(reason))
    expect(heard).toEqual(['late'])
  })

  it('runs what a subclass does on stopping before the waiters hear of it', () => {
    const order: string[] = []
    class Linked extends Stopper {
      protected override stopping(): void {
        order.push('stopping')
      }
    }
    const linked = new Linked()
    linked.onStop(() => order.push('waiter'))
    linked.stop('x')
    expect(order).toEqual(['stopping', 'waiter'])
  })
})

describe('Stopper waiters', () => {
  it('keeps the others, in the order they came, when one in the middle, the first or the last stops waiting', () => {
    const stopper = new Stopper()
    const heard: string[] = []
    const offs = ['a', 'b', 'c', 'd', 'e'].map((name) => stopper.onStop(() => heard.push(name)))
    offs[2]!() // middle
    offs[4]!() // the newest
    offs[0]!() // the oldest
    offs[2]!() // twice is harmless
    const more = stopper.onStop(() => heard.push('f'))
    stopper.onStop(() => heard.push('g'))
    more()
    stopper.onStop(() => heard.push('h'))
    stopper.stop('x')
    expect(heard).toEqual(['b', 'd', 'g', 'h'])
  })

  it('tells everyone waiting at the stop, in the order they came, even when one of them stops waiting on another', () => {
    const stopper = new Stopper()
    const heard: string[] = []
    let offLater: () => void = () => {}
    stopper.onStop(() => {
      heard.push('first')
      offLater()
    })
    offLater = stopper.onStop(() => heard.push('later'))
    stopper.stop('x')
    expect(heard).toEqual(['first', 'later'])
    // Waiting on a stopped stopper answers at once; stopping to wait afterwards does nothing.
    offLater()
    stopper.onStop(() => heard.push('after'))()
    expect(heard).toContain('after')
  })
})
