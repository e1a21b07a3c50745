/**
 * maxCostUsd holds whatever token counts a model reports: a provider that sends NaN, negative or
 * missing cache counts must not turn the run's cost into NaN (which no limit ever reaches) or
 * into an absurd charge.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, type Model, type ModelResponse, run, type Usage } from '../src/index.js'

/** A model that calls `note` with a new argument at every step, reporting `usage` each time. */
function reporting(usage: Usage): Model & { calls: number } {
  const model = {
    spec: 'baton.model.v1' as const,
    id: 'custom:meter',
    calls: 0,
    async generate(): Promise<ModelResponse> {
      const n = model.calls++
      return {
        message: { role: 'assistant', content: '', toolCalls: [{ id: `c${n}`, name: 'note', args: { n } }] },
        usage,
        finishReason: 'tool-calls',
      }
    },
  }
  return model
}

const note = defineTool({
  name: 'note',
  description: 'Notes a number',
  input: z.object({ n: z.number() }),
  run: ({ n }) => `noted ${n}`,
})

// $1 per million tokens in and out: 1000 + 100 tokens cost $0.0011 a call.
const PRICES = { 'custom:meter': { input: 1, output: 1, cachedInput: 0.1 } }
const CALL = 0.0011

describe('maxCostUsd with token counts a provider got wrong', () => {
  it.each([
    ['NaN cached tokens', { cachedInputTokens: Number.NaN }],
    ['negative cached tokens', { cachedInputTokens: -1e9 }],
    ['NaN cache writes', { cacheWriteTokens: Number.NaN }],
  ])(
    '%s: the run stops on maxCostUsd after the calls it paid for, at their plain price',
    async (_, extra) => {
      const model = reporting({ inputTokens: 1000, outputTokens: 100, ...extra } as Usage)
      const agent = defineAgent({
        name: 'meter',
        instructions: 'Note numbers.',
        model,
        tools: [note],
        stall: false,
      })
      const result = await run(agent, 'Note numbers', {
        prices: PRICES,
        budget: { maxCostUsd: 3.5 * CALL, maxSteps: 20 },
      })
      expect([result.status, result.stopReason]).toEqual(['budget_exceeded', 'maxCostUsd'])
      expect(model.calls).toBe(4)
      expect(result.usage.costUsd).toBeCloseTo(4 * CALL, 10)
    },
  )
})
