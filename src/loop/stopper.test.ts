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
