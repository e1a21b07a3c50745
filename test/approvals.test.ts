/** What the `approve` run option may answer: a yes, a no, or nothing yet; anything else runs nothing. */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, run } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { toolMessages } from './helpers.js'

function payment() {
  let paid = 0
  const pay = defineTool({
    name: 'pay',
    description: 'Pays the invoice',
    input: z.object({}),
    needsApproval: true,
    run: () => {
      paid++
      return 'paid'
    },
  })
  const model = scriptedModel([{ toolCalls: [{ name: 'pay', args: {} }] }, { text: 'done' }])
  const agent = defineAgent({ name: 'clerk', instructions: 'Pay.', model, tools: [pay] })
  return { agent, model, paid: () => paid }
}

describe('the approve run option', () => {
  it.each([
    ['no', 'the string "no"'],
    [1, 'number 1'],
    [{ approved: 'yes' }, '{"approved":"yes"}'],
    [{}, '{}'],
  ])('answering %j runs nothing and says what a decision is', async (answer, shown) => {
    const { agent, model, paid } = payment()
    const result = await run(agent, 'Pay the invoice', { approve: () => answer as never })
    expect(paid()).toBe(0)
    expect(result.status).toBe('done')
    const [message] = toolMessages(model.requests[1])
    expect(message).toMatchObject({ isError: true })
    expect(message!.content).toContain(`approve answered ${shown} for tool "pay"; answer true, false,`)
  })

  it.each([
    [true, 1],
    [{ approved: true, by: 'ana' }, 1],
    [false, 0],
    [{ approved: false }, 0],
  ])('answering %j decides', async (answer, runs) => {
    const { agent, paid } = payment()
    const result = await run(agent, 'Pay the invoice', { approve: () => answer })
    expect(result.status).toBe('done')
    expect(paid()).toBe(runs)
  })
})
