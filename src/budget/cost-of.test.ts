import { describe, expect, it } from 'vitest'
import { Budget } from './budget.js'
import { costOf, type ModelPrice } from './price-table.js'

const PRICE: ModelPrice = { input: 2, output: 10, cachedInput: 0.5, cacheWrite: 2.5 }
// 1000 input tokens at $2/M and 100 output tokens at $10/M.
const PLAIN = (1000 * 2 + 100 * 10) / 1e6

describe('costOf with token counts a provider got wrong', () => {
  it.each([
    ['NaN cached tokens', { cachedInputTokens: Number.NaN }],
    ['negative cached tokens', { cachedInputTokens: -1e9 }],
    ['infinite cached tokens count as all of the input', { cachedInputTokens: Number.POSITIVE_INFINITY }],
    ['NaN cache writes', { cacheWriteTokens: Number.NaN }],
    ['negative cache writes', { cacheWriteTokens: -1e9 }],
    ['cached tokens that are a string', { cachedInputTokens: '300' as unknown as number }],
  ])('%s: a finite cost, never more than the plain price of the input and output', (_, extra) => {
    const cost = costOf(PRICE, { inputTokens: 1000, outputTokens: 100, ...extra })
    expect(Number.isFinite(cost)).toBe(true)
    expect(cost).toBeGreaterThanOrEqual(0)
    expect(cost).toBeLessThanOrEqual((1000 * 2.5 + 100 * 10) / 1e6)
  })

  it('ignores what it cannot count, charging the rest as usual', () => {
    expect(
      costOf(PRICE, { inputTokens: 1000, outputTokens: 100, cachedInputTokens: Number.NaN }),
    ).toBeCloseTo(PLAIN, 12)
    expect(costOf(PRICE, { inputTokens: -5, outputTokens: Number.NaN })).toBe(0)
    // Cached tokens are a part of the input: more than all of it is all of it.
    expect(costOf(PRICE, { inputTokens: 1000, outputTokens: 0, cachedInputTokens: 5000 })).toBeCloseTo(
      (1000 * 0.5) / 1e6,
      12,
    )
  })
})

describe('Budget charges what it can count', () => {
  it('keeps its usage finite when a call reports NaN or negative counts, so limits still hold', () => {
    const root = new Budget('root', { maxCostUsd: 1, maxTokens: 1000 }, 0)
    const child = root.child('root/1/agent:a#0', {}, 0)
    const grant = child.beforeModelCall(0, 10, undefined, undefined)
    if ('limit' in grant) throw new Error('refused')
    child.settleModelCall(
      grant,
      {
        inputTokens: Number.NaN,
        outputTokens: -40,
        cachedInputTokens: Number.NaN,
        reasoningTokens: Number.POSITIVE_INFINITY,
      },
      Number.NaN,
    )
    for (const node of [child, root]) {
      for (const value of Object.values(node.used)) expect(Number.isFinite(value)).toBe(true)
      expect(node.used).toMatchObject({ steps: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 })
    }
    // A cost it is told is over the limit still stops the tree.
    const next = child.beforeModelCall(0, 10, undefined, undefined)
    if ('limit' in next) throw new Error('refused')
    child.settleModelCall(next, { inputTokens: 10, outputTokens: 10 }, 5)
    expect(root.checkSpent(0)).toMatchObject({ limit: 'maxCostUsd', at: 'root' })
  })
})
