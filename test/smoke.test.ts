import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, run } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'

describe('a run', () => {
  it('calls a tool, then finishes with the final text', async () => {
    const add = defineTool({
      name: 'add',
      description: 'Adds two numbers',
      input: z.object({ a: z.number(), b: z.number() }),
      run: ({ a, b }) => a + b,
    })
    const model = scriptedModel([
      { toolCalls: [{ name: 'add', args: { a: 2, b: 3 } }] },
      (request) => ({ text: `sum: ${request.messages.at(-1)?.content}` }),
    ])
    const agent = defineAgent({ name: 'adder', instructions: 'Add numbers.', model, tools: [add] })
    const result = await run(agent, 'What is 2 + 3?')
    expect(result.status).toBe('done')
    expect(result.output).toBe('sum: 5')
    expect(result.usage.steps).toBe(2)
    expect(result.usage.toolCalls).toBe(1)
  })
})
