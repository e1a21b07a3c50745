import { describe, expect, it } from 'vitest'
import { fakeClock, scriptedModel } from '../../src/testing/index.js'
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

  it.each([
    [{ latency: 20 }, 'latency is not a known scriptedModel option (did you mean latencyMs?)'],
    [{ latencyMs: -5 }, 'latencyMs must be a number of milliseconds (0 or more), got number -5'],
    [{ id: '' }, 'id must be a non-empty string, got the string ""'],
    [20, 'options must be an object, got number 20'],
  ])('refuses the options %j', (options, message) => {
    expect(() => scriptedModel([{ text: 'ok' }], options as never)).toThrow(`scriptedModel: ${message}`)
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

describe('fakeClock refuses a time it could not keep', () => {
  it('a start or a step that is not a number of milliseconds', () => {
    expect(() => fakeClock('soon' as never)).toThrow(
      'fakeClock: start must be epoch milliseconds (a finite number), got the string "soon"',
    )
    const clock = fakeClock(1_000)
    expect(() => clock.advance(-5)).toThrow(
      'fakeClock.advance: ms must be a number of 0 or more, got number -5',
    )
    expect(() => clock.advance(Number.NaN)).toThrow(
      'fakeClock.advance: ms must be a number of 0 or more, got number NaN',
    )
    clock.advance(0)
    expect(clock.now()).toBe(1_000)
  })
})
