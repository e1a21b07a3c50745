import { describe, expect, it } from 'vitest'
import { type CostTicket, UnpricedCosts } from './unpriced-costs.js'

const isTicket = (value: CostTicket | Promise<void>): value is CostTicket => !(value instanceof Promise)

describe('UnpricedCosts', () => {
  it('lets one call out until a cost is known, then reserves the largest seen', async () => {
    const costs = new UnpricedCosts()
    const first = costs.admit('m')
    expect(first).toEqual({ usd: 0, probe: true })
    const waiting = costs.admit('m')
    expect(waiting).toBeInstanceOf(Promise)
    // A call of another model whose cost is unknown waits too: one call holding nothing at a time.
    expect(costs.admit('other')).toBeInstanceOf(Promise)
    let woke = false
    void (waiting as Promise<void>).then(() => {
      woke = true
    })
    expect(costs.settle('m', first as CostTicket, 0.02, true)).toBe(false)
    await Promise.resolve()
    expect(woke).toBe(true)
    const next = costs.admit('m')
    expect(next).toEqual({ usd: 0.02, probe: false })
    costs.settle('m', next as CostTicket, 0.05, true)
    costs.settle('m', next as CostTicket, 0.01, true)
    expect(costs.admit('m')).toEqual({ usd: 0.05, probe: false })
    // The other model still has no cost known: its first call now goes out alone.
    expect(costs.admit('other')).toEqual({ usd: 0, probe: true })
  })

  it('hands the probe on when the first call fails or is refused', () => {
    const costs = new UnpricedCosts()
    const first = costs.admit('m')
    expect(isTicket(first) && first.probe).toBe(true)
    costs.settle('m', first as CostTicket, undefined, false)
    const second = costs.admit('m')
    expect(second).toEqual({ usd: 0, probe: true })
    expect(costs.admit('m')).toBeInstanceOf(Promise)
  })

  it('says once that a model answered without a cost, and then holds nothing back', () => {
    const costs = new UnpricedCosts()
    const first = costs.admit('m') as CostTicket
    expect(costs.settle('m', first, undefined, true)).toBe(true)
    const a = costs.admit('m')
    const b = costs.admit('m')
    expect([a, b]).toEqual([
      { usd: 0, probe: false },
      { usd: 0, probe: false },
    ])
    expect(costs.settle('m', a as CostTicket, undefined, true)).toBe(false)
  })
})
