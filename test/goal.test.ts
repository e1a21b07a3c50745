import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { BatonEvent, ModelRequest } from '../src/index.js'
import { defineAgent, defineScorer, judge, run, stream } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'

const lastUser = (request: ModelRequest) => {
  const last = request.messages.at(-1)
  return last?.role === 'user' ? last.content : ''
}

describe('output schema', () => {
  it('parses the final answer as JSON and returns the validated value', async () => {
    const agent = defineAgent({
      name: 'planner',
      instructions: 'Plan.',
      model: scriptedModel([{ text: '```json\n{"city":"Lisbon","days":2}\n```' }]),
      output: z.object({ city: z.string(), days: z.number().int() }),
    })
    const result = await run(agent, 'Plan a trip')
    expect(result.status).toBe('done')
    expect(result.output).toEqual({ city: 'Lisbon', days: 2 })
  })

  it('sends schema errors back to the model with the path, and accepts the corrected answer', async () => {
    const model = scriptedModel([
      { text: '{"city":"Lisbon","days":"two"}' },
      { text: 'not json at all' },
      { text: '{"city":"Lisbon","days":2}' },
    ])
    const agent = defineAgent({
      name: 'planner',
      instructions: 'Plan.',
      model,
      output: z.object({ city: z.string(), days: z.number() }),
    })
    const result = await run(agent, 'Plan a trip')
    expect(result.status).toBe('done')
    expect(result.output).toEqual({ city: 'Lisbon', days: 2 })
    const firstFeedback = lastUser(model.requests[1]!)
    expect(firstFeedback).toContain('at days:')
    expect(firstFeedback).toMatch(/expected number/i)
    expect(lastUser(model.requests[2]!)).toContain('not valid JSON')
  })

  it('ends as goal_failed after maxGoalAttempts, keeping the last feedback', async () => {
    const agent = defineAgent({
      name: 'planner',
      instructions: 'Plan.',
      model: scriptedModel([{ text: '{}' }, { text: '{}' }]),
      output: z.object({ city: z.string() }),
      maxGoalAttempts: 2,
    })
    const result = await run(agent, 'Plan a trip')
    expect(result.status).toBe('goal_failed')
    expect(result.stopReason).toBe('output')
    expect(result.error?.message).toContain('city')
    expect(result.usage.steps).toBe(2)
  })

  it('offers the output schema to the model in the request', async () => {
    const model = scriptedModel([{ text: '{"ok":true}' }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, output: z.object({ ok: z.boolean() }) })
    await run(agent, 'go')
    expect(model.requests[0]!.output?.schema).toMatchObject({
      type: 'object',
      properties: { ok: { type: 'boolean' } },
    })
  })
})

describe('goal functions', () => {
  it('treats a string as feedback and goes on until the goal returns true', async () => {
    const model = scriptedModel([
      { text: 'Porto' },
      (request) => ({ text: lastUser(request).includes('Lisbon') ? 'Lisbon' : 'Faro' }),
    ])
    const seen: unknown[] = []
    const agent = defineAgent({
      name: 'guesser',
      instructions: 'Guess.',
      model,
      goal: (output, ctx) => {
        seen.push([output, ctx.path, ctx.task])
        return output === 'Lisbon' ? true : 'The answer must be Lisbon.'
      },
    })
    const events: BatonEvent[] = []
    const runStream = stream(agent, 'Guess the capital')
    for await (const event of runStream) events.push(event)
    const result = await runStream.result
    expect(result.status).toBe('done')
    expect(result.output).toBe('Lisbon')
    expect(seen).toEqual([
      ['Porto', 'root', 'Guess the capital'],
      ['Lisbon', 'root', 'Guess the capital'],
    ])
    const checks = events.filter((e) => e.type === 'goal.check')
    expect(checks.map((e) => e.type === 'goal.check' && e.passed)).toEqual([false, true])
  })

  it('a goal check that throws ends the run with status error, not an exception', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: scriptedModel([{ text: 'hi' }]),
      goal: () => {
        throw new Error('checker broke')
      },
    })
    const result = await run(agent, 'go')
    expect(result.status).toBe('error')
    expect(result.error?.message).toContain('checker broke')
  })

  it('runs scorers made with defineScorer as goal checks', async () => {
    const mentions = defineScorer('mentions-tram', ({ text }) => text.includes('tram'))
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: scriptedModel([{ text: 'walk' }, { text: 'take the tram' }]),
      goal: mentions,
    })
    const result = await run(agent, 'How to get around Lisbon?')
    expect(result.status).toBe('done')
    expect(result.output).toBe('take the tram')
  })
})

describe('judge', () => {
  it('grades through the run (recorded, budgeted) and feeds its reason back', async () => {
    const grader = scriptedModel([
      {
        text: '{"pass":false,"score":0.2,"reason":"No sources cited."}',
        usage: { inputTokens: 50, outputTokens: 10 },
      },
      {
        text: '{"pass":true,"score":0.9,"reason":"Cites two sources."}',
        usage: { inputTokens: 60, outputTokens: 10 },
      },
    ])
    const model = scriptedModel([{ text: 'Lisbon is old.' }, { text: 'Lisbon is old [1][2].' }])
    const agent = defineAgent({
      name: 'writer',
      instructions: 'Write.',
      model,
      goal: judge({ model: grader, rubric: 'Cites sources' }),
    })
    const events: BatonEvent[] = []
    const runStream = stream(agent, 'Write about Lisbon')
    for await (const event of runStream) events.push(event)
    const result = await runStream.result
    expect(result.status).toBe('done')
    expect(result.output).toBe('Lisbon is old [1][2].')
    expect(lastUser(model.requests[1]!)).toContain('No sources cited.')
    const graderPrompt = grader.requests[0]!.messages.map((m) => m.content).join('\n')
    expect(graderPrompt).toContain('Cites sources')
    expect(graderPrompt).toContain('Lisbon is old.')
    expect(result.usage.inputTokens).toBe(110)
    expect(events.filter((e) => e.type === 'model.response' && e.path.includes('/goal/')).length).toBe(2)
  })

  it('fails a passing verdict whose score is under the threshold, and a reply that is not JSON', async () => {
    const scorer = judge({
      model: scriptedModel([{ text: '{"pass":true,"score":0.5,"reason":"meh"}' }, { text: 'great!' }]),
      rubric: 'r',
      threshold: 0.8,
    })
    const ctx = {
      signal: new AbortController().signal,
      generate: (m: never, r: ModelRequest) =>
        (m as unknown as { generate: (r: ModelRequest) => never }).generate(r),
    }
    const input = {
      task: 't',
      output: 'o',
      text: 'o',
      trajectory: [],
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, steps: 0, toolCalls: 0 },
    }
    const first = await scorer.score(input, ctx as never)
    expect(first).toEqual({ pass: false, score: 0.5, reason: 'meh' })
    const second = await scorer.score(input, ctx as never)
    expect(second.pass).toBe(false)
    expect(second.reason).toContain('did not reply with JSON')
  })
})

describe('checks that return what is not a verdict', () => {
  const runWith = (goal: never) =>
    run(defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'hi' }]), goal }), 'go')

  it.each([
    ['undefined (a forgotten return)', undefined, 'undefined'],
    ['an object whose pass is a string', { pass: 'yes', score: 1 }, '{"pass":"yes","score":1}'],
    ['an object without pass', { score: 0.5 }, '{"score":0.5}'],
    ['NaN', Number.NaN, 'number NaN'],
    ['a string', 'yes', 'the string "yes"'],
  ])(
    'a scorer that returns %s ends the run as a goal-check error naming what it returned',
    async (_, verdict, shown) => {
      const result = await runWith(defineScorer('odd', () => verdict as never) as never)
      expect(result.status).toBe('error')
      expect(result.stopReason).toBe('GOAL_CHECK_FAILED')
      // One call only: a scorer that cannot say pass or fail is not retried as a failed answer.
      expect(result.usage.steps).toBe(1)
      expect(result.error?.message).toBe(
        `odd returned ${shown}, not a score: a scorer returns { pass: boolean, score: number from 0 to 1, reason?: string } (defineScorer's function may also return true, false or a number)`,
      )
    },
  )

  it('a hand-written Scorer object is checked the same way', async () => {
    const scorer = { kind: 'baton.scorer', name: 'by-hand', score: async () => ({ passed: true }) }
    const result = await runWith(scorer as never)
    expect(result.error?.message).toContain('by-hand returned {"passed":true}, not a score')
  })

  it('a goal function that returns neither a boolean nor a string', async () => {
    const result = await runWith((() => ({ pass: true })) as never)
    expect(result.status).toBe('error')
    expect(result.error?.message).toBe(
      'goal[0] returned {"pass":true}, not a verdict: a goal function returns true (the answer is done), or false or a string (feedback for the model)',
    )
  })
})

describe('judge and defineScorer refuse definitions they cannot grade with', () => {
  const refused = (fn: () => unknown) => {
    try {
      fn()
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_DEFINITION' })
      return (error as Error).message
    }
    throw new Error('expected INVALID_DEFINITION')
  }

  it('judge', () => {
    expect(refused(() => judge(undefined as never))).toBe(
      'judge: expected options { model, rubric, threshold?, name? }, got undefined',
    )
    expect(refused(() => judge({ model: 'gpt-4o', rubric: 'Cites sources' }))).toContain(
      'judge: model expected "<provider>:<model>"',
    )
    expect(refused(() => judge({ model: 5, rubric: 'Cites sources' } as never))).toBe(
      'judge: model must be a model string or a Model, got number 5',
    )
    expect(refused(() => judge({ model: 'openai:gpt-4o-mini', rubric: ' ' }))).toContain(
      'judge: rubric must say',
    )
    expect(refused(() => judge({ model: 'openai:gpt-4o-mini', rubric: 'x', threshold: 70 }))).toBe(
      'judge: threshold must be a number from 0 to 1, got number 70',
    )
    expect(refused(() => judge({ model: 'openai:gpt-4o-mini', criteria: 'x' } as never))).toContain(
      'judge: criteria is not a known judge option (did you mean rubric?)',
    )
    expect(judge({ model: 'openai:gpt-4o-mini', rubric: 'Cites sources', threshold: 0.5 }).name).toBe('judge')
  })

  it('defineScorer', () => {
    expect(refused(() => defineScorer({} as never, () => true))).toBe(
      "defineScorer: the first argument is the scorer's name, a non-empty string; got object",
    )
    expect(refused(() => defineScorer('x', 5 as never))).toBe(
      'defineScorer "x": the second argument is the scoring function, got number 5',
    )
  })
})

describe('an answer the model did not finish', () => {
  it('cut off at the output limit is not final: the model is told, and its whole answer is taken', async () => {
    const model = scriptedModel([
      { text: 'Lisbon has about 545,000 inhabit', finishReason: 'length' },
      { text: 'Lisbon: about 545,000 people.' },
    ])
    const result = await run(defineAgent({ name: 'a', instructions: 'x', model }), 'go')
    expect(result).toMatchObject({ status: 'done', output: 'Lisbon: about 545,000 people.' })
    expect(result.usage.steps).toBe(2)
    expect(lastUser(model.requests[1]!)).toContain('your answer was cut off at the output token limit')
  })

  it('cut off every time ends as goal_failed after maxGoalAttempts, saying why', async () => {
    const cut = { text: 'half an answ', finishReason: 'length' as const }
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: scriptedModel([cut, cut]),
      maxGoalAttempts: 2,
    })
    const result = await run(agent, 'go')
    expect(result.status).toBe('goal_failed')
    expect(result.error?.message).toMatch(
      /^the final answer failed length 2 time\(s\); last feedback: your answer was cut off/,
    )
  })

  it("stopped by the provider's content filter ends as a refusal", async () => {
    const model = scriptedModel([{ text: 'Here is how to', finishReason: 'content-filter' }])
    const result = await run(defineAgent({ name: 'a', instructions: 'x', model }), 'go')
    expect(result).toMatchObject({
      status: 'error',
      stopReason: 'refusal',
      error: {
        code: 'MODEL_REFUSAL',
        message: "the provider's content filter stopped the answer; it had written: Here is how to",
      },
    })
  })
})
