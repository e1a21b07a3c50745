/**
 * Fallback chains and routers are `Model`s like any other: they meet the model contract, here
 * over scripted models (a chain whose first model fails for good, and a router).
 */
import { BatonError, fallback, type Model, route } from '../../src/index.js'
import { scriptedModel } from '../../src/testing/index.js'
import { type ContractScript, modelContract } from './model.contract.js'

function scripted(script: ContractScript): Model {
  return script === 'text'
    ? scriptedModel([{ text: 'hello there' }], { id: 'anthropic:claude-haiku-4-5' })
    : script === 'tool-calls'
      ? scriptedModel(
          [
            {
              toolCalls: [
                { name: 'lookup', args: { q: 'a' } },
                { name: 'lookup', args: { q: 'b' } },
              ],
            },
          ],
          { id: 'anthropic:claude-haiku-4-5' },
        )
      : scriptedModel([{ text: 'late' }], { latencyMs: 10_000, id: 'anthropic:claude-haiku-4-5' })
}

/** A model that is down: every call fails as an exhausted retry of a 503 does. */
const down: Model = {
  spec: 'baton.model.v1',
  id: 'openai:gpt-4o',
  generate: () =>
    Promise.reject(
      new BatonError('MODEL_ERROR', 'openai:gpt-4o: overloaded', {
        details: { code: 'HTTP_503', retryable: true },
      }),
    ),
}

modelContract({
  name: 'fallback chain',
  streaming: true,
  make: (script) => fallback([down, scripted(script)], { breaker: false }),
})

modelContract({
  name: 'router',
  streaming: true,
  make: (script) => route(() => scripted(script), { name: 'contract' }),
})
