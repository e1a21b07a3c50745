import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent } from '../agent/index.js'
import type { Score, ScoreContext, ScoreInput, Scorer, TrajectoryStep } from '../goal/index.js'
import { run } from '../run/index.js'
import { scriptedModel } from '../testing/index.js'
import {
  costAtMost,
  exact,
  includes,
  matchesSchema,
  regex,
  stepsAtMost,
  trajectory,
} from './scorers/index.js'

const ctx: ScoreContext = {
  generate: () => Promise.reject(new Error('no model in these tests')),
  signal: new AbortController().signal,
}

const usage = { inputTokens: 10, outputTokens: 5, costUsd: 0.002, steps: 3, toolCalls: 2 }

function score(scorer: Scorer, input: Partial<ScoreInput> = {}): Promise<Score> {
  const output = input.output ?? input.text ?? ''
  const text = input.text ?? (typeof output === 'string' ? output : JSON.stringify(output))
  return Promise.resolve(scorer.score({ task: 'task', trajectory: [], usage, ...input, output, text }, ctx))
}

const step = (name: string, path = 'root', kind: 'tool' | 'agent' = 'tool'): TrajectoryStep => ({
  path,
  kind,
  name,
  args: {},
  ok: true,
})

describe('exact', () => {
  it('compares text trimmed with the argument or the case', async () => {
    expect(await score(exact('Lisbon'), { output: '  Lisbon\n' })).toMatchObject({ pass: true, score: 1 })
    expect(await score(exact(), { output: 'Lisbon', expected: 'Lisbon' })).toMatchObject({ pass: true })
    expect(await score(exact('Lisbon'), { output: 'Porto' })).toEqual({
      pass: false,
      score: 0,
      reason: 'expected "Lisbon", got "Porto"',
    })
  })

  it('compares structures deeply, key order aside, naming the first difference', async () => {
    const expected = { city: 'Lisbon', days: [1, 2] }
    expect(await score(exact(), { output: { days: [1, 2], city: 'Lisbon' }, expected })).toMatchObject({
      pass: true,
    })
    expect(await score(exact(), { output: '{"city":"Lisbon","days":[1,2]}', expected })).toMatchObject({
      pass: true,
    })
    expect((await score(exact(), { output: { city: 'Lisbon', days: [1, 3] }, expected })).reason).toBe(
      'at days[1]: expected 2, got 3',
    )
    expect((await score(exact(), { output: 'not json', expected })).reason).toBe(
      'expected {"city":"Lisbon","days":[1,2]}, got the text "not json" (not JSON)',
    )
  })

  it('says when there is nothing to compare with', async () => {
    expect((await score(exact(), { output: 'x' })).reason).toMatch(/nothing to compare with/)
  })
})

describe('includes, regex', () => {
  it('includes: passes with every text, scores the share found, and names what is missing', async () => {
    expect(await score(includes(['Lisbon', 'Belém']), { text: 'Day 1: Lisbon; day 2: Belém' })).toMatchObject(
      {
        pass: true,
        score: 1,
      },
    )
    expect(await score(includes(['Lisbon', 'Belém', 'Sintra']), { text: 'Only Lisbon' })).toEqual({
      pass: false,
      score: 1 / 3,
      reason: 'expected the answer to include "Belém", "Sintra", got "Only Lisbon"',
    })
    expect(await score(includes('lisbon', { ignoreCase: true }), { text: 'LISBON' })).toMatchObject({
      pass: true,
    })
    expect(() => includes([])).toThrow(/non-empty/)
    expect(() => includes(5 as never)).toThrow(
      'includes: expected a non-empty text or a list of non-empty texts',
    )
    expect(() => includes('x', { ignorecase: true } as never)).toThrow(
      'includes: ignorecase is not a known includes option (did you mean ignoreCase?) (known: ignoreCase)',
    )
  })

  it('regex: matches the answer text, and keeps no state between answers', async () => {
    const date = regex(/\d{4}-\d{2}-\d{2}/g)
    expect(await score(date, { text: 'on 2025-05-01' })).toMatchObject({ pass: true })
    expect(await score(date, { text: 'on 2025-05-01' })).toMatchObject({ pass: true })
    expect((await score(date, { text: 'tomorrow' })).reason).toBe(
      'expected the answer to match /\\d{4}-\\d{2}-\\d{2}/, got "tomorrow"',
    )
  })
})

describe('matchesSchema', () => {
  const zod = matchesSchema(z.object({ city: z.string(), days: z.number().int() }))
  const json = matchesSchema({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  })

  it('validates a structured output or JSON text (zod and JSON Schema)', async () => {
    expect(await score(zod, { output: { city: 'Lisbon', days: 2 } })).toMatchObject({ pass: true })
    expect(await score(zod, { output: '```json\n{"city":"Lisbon","days":2}\n```' })).toMatchObject({
      pass: true,
    })
    expect(await score(json, { output: { city: 'Lisbon' } })).toMatchObject({ pass: true })
  })

  it('fails with the path of each issue, or says the text is not JSON', async () => {
    const bad = await score(zod, { output: { city: 'Lisbon', days: 'two' } })
    expect(bad.pass).toBe(false)
    expect(bad.reason).toMatch(/^the output does not match the schema:\n- at days: .*number/i)
    expect((await score(json, { output: {} })).reason).toMatch(/city/)
    expect((await score(zod, { output: 'Lisbon, two days' })).reason).toBe(
      'expected JSON matching the schema, got the text "Lisbon, two days"',
    )
  })
})

describe('trajectory', () => {
  const steps = [
    step('delegate_researcher', 'root', 'agent'),
    step('search', 'root/1/agent:researcher#0'),
    step('fetch', 'root/1/agent:researcher#0'),
    step('book', 'root'),
  ]

  it('in order (the default): other calls may come between', async () => {
    expect(await score(trajectory(['delegate_researcher', 'book']), { trajectory: steps })).toMatchObject({
      pass: true,
    })
    expect(await score(trajectory(['book', 'search']), { trajectory: steps })).toEqual({
      pass: false,
      score: 0.5,
      reason:
        'expected calls in order [book, search], got [delegate_researcher, search, fetch, book]: search was not called after book',
    })
  })

  it('exact: these calls and nothing else', async () => {
    const root = trajectory(['delegate_researcher', 'book'], { mode: 'exact', agent: 'root' })
    expect(await score(root, { trajectory: steps })).toMatchObject({ pass: true })
    expect(
      (await score(trajectory(['delegate_researcher'], { mode: 'exact' }), { trajectory: steps })).reason,
    ).toBe(
      'expected exactly [delegate_researcher], got [delegate_researcher, search, fetch, book]: call 2 is search, expected no more calls',
    )
    expect((await score(trajectory(['a', 'b'], { mode: 'exact' }), { trajectory: [step('a')] })).reason).toBe(
      'expected exactly [a, b], got [a]: call 2 should be b but there are no more calls',
    )
  })

  it('set: each name once at least, in any order; a sub-agent by name', async () => {
    const researcher = trajectory(['fetch', 'search'], { mode: 'set', agent: 'researcher' })
    expect(await score(researcher, { trajectory: steps })).toMatchObject({ pass: true })
    expect(
      await score(trajectory(['book', 'pay', 'search'], { mode: 'set' }), { trajectory: steps }),
    ).toEqual({
      pass: false,
      score: 2 / 3,
      reason:
        'expected calls to [book, pay, search] in any order, got [delegate_researcher, search, fetch, book]: pay was not called',
    })
    expect(
      (await score(trajectory(['book'], { mode: 'set', agent: 'researcher' }), { trajectory: steps })).reason,
    ).toBe(
      'expected calls to [book] in any order, got [search, fetch] (calls by researcher): book was not called',
    )
  })

  it('refuses a bad mode', () => {
    expect(() => trajectory(['a'], { mode: 'any' as 'set' })).toThrow(/mode must be/)
    expect(() => trajectory(['a'], { order: 'exact' } as never)).toThrow(
      'trajectory: order is not a known trajectory option (did you mean mode?) (known: mode, agent)',
    )
  })
})

describe('costAtMost, stepsAtMost', () => {
  it('pass within the limit and say both numbers when over', async () => {
    expect(await score(costAtMost(0.01))).toMatchObject({ pass: true })
    expect((await score(costAtMost(0.001))).reason).toBe(
      'expected a cost of at most $0.001000, got $0.002000',
    )
    expect(await score(stepsAtMost(3))).toMatchObject({ pass: true })
    expect((await score(stepsAtMost(2))).reason).toBe('expected at most 2 step(s), got 3')
    expect(() => stepsAtMost(1.5)).toThrow(/whole number/)
    expect(() => stepsAtMost('3' as never)).toThrow(/got the string "3"$/)
    expect(() => costAtMost(-1)).toThrow(/USD/)
  })
})

describe('scorers as goal checks', () => {
  it('a failing scorer is feedback for the model, and the run ends done once it passes', async () => {
    const model = scriptedModel([{ text: 'Go to Porto' }, { text: 'Go to Lisbon' }])
    const agent = defineAgent({ name: 'guide', instructions: 'Suggest.', model, goal: includes('Lisbon') })
    const result = await run(agent, 'Where should I go?')
    expect(result.status).toBe('done')
    expect(result.output).toBe('Go to Lisbon')
    const feedback = model.requests[1]!.messages.at(-1)!.content
    expect(feedback).toContain('expected the answer to include "Lisbon", got "Go to Porto"')
  })

  it('matchesSchema and maxSteps work as goals', async () => {
    const model = scriptedModel([{ text: '{"city":"Lisbon"}' }, { text: '{"city":"Lisbon","days":2}' }])
    const agent = defineAgent({
      name: 'planner',
      instructions: 'Plan.',
      model,
      goal: [matchesSchema(z.object({ city: z.string(), days: z.number() })), stepsAtMost(5)],
    })
    const result = await run(agent, 'Plan')
    expect(result.status).toBe('done')
    expect(model.requests[1]!.messages.at(-1)!.content).toContain('at days')
  })
})
