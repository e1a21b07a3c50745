import { describe, expect, it } from 'vitest'
import { Budget, type BudgetRefusal, type ModelCallGrant } from './budget.js'
import { checkBudgetLimits, LIMITS } from './limits.js'
import { costOf, DEFAULT_PRICES, findPrice, layerPrices, type PriceTable, priceFor } from './price-table.js'

function granted(result: ModelCallGrant | BudgetRefusal): ModelCallGrant {
  if ('limit' in result) throw new Error(`expected a grant, got a refusal: ${JSON.stringify(result)}`)
  return result
}

function refused(result: ModelCallGrant | BudgetRefusal | undefined): BudgetRefusal {
  if (!result || !('limit' in result)) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`)
  return result
}

describe('Budget tree', () => {
  it('gives children depth + 1 and their own path', () => {
    const root = new Budget('root', {}, 0)
    const child = root.child('root/1/agent:a#0', {}, 10)
    const grandchild = child.child('root/1/agent:a#0/1/agent:b#0', {}, 20)
    expect([root.depth, child.depth, grandchild.depth]).toEqual([0, 1, 2])
    expect(grandchild.parent).toBe(child)
    expect(grandchild.startedAt).toBe(20)
  })

  it('charges model usage to the node and every ancestor, not to siblings', () => {
    const root = new Budget('root', {}, 0)
    const a = root.child('a', {}, 0)
    const b = root.child('b', {}, 0)
    const a1 = a.child('a1', {}, 0)
    const grant = granted(a1.beforeModelCall(0, 10, undefined, undefined))
    a1.settleModelCall(
      grant,
      { inputTokens: 10, outputTokens: 4, cachedInputTokens: 3, reasoningTokens: 1 },
      0.25,
    )
    for (const node of [a1, a, root]) {
      expect(node.used).toEqual({
        steps: 1,
        inputTokens: 10,
        outputTokens: 4,
        cachedInputTokens: 3,
        reasoningTokens: 1,
        costUsd: 0.25,
        toolCalls: 0,
      })
    }
    expect(b.used.steps).toBe(0)
    expect(b.used.inputTokens).toBe(0)
  })

  it('does not count a failed model call (no usage) as a step, and releases its reservation', () => {
    const root = new Budget('root', { maxSteps: 1 }, 0)
    const grant = granted(root.beforeModelCall(0, 1, undefined, undefined))
    // While in flight, the reservation holds the only step.
    expect(refused(root.beforeModelCall(0, 1, undefined, undefined)).limit).toBe('maxSteps')
    root.settleModelCall(grant, undefined, 0)
    expect(root.used.steps).toBe(0)
    const again = granted(root.beforeModelCall(0, 1, undefined, undefined))
    root.settleModelCall(again, { inputTokens: 1, outputTokens: 1 }, 0)
    expect(root.used.steps).toBe(1)
    expect(refused(root.beforeModelCall(0, 1, undefined, undefined))).toMatchObject({
      limit: 'maxSteps',
      used: 1,
      max: 1,
      at: 'root',
    })
  })

  it('refuses at the first node on the way to the root whose limit is spent', () => {
    const root = new Budget('root', { maxSteps: 3 }, 0)
    const child = root.child('child', { maxSteps: 10 }, 0)
    for (let i = 0; i < 3; i++) {
      child.settleModelCall(
        granted(child.beforeModelCall(0, 1, undefined, undefined)),
        {
          inputTokens: 0,
          outputTokens: 0,
        },
        0,
      )
    }
    expect(refused(child.beforeModelCall(0, 1, undefined, undefined))).toMatchObject({
      limit: 'maxSteps',
      at: 'root',
      max: 3,
    })
    expect(refused(child.checkSpent(0)).at).toBe('root')

    const tight = root.child('tight', { maxSteps: 0 }, 0)
    expect(refused(tight.beforeModelCall(0, 1, undefined, undefined)).at).toBe('tight')
    expect(new Budget('free', {}, 0).checkSpent(1e12)).toBeUndefined()
  })

  describe('maxTokens', () => {
    it('clips maxTokens to the smallest room left on the way to the root', () => {
      const root = new Budget('root', { maxTokens: 100 }, 0)
      expect(granted(root.beforeModelCall(0, 30, undefined, undefined)).maxTokens).toBe(70)
      const other = new Budget('root', { maxTokens: 100 }, 0)
      expect(granted(other.beforeModelCall(0, 30, undefined, 50)).maxTokens).toBe(50)

      const parent = new Budget('root', { maxTokens: 100 }, 0)
      const generous = parent.child('child', { maxTokens: 1_000 }, 0)
      expect(granted(generous.beforeModelCall(0, 30, undefined, undefined)).maxTokens).toBe(70)
      const roomy = new Budget('root', { maxTokens: 1_000 }, 0)
      const strict = roomy.child('child', { maxTokens: 40 }, 0)
      expect(granted(strict.beforeModelCall(0, 30, undefined, undefined)).maxTokens).toBe(10)
      expect(granted(new Budget('r', {}, 0).beforeModelCall(0, 30, undefined, undefined)).maxTokens).toBe(
        undefined,
      )
    })

    it('reserves in-flight calls so concurrent calls cannot jointly overspend', () => {
      const root = new Budget('root', { maxTokens: 100 }, 0)
      const a = root.child('a', {}, 0)
      const b = root.child('b', {}, 0)
      const grant = granted(a.beforeModelCall(0, 30, undefined, 20))
      // a holds 30 input + 20 output; b's 30 input leaves 20.
      expect(granted(b.beforeModelCall(0, 30, undefined, undefined)).maxTokens).toBe(20)
      const c = root.child('c', {}, 0)
      expect(refused(c.beforeModelCall(0, 30, undefined, undefined))).toMatchObject({
        limit: 'maxTokens',
        at: 'root',
        max: 100,
      })
      // Settling a with less than it reserved frees the difference.
      a.settleModelCall(grant, { inputTokens: 30, outputTokens: 5 }, 0)
      const d = root.child('d', {}, 0)
      expect(granted(d.beforeModelCall(0, 10, undefined, undefined)).maxTokens).toBe(100 - 35 - 50 - 10)
    })

    it('refuses a call whose input estimate alone does not fit', () => {
      const root = new Budget('root', { maxTokens: 50 }, 0)
      expect(refused(root.beforeModelCall(0, 50, undefined, undefined))).toMatchObject({
        limit: 'maxTokens',
        max: 50,
      })
      expect(granted(root.beforeModelCall(0, 49, undefined, undefined)).maxTokens).toBe(1)
    })

    it('refuses once used tokens reach the limit', () => {
      const root = new Budget('root', { maxTokens: 10 }, 0)
      root.settleModelCall(
        granted(root.beforeModelCall(0, 1, undefined, undefined)),
        {
          inputTokens: 6,
          outputTokens: 4,
        },
        0,
      )
      expect(refused(root.checkSpent(0))).toMatchObject({ limit: 'maxTokens', used: 10, max: 10 })
    })
  })

  describe('maxCostUsd', () => {
    // $1 per input token, $2 per output token: whole numbers keep the arithmetic exact.
    const price = { input: 1_000_000, output: 2_000_000 }

    it('clips maxTokens to what the dollars left can buy after the input', () => {
      const root = new Budget('root', { maxCostUsd: 10 }, 0)
      // $10 - $2 of input leaves $8: 4 output tokens.
      expect(granted(root.beforeModelCall(0, 2, price, undefined)).maxTokens).toBe(4)
    })

    it('refuses when not even one output token is affordable, or the money is spent', () => {
      const root = new Budget('root', { maxCostUsd: 10 }, 0)
      expect(refused(root.beforeModelCall(0, 9, price, undefined))).toMatchObject({
        limit: 'maxCostUsd',
        max: 10,
        at: 'root',
      })
      const spent = new Budget('root', { maxCostUsd: 10 }, 0)
      spent.settleModelCall(
        granted(spent.beforeModelCall(0, 1, price, undefined)),
        {
          inputTokens: 1,
          outputTokens: 1,
        },
        10,
      )
      expect(refused(spent.checkSpent(0))).toMatchObject({ limit: 'maxCostUsd', used: 10 })
    })

    it('cannot judge a model without a price (the cost limit does not clip it)', () => {
      const root = new Budget('root', { maxCostUsd: 10 }, 0)
      expect(granted(root.beforeModelCall(0, 1_000, undefined, undefined)).maxTokens).toBeUndefined()
    })

    it('holds what it is told for a model without a price, and refuses once the holds fill the limit', () => {
      const root = new Budget('root', {}, 0)
      const child = root.child('root/1/agent:a#0', { maxCostUsd: 1 }, 0)
      const holds = [0.4, 0.4, 0.4].map(() => child.beforeModelCall(0, 10, undefined, undefined, 0.4))
      // Two holds leave $0.20: a third call may still start (the limit overruns by at most one call).
      for (const hold of holds) granted(hold)
      expect(refused(child.beforeModelCall(0, 10, undefined, undefined, 0.4))).toMatchObject({
        limit: 'maxCostUsd',
        at: 'root/1/agent:a#0',
      })
      // Settling gives the hold back and charges what was really spent.
      child.settleModelCall(granted(holds[0]!), { inputTokens: 10, outputTokens: 1 }, 0.1)
      expect(root.used.costUsd).toBeCloseTo(0.1, 12)
      child.settleModelCall(granted(holds[1]!), undefined, 0)
      granted(child.beforeModelCall(0, 10, undefined, undefined, 0.4))
    })
  })

  describe('tool calls', () => {
    it('counts a tool call on every node up to the root', () => {
      const root = new Budget('root', {}, 0)
      const child = root.child('child', {}, 0)
      expect(child.takeToolCall(0)).toBeUndefined()
      expect(child.takeToolCall(0)).toBeUndefined()
      expect([child.used.toolCalls, root.used.toolCalls]).toEqual([2, 2])
    })

    it('refuses a call beyond any node’s maxToolCalls and counts nothing', () => {
      const root = new Budget('root', { maxToolCalls: 2 }, 0)
      const child = root.child('child', { maxToolCalls: 5 }, 0)
      expect(root.takeToolCall(0)).toBeUndefined()
      expect(child.takeToolCall(0)).toBeUndefined()
      expect(refused(child.takeToolCall(0))).toMatchObject({
        limit: 'maxToolCalls',
        used: 2,
        max: 2,
        at: 'root',
      })
      expect([child.used.toolCalls, root.used.toolCalls]).toEqual([1, 2])
    })

    it('refuses a tool call once the wall time is up', () => {
      const root = new Budget('root', { maxWallMs: 1_000 }, 500)
      const child = root.child('child', {}, 600)
      expect(child.takeToolCall(1_499)).toBeUndefined()
      expect(refused(child.takeToolCall(1_500))).toMatchObject({ limit: 'maxWallMs', at: 'root', max: 1_000 })
    })
  })

  describe('wall time', () => {
    it('refuses model calls at the deadline of any node, measured from that node’s start', () => {
      const root = new Budget('root', { maxWallMs: 1_000 }, 0)
      const child = root.child('child', { maxWallMs: 300 }, 500)
      expect(granted(child.beforeModelCall(799, 1, undefined, undefined))).toBeDefined()
      expect(refused(child.beforeModelCall(800, 1, undefined, undefined))).toMatchObject({
        limit: 'maxWallMs',
        at: 'child',
      })
      const late = root.child('late', { maxWallMs: 10_000 }, 900)
      expect(refused(late.beforeModelCall(1_000, 1, undefined, undefined)).at).toBe('root')
    })

    it('reports the nearest deadline on the way to the root', () => {
      const root = new Budget('root', { maxWallMs: 1_000 }, 0)
      const child = root.child('child', { maxWallMs: 5_000 }, 100)
      const tight = root.child('tight', { maxWallMs: 200 }, 100)
      expect(child.wallMsLeft(400)).toBe(600)
      expect(tight.wallMsLeft(400)).toBe(-100)
      expect(new Budget('free', {}, 0).wallMsLeft(400)).toBeUndefined()
    })
  })

  describe('maxDepth', () => {
    it('allows sub-agents down to maxDepth levels below the node that set it', () => {
      const root = new Budget('root', { maxDepth: 1 }, 0)
      expect(root.checkDelegation()).toBeUndefined()
      const child = root.child('child', {}, 0)
      expect(refused(child.checkDelegation())).toMatchObject({ limit: 'maxDepth', max: 1, at: 'root' })
    })

    it('applies a child’s own maxDepth from its own level', () => {
      const root = new Budget('root', { maxDepth: 5 }, 0)
      const child = root.child('child', { maxDepth: 1 }, 0)
      const grandchild = child.child('grandchild', {}, 0)
      expect(child.checkDelegation()).toBeUndefined()
      expect(refused(grandchild.checkDelegation())).toMatchObject({ limit: 'maxDepth', at: 'child', max: 1 })
      expect(refused(new Budget('r', { maxDepth: 0 }, 0).checkDelegation()).at).toBe('r')
    })

    it('is unlimited without maxDepth', () => {
      let node = new Budget('root', {}, 0)
      for (let i = 0; i < 20; i++) node = node.child(`n${i}`, {}, 0)
      expect(node.checkDelegation()).toBeUndefined()
    })
  })
})

describe('checkBudgetLimits', () => {
  it('returns an empty object for undefined and a copy of valid limits', () => {
    expect(checkBudgetLimits(undefined, 'budget')).toEqual({})
    const limits = {
      maxSteps: 10,
      maxTokens: 0,
      maxCostUsd: 0.25,
      maxWallMs: 1500.5,
      maxToolCalls: 3,
      maxDepth: 2,
    }
    const checked = checkBudgetLimits(limits, 'budget')
    expect(checked).toEqual(limits)
    expect(checked).not.toBe(limits)
    expect(checkBudgetLimits({ maxSteps: undefined, maxDepth: 1 }, 'budget')).toEqual({ maxDepth: 1 })
    expect([...LIMITS].sort()).toEqual(Object.keys(limits).sort())
  })

  it('refuses values that are not objects', () => {
    for (const value of [null, 5, 'ten', [1]]) {
      expect(() => checkBudgetLimits(value, 'agent "a": budget')).toThrow(/agent "a": budget/)
    }
  })

  it('names the field and the value of a bad limit', () => {
    const bad: [string, unknown][] = [
      ['maxSteps', -1],
      ['maxSteps', 1.5],
      ['maxTokens', Number.NaN],
      ['maxDepth', Number.POSITIVE_INFINITY],
      ['maxCostUsd', -0.01],
      ['maxWallMs', '1000'],
      ['maxToolCalls', null],
    ]
    for (const [field, value] of bad) {
      let error: unknown
      try {
        checkBudgetLimits({ [field]: value }, 'budget')
      } catch (caught) {
        error = caught
      }
      expect(error, `${field}: ${String(value)}`).toMatchObject({ code: 'INVALID_DEFINITION' })
      expect((error as Error).message).toContain(`budget.${field}`)
      expect((error as Error).message).toContain(
        typeof value === 'string' ? JSON.stringify(value) : String(value),
      )
    }
  })

  it('refuses an unknown limit and suggests the known one', () => {
    expect(() => checkBudgetLimits({ maxStep: 3 }, 'budget')).toThrow(
      /budget\.maxStep.*did you mean maxSteps/,
    )
    expect(() => checkBudgetLimits({ timeout: 3 }, 'budget')).toThrow(/budget\.timeout: unknown budget limit/)
  })
})

describe('price table', () => {
  const table: PriceTable = {
    'acme:model': { input: 1, output: 2 },
    'acme:model-mini': { input: 0.1, output: 0.2 },
    acme: { input: 9, output: 9 },
  }

  it('finds an exact entry first', () => {
    expect(findPrice('acme:model', table)).toBe(table['acme:model'])
    expect(findPrice('acme:model-mini', table)).toBe(table['acme:model-mini'])
  })

  it('matches dated ids by the longest entry followed by "-" or ":"', () => {
    expect(findPrice('acme:model-2024-08-06', table)).toBe(table['acme:model'])
    expect(findPrice('acme:model-mini-2024-07-18', table)).toBe(table['acme:model-mini'])
    expect(findPrice('acme:model:latest', table)).toBe(table['acme:model'])
    expect(findPrice('acme:other', table)).toBe(table.acme)
  })

  it('does not match a prefix that ends inside a word', () => {
    expect(findPrice('acme:modelx', table)).toBe(table.acme)
    expect(findPrice('acmex:model', table)).toBeUndefined()
    expect(findPrice('acme:mod', table)).toBe(table.acme)
    expect(findPrice('other:model', table)).toBeUndefined()
  })

  it('prices dated provider ids from the shipped table', () => {
    const cases: [string, string][] = [
      ['openai:gpt-4o-2024-08-06', 'openai:gpt-4o'],
      ['openai:gpt-4o-mini-2024-07-18', 'openai:gpt-4o-mini'],
      ['openai:gpt-4.1-mini-2025-04-14', 'openai:gpt-4.1-mini'],
      ['openai:gpt-5-mini-2025-08-07', 'openai:gpt-5-mini'],
      ['anthropic:claude-sonnet-4-5-20250929', 'anthropic:claude-sonnet-4-5'],
      ['anthropic:claude-sonnet-4-20250514', 'anthropic:claude-sonnet-4'],
      ['anthropic:claude-opus-4-1-20250805', 'anthropic:claude-opus-4-1'],
      ['scripted:model', 'scripted'],
    ]
    for (const [id, entry] of cases) {
      expect(DEFAULT_PRICES[entry], entry).toBeDefined()
      expect(findPrice(id, DEFAULT_PRICES), id).toBe(DEFAULT_PRICES[entry])
    }
    expect(findPrice('openai:unknown-model', DEFAULT_PRICES)).toBeUndefined()
  })

  it('charges models on a compatible server $0 unless a table prices them', () => {
    expect(priceFor('compatible:llama3.1', DEFAULT_PRICES)).toEqual({ input: 0, output: 0 })
    const table = layerPrices(DEFAULT_PRICES, {
      'compatible:llama3.1': { input: 1, output: 2 },
      compatible: { input: 3, output: 3 },
    })
    expect(priceFor('compatible:llama3.1', table)).toEqual({ input: 1, output: 2 })
    expect(priceFor('compatible:qwen', table)).toEqual({ input: 3, output: 3 })
    // Only compatible servers: another unknown model has no price.
    expect(priceFor('openai:unknown-model', DEFAULT_PRICES)).toBeUndefined()
    expect(priceFor('acme:compatible:x', DEFAULT_PRICES)).toBeUndefined()
  })

  it('lays one table over another, keeping one table object per pair', () => {
    const over: PriceTable = { 'acme:model': { input: 5, output: 5 } }
    const layered = layerPrices(table, over)
    expect(layered).toBe(layerPrices(table, over))
    expect(findPrice('acme:model', layered)).toBe(over['acme:model'])
    expect(findPrice('acme:model-mini', layered)).toBe(table['acme:model-mini'])
    expect(findPrice('acme:model', table)).toBe(table['acme:model'])
  })

  it('costs input, cached input and output tokens in dollars per million', () => {
    const price = { input: 2, cachedInput: 0.5, output: 8 }
    expect(costOf(price, { inputTokens: 1_000_000, outputTokens: 0 })).toBeCloseTo(2, 12)
    expect(costOf(price, { inputTokens: 0, outputTokens: 1_000_000 })).toBeCloseTo(8, 12)
    // 400 of the 1000 input tokens were cached.
    expect(costOf(price, { inputTokens: 1_000, cachedInputTokens: 400, outputTokens: 500 })).toBeCloseTo(
      (600 * 2 + 400 * 0.5 + 500 * 8) / 1e6,
      12,
    )
  })

  it('charges cached tokens at the input price when no cached price is given', () => {
    const price = { input: 3, output: 15 }
    expect(costOf(price, { inputTokens: 1_000, cachedInputTokens: 900, outputTokens: 0 })).toBeCloseTo(
      costOf(price, { inputTokens: 1_000, outputTokens: 0 }),
      12,
    )
  })

  it('never counts more cached tokens than input tokens', () => {
    const price = { input: 2, cachedInput: 0.5, output: 8 }
    expect(costOf(price, { inputTokens: 100, cachedInputTokens: 500, outputTokens: 0 })).toBeCloseTo(
      (100 * 0.5) / 1e6,
      15,
    )
  })
})
