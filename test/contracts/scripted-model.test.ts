import { describe, expect, it } from 'vitest'
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

describe('scriptedModel refuses a script it would play wrongly, naming the step', () => {
  it.each([
    [
      [{ toolcalls: [] }],
      'step 0 has an unknown field "toolcalls" (known: text, toolCalls, usage, finishReason)',
    ],
    [[{ text: 'ok' }, { text: 5 }], 'step 1 text must be a string, got number 5'],
    [
      [{ toolCalls: 'lookup' }],
      'step 0 toolCalls must be an array of { name, args }, got the string "lookup"',
    ],
    [
      [{ toolCalls: [{ args: {} }] }],
      "step 0 toolCalls[0] must be { name, args } with a tool's name, got object",
    ],
    [[null], 'step 0 must be an object like { text } or { toolCalls }, got null'],
  ])('%j', (steps, message) => {
    expect(() => scriptedModel(steps as never)).toThrow(`scriptedModel: ${message}`)
  })

  it('checks what a step function returns when it is played', async () => {
    const model = scriptedModel([() => ({ txt: 'typo' }) as never])
    await expect(
      model.generate({ messages: [{ role: 'user', content: 'hi' }], tools: [] }),
    ).rejects.toMatchObject({
      code: 'INVALID_DEFINITION',
      message:
        'scriptedModel: step 0 has an unknown field "txt" (known: text, toolCalls, usage, finishReason)',
    })
  })
})
