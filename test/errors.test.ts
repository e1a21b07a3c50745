/**
 * Typed failures: every code Baton emits is an `ErrorCode`, and what Baton did not expect is
 * `INTERNAL` with its cause, never a `TypeError` or an errno as a code or a stop reason.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  type BatonEvent,
  defineAgent,
  defineTool,
  ERROR_CODES,
  type ErrorCode,
  FatalToolError,
  isErrorCode,
  type Model,
  type RunResult,
  type StopReason,
  stream,
} from '../src/index.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { collect } from './helpers.js'

/** Every error code an event or a result carries. */
function codesOf(events: readonly BatonEvent[], result: RunResult): string[] {
  const codes: string[] = []
  for (const event of events) {
    if ('error' in event && event.error) codes.push(event.error.code)
  }
  if (result.error) codes.push(result.error.code)
  return codes
}

const brokenModel = (thrown: unknown): Model => ({
  spec: 'baton.model.v1',
  id: 'scripted:broken',
  generate: async () => {
    throw thrown
  },
})

describe('an error Baton did not expect', () => {
  it('is INTERNAL with its name and code in the details, never its class name as a code', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: brokenModel(new TypeError("cannot read 'x' of undefined")),
    })
    const { events, result } = await collect(stream(agent, 'go'))
    expect(result.status).toBe('error')
    // A model that throws is a failed model call; the error inside it is INTERNAL.
    expect(result.stopReason).toBe('MODEL_ERROR')
    const failed = events.find((e) => e.type === 'model.error')!
    expect(failed).toMatchObject({
      error: { code: 'INTERNAL', message: "cannot read 'x' of undefined", details: { name: 'TypeError' } },
    })
    expect(codesOf(events, result).every(isErrorCode)).toBe(true)
  })

  it('keeps an errno code as a detail, not as the code', async () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' })
    const agent = defineAgent({ name: 'a', instructions: 'x', model: brokenModel(enoent) })
    const { events } = await collect(stream(agent, 'go'))
    expect(events.find((e) => e.type === 'model.error')).toMatchObject({
      error: { code: 'INTERNAL', details: { name: 'Error', code: 'ENOENT' } },
    })
  })

  it('is INTERNAL when something that is not an Error is thrown', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: brokenModel('a string') })
    const { events } = await collect(stream(agent, 'go'))
    expect(events.find((e) => e.type === 'model.error')).toMatchObject({
      error: { code: 'INTERNAL', message: 'a string' },
    })
  })
})

describe('every code emitted', () => {
  it('is an ErrorCode, over the failures a run can meet', async () => {
    const seen = new Set<string>()
    const note = async (agent: ReturnType<typeof defineAgent>, options = {}) => {
      const { events, result } = await collect(stream(agent, 'go', options))
      for (const code of codesOf(events, result)) seen.add(code)
      return result
    }
    const fails = defineTool({
      name: 'fails',
      description: 'Fails',
      input: z.object({ n: z.number() }),
      output: z.string(),
      run: ({ n }) => {
        if (n === 1) throw new Error('plain failure')
        if (n === 2) return 42 as unknown as string
        if (n === 3) throw new FatalToolError('stop everything')
        return 'fine'
      },
    })
    const slow = defineTool({
      name: 'slow',
      description: 'Slow',
      input: z.object({}),
      timeoutMs: 5,
      run: () => new Promise((resolve) => setTimeout(() => resolve('late'), 60_000).unref()),
    })
    const pay = defineTool({
      name: 'pay',
      description: 'Pays',
      input: z.object({}),
      needsApproval: true,
      run: () => 'paid',
    })
    const calls = (...list: { name: string; args: object }[]) => ({ toolCalls: list })
    // Tool failures the model sees: unknown tool, bad arguments, a throw, a bad output, a timeout.
    await note(
      defineAgent({
        name: 'tools',
        instructions: 'x',
        tools: [fails, slow],
        model: scriptedModel([
          calls(
            { name: 'nope', args: {} },
            { name: 'fails', args: { n: 'x' } },
            { name: 'fails', args: { n: 1 } },
            { name: 'fails', args: { n: 2 } },
            { name: 'slow', args: {} },
          ),
          calls({ name: 'fails', args: { n: 3 } }),
        ]),
      }),
    )
    // Approvals: refused, then waiting.
    await note(
      defineAgent({
        name: 'deny',
        instructions: 'x',
        tools: [pay],
        model: scriptedModel([calls({ name: 'pay', args: {} }), { text: 'ok' }]),
      }),
      {
        approve: () => false,
      },
    )
    await note(
      defineAgent({
        name: 'wait',
        instructions: 'x',
        tools: [pay],
        model: scriptedModel([calls({ name: 'pay', args: {} })]),
      }),
    )
    // A sub-agent that fails, a delegation too deep, a memory key that does not exist.
    const leaf = defineAgent({
      name: 'leaf',
      description: 'Leaf',
      instructions: 'x',
      model: scriptedModel([{ text: 'leaf' }]),
    })
    const middle = defineAgent({
      name: 'middle',
      description: 'Middle',
      instructions: 'x',
      agents: [leaf],
      model: scriptedModel([
        calls({ name: 'delegate_leaf', args: { task: 'too deep' } }),
        { text: 'middle' },
      ]),
    })
    const broken = defineAgent({
      name: 'broken',
      description: 'Broken',
      instructions: 'x',
      model: scriptedModel([]),
    })
    await note(
      defineAgent({
        name: 'lead',
        instructions: 'x',
        agents: [middle, broken],
        budget: { maxDepth: 1 },
        model: scriptedModel([
          calls({ name: 'delegate_middle', args: { task: 't', memoryKeys: ['missing'] } }),
          calls(
            { name: 'delegate_middle', args: { task: 't' } },
            { name: 'delegate_broken', args: { task: 't' } },
          ),
          { text: 'done' },
        ]),
      }),
    )
    // Ends: a budget, a stall, a goal, a goal check that throws, a refusal, a script run out.
    await note(
      defineAgent({
        name: 'budget',
        instructions: 'x',
        budget: { maxSteps: 1 },
        tools: [fails],
        model: scriptedModel([calls({ name: 'fails', args: { n: 0 } })]),
      }),
    )
    await note(
      defineAgent({
        name: 'stall',
        instructions: 'x',
        tools: [fails],
        stall: { maxRepeats: 1, warn: false },
        model: scriptedModel([
          calls({ name: 'fails', args: { n: 0 } }),
          calls({ name: 'fails', args: { n: 0 } }),
        ]),
      }),
    )
    await note(
      defineAgent({
        name: 'goal',
        instructions: 'x',
        maxGoalAttempts: 1,
        goal: () => 'no',
        model: scriptedModel([{ text: 'a' }]),
      }),
    )
    await note(
      defineAgent({
        name: 'check',
        instructions: 'x',
        goal: () => {
          throw new Error('check broke')
        },
        model: scriptedModel([{ text: 'a' }]),
      }),
    )
    await note(
      defineAgent({
        name: 'refuse',
        instructions: 'x',
        model: scriptedModel([{ text: 'no', finishReason: 'refusal' }]),
      }),
    )
    await note(defineAgent({ name: 'empty', instructions: 'x', model: scriptedModel([]) }))
    // An abort.
    const controller = new AbortController()
    controller.abort()
    await note(defineAgent({ name: 'abort', instructions: 'x', model: scriptedModel([{ text: 'a' }]) }), {
      signal: controller.signal,
      clock: fakeClock(),
    })

    const unknown = [...seen].filter((code) => !isErrorCode(code))
    expect(unknown).toEqual([])
    // The scenarios reach most of the codes a run can end with or show a model.
    for (const code of [
      'UNKNOWN_TOOL',
      'INVALID_ARGUMENTS',
      'TOOL_ERROR',
      'INVALID_OUTPUT',
      'TOOL_TIMEOUT',
      'TOOL_FATAL',
      'APPROVAL_DENIED',
      'AWAITING_APPROVAL',
      'MEMORY_KEY_NOT_FOUND',
      'MAX_DEPTH',
      'SUB_AGENT_FAILED',
      'BUDGET_EXCEEDED',
      'STALLED',
      'GOAL_FAILED',
      'GOAL_CHECK_FAILED',
      'MODEL_REFUSAL',
      'SCRIPT_EXHAUSTED',
      'ABORTED',
    ] satisfies ErrorCode[])
      expect(seen, code).toContain(code)
  })

  it('is described in ERROR_CODES, and the types say so', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z_]+$/)
      expect(meaning.length).toBeGreaterThan(10)
    }
    expectTypeOf<NonNullable<RunResult['error']>['code']>().toEqualTypeOf<ErrorCode>()
    expectTypeOf<RunResult['stopReason']>().toEqualTypeOf<StopReason>()
    expectTypeOf<ErrorCode>().toMatchTypeOf<StopReason>()
  })
})

describe('the reference', () => {
  it('docs/errors.md lists every code with its meaning', async () => {
    const { readFileSync } = await import('node:fs')
    const text = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
    for (const [code, meaning] of Object.entries(ERROR_CODES))
      expect(text).toContain(`| \`${code}\` | ${meaning} |`)
  })
})
