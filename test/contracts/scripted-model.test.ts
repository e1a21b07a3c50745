import { scriptedModel } from '../../src/testing/index.js'
import { modelContract } from './model.contract.js'

modelContract({
  name: 'scriptedModel',
  streaming: true,
  make: (script) =>
    script === 'text'
      ? scriptedModel([{ text: 'hello there' }])
      : script === 'tool-calls'
        ? scriptedModel([
            {
              toolCalls: [
                { name: 'lookup', args: { q: 'a' } },
                { name: 'lookup', args: { q: 'b' } },
              ],
            },
          ])
        : scriptedModel([{ text: 'late' }], { latencyMs: 10_000 }),
})
