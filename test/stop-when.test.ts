/**
 * Stopping is decided in one place, after each step: the built-in conditions (stopped, stalled,
 * goal attempts used up) and the user's own (`stopWhen`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  BatonError,
  defineAgent,
  defineTool,
  hasToolCall,
  replay,
  run,
  type StopWhen,
  stepCountIs,
} from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-stop-when-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const searched: string[] = []
const search = defineTool({
  name: 'search',
  description: 'Searches',
  input: z.object({ q: z.string() }),
  run: ({ q }) => {
    searched.push(q)
    return `results for ${q}`
  },
})
const submit = defineTool({
  name: 'submit',
  description: 'Hands in the answer',
  input: z.object({ answer: z.string() }),
  run: ({ answer }) => `submitted ${answer}`,
})

/** A model that searches `n` times (saying what it does), then answers. */
const searcher = (n: number) =>
  scriptedModel([
    ...Array.from({ length: n }, (_, i) => ({
      text: `searching ${i + 1}`,
      toolCalls: [{ name: 'search', args: { q: `q${i + 1}` } }],
    })),
    { text: 'the answer' },
  ])

describe('stopWhen', () => {
  it('stepCountIs(n) ends the agent done after its n-th step, with that step’s text and no goal check', async () => {
    searched.length = 0
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [search],
      model: searcher(5),
      goal: () => 'never accepted',
      stopWhen: stepCountIs(2),
    })
    const result = await run(agent, 'go')
    expect(result).toMatchObject({
      status: 'done',
      stopReason: 'stopWhen:stepCountIs(2)',
      output: 'searching 2',
    })
    expect(result.usage.steps).toBe(2)
    // The second step's calls ran before the condition was asked.
    expect(searched).toEqual(['q1', 'q2'])
  })

  it('hasToolCall(name) ends the agent after the step that called it, its result in the trajectory', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [search, submit],
      model: scriptedModel([
        { toolCalls: [{ name: 'search', args: { q: 'lisbon' } }] },
        { toolCalls: [{ name: 'submit', args: { answer: '545,000' } }] },
        { text: 'never asked for' },
      ]),
      stopWhen: hasToolCall('submit'),
    })
    const result = await run(agent, 'go')
    expect(result).toMatchObject({ status: 'done', stopReason: 'stopWhen:hasToolCall(submit)' })
    expect(result.trajectory.map((s) => [s.name, s.ok])).toEqual([
      ['search', true],
      ['submit', true],
    ])
  })

  it('hands a condition the step, its message, its tool results and the usage so far', async () => {
    const seen: unknown[] = []
    const watch: StopWhen = (step) => {
      seen.push({
        path: step.path,
        step: step.step,
        text: step.message.content,
        results: step.toolResults.map((r) => r.content),
        steps: step.usage.steps,
      })
      return step.toolResults.some((r) => r.content.includes('q2')) ? 'found q2' : false
    }
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [search],
      model: searcher(3),
      stopWhen: [() => undefined, watch],
    })
    const result = await run(agent, 'go')
    expect(result).toMatchObject({ status: 'done', stopReason: 'stopWhen:found q2' })
    expect(seen).toEqual([
      { path: 'root', step: 1, text: 'searching 1', results: ['results for q1'], steps: 1 },
      { path: 'root', step: 2, text: 'searching 2', results: ['results for q2'], steps: 2 },
    ])
  })

  it('ends a sub-agent’s own loop; its parent goes on with what it wrote', async () => {
    const scout = defineAgent({
      name: 'scout',
      description: 'Scouts',
      instructions: 'Scout.',
      tools: [search],
      model: searcher(4),
      stopWhen: () => true,
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      agents: [scout],
      model: scriptedModel([
        { toolCalls: [{ name: 'delegate_scout', args: { task: 'scout it' } }] },
        (request) => ({ text: `lead got: ${request.messages.at(-1)!.content}` }),
      ]),
    })
    const result = await run(lead, 'go')
    expect(result).toMatchObject({ status: 'done', stopReason: 'goal', output: 'lead got: searching 1' })
  })

  it('replays to the same end', async () => {
    const make = () =>
      defineAgent({
        name: 'a',
        instructions: 'x',
        tools: [search],
        model: searcher(5),
        stopWhen: stepCountIs(3),
      })
    const record = join(dir, 'stop-when.jsonl')
    const live = await run(make(), 'go', { record })
    const again = await replay(record, make())
    expect([again.status, again.stopReason, again.output]).toEqual([
      live.status,
      live.stopReason,
      live.output,
    ])
    expect(again.live).toEqual({ model: 0, tool: 0 })
  })

  it('is checked at definition time', () => {
    const define = (stopWhen: unknown) =>
      defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([]), stopWhen: stopWhen as StopWhen })
    expect(() => define('after 3 steps')).toThrow(BatonError)
    expect(() => define('after 3 steps')).toThrow(
      /agent "a": stopWhen must be a function, got the string "after 3 steps"/,
    )
    expect(() => define([stepCountIs(2), 7])).toThrow(/agent "a": stopWhen\[1\] must be a function/)
  })
})

describe('the built-in stop conditions', () => {
  it('are refused when made with a count or a name they could never meet', () => {
    for (const n of [0, -1, 1.5, Number.NaN, '3'])
      expect(() => stepCountIs(n as number)).toThrow(
        /^stepCountIs: n must be a whole number of steps, 1 or more, got /,
      )
    for (const name of ['', 42, undefined])
      expect(() => hasToolCall(name as string)).toThrow(/^hasToolCall: name must be a tool's name, got /)
    expect(() => stepCountIs(0)).toThrow(BatonError)
  })

  it('a stall is noticed by the step and ends the agent at the loop’s one stopping point', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [search],
      stall: { maxRepeats: 2, warn: false },
      model: scriptedModel(
        Array.from({ length: 5 }, () => ({ toolCalls: [{ name: 'search', args: { q: 'same' } }] })),
      ),
      // A user condition that would also hold: the stall, asked first, decides.
      stopWhen: (step) => step.step === 3,
    })
    const result = await run(agent, 'go')
    expect(result).toMatchObject({ status: 'stalled', stopReason: 'repeatedCall' })
    expect(result.usage.steps).toBe(3)
  })

  it('goal attempts used up end the agent as goal_failed with the last feedback', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: scriptedModel([{ text: 'one' }, { text: 'two' }, { text: 'three' }]),
      goal: (output) => `not "${output}"`,
      maxGoalAttempts: 2,
    })
    const result = await run(agent, 'go')
    expect(result).toMatchObject({ status: 'goal_failed', stopReason: 'goal', output: 'two' })
    expect(result.error?.message).toBe('the final answer failed goal[0] 2 time(s); last feedback: not "two"')
    expect(result.usage.steps).toBe(2)
  })
})

describe('a stop condition that cannot answer', () => {
  const agent = (stopWhen: never) =>
    defineAgent({
      name: 'a',
      instructions: 'x',
      model: scriptedModel([{ toolCalls: [{ name: 'noop', args: {} }] }, { text: 'done' }]),
      tools: [
        defineTool({ name: 'noop', description: 'Does nothing', input: z.object({}), run: () => 'ok' }),
      ],
      stopWhen,
    })

  it('ends the agent with an error naming it when it throws', async () => {
    const result = await run(
      agent((() => {
        throw new Error('no such field')
      }) as never),
      'go',
    )
    expect(result).toMatchObject({
      status: 'error',
      error: { code: 'INTERNAL', message: 'stopWhen[0] threw: no such field' },
    })
  })

  it('is refused when it returns a promise: conditions are checked synchronously, never skipped', async () => {
    const result = await run(agent([stepCountIs(10), async () => true] as never), 'go')
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('INVALID_DEFINITION')
    expect(result.error?.message).toMatch(
      /^stopWhen\[1\] returned a promise: a stop condition is checked between steps, synchronously/,
    )
  })
})
