/**
 * Workflows written in code, on the plan executor: a fixed pipeline runs like an agent (output,
 * no tokens, a transcript that replays), a branch on a result, a bounded loop, a workflow as a
 * sub-agent of a model-driven agent, and a plan in code that cannot run ending the run with its
 * problems.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineEval, exact, runEval } from '../src/eval/index.js'
import {
  type BatonEvent,
  defineAgent,
  defineTool,
  defineWorkflow,
  replay,
  run,
  stream,
} from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-workflow-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const POPULATION: Record<string, number> = { Lisbon: 545796, Porto: 231962, Faro: 67650 }

function tools() {
  const calls: string[] = []
  const search = defineTool({
    name: 'search',
    description: 'Finds a city’s population.',
    input: z.object({ city: z.string() }),
    run: async ({ city }) => {
      calls.push(`search ${city}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
      return { city, population: POPULATION[city] ?? 0 }
    },
  })
  const divide = defineTool({
    name: 'divide',
    description: 'a / b, to two decimals.',
    input: z.object({ a: z.number(), b: z.number() }),
    run: ({ a, b }) => {
      calls.push(`divide ${a} ${b}`)
      return Math.round((a / b) * 100) / 100
    },
  })
  return { calls, search, divide }
}

/** Lisbon's and Porto's populations looked up at once, then divided. */
function ratioWorkflow({ search, divide }: ReturnType<typeof tools>) {
  return defineWorkflow({
    name: 'ratio',
    description: 'Compares two cities by population.',
    tools: [search, divide],
    plan: {
      tasks: [
        { id: 'a', tool: 'search', args: { city: 'Lisbon' } },
        { id: 'b', tool: 'search', args: { city: 'Porto' } },
        { id: 'ratio', tool: 'divide', args: { a: '${a.population}', b: '${b.population}' } },
      ],
    },
  })
}

describe('workflows in code', () => {
  it('run a fixed pipeline like an agent: parallel steps, a step on their results, its output, no tokens', async () => {
    const made = tools()
    const { calls } = made
    const ratio = ratioWorkflow(made)
    const record = join(dir, 'ratio.jsonl')
    const events: BatonEvent[] = []
    const running = stream(ratio, 'Lisbon against Porto', { record })
    for await (const event of running) events.push(event)
    const result = await running.result
    expect(result.status).toBe('done')
    expect(result.output).toBe(2.35)
    expect(calls.slice(0, 2).sort()).toEqual(['search Lisbon', 'search Porto'])
    expect(calls[2]).toBe('divide 545796 231962')
    expect(result.usage).toMatchObject({ inputTokens: 0, outputTokens: 0, costUsd: 0, toolCalls: 4 })
    expect(events.filter((event) => event.type === 'plan.start')).toHaveLength(1)

    const again = await replay(record, ratio)
    expect(again.divergences).toEqual([])
    expect(again.output).toBe(2.35)
    expect(calls).toHaveLength(3)
  })

  it('branch on a result and loop a bounded number of rounds, deciding each round in code', async () => {
    const { calls, search, divide } = tools()
    const survey = defineWorkflow({
      name: 'survey',
      tools: [search, divide],
      maxRounds: 5,
      // The task's schema types `task` below (no cast) and refuses a task of another shape.
      input: z.object({ cities: z.array(z.string()) }),
      plan: ({ task, round, results, rounds }) => {
        const { cities } = task
        // A loop: one city a round, until the list is done.
        if (round < cities.length)
          return { tasks: [{ id: 'look', tool: 'search', args: { city: cities[round]! } }] }
        const found = [...rounds, results].map((r) => r.look)
        const populations = found.map((r) =>
          r?.status === 'done' ? (r.value as { population: number }).population : 0,
        )
        // A branch: big cities are compared, small ones only counted.
        const big = populations.filter((p) => p > 100_000)
        if (round === cities.length && big.length >= 2)
          return { tasks: [{ id: 'compare', tool: 'divide', args: { a: big[0]!, b: big[1]! } }] }
        return {
          output: {
            big: big.length,
            ratio: round > cities.length && results.compare?.status === 'done' ? results.compare.value : null,
          },
        }
      },
    })
    const both = await run(survey, { cities: ['Lisbon', 'Faro', 'Porto'] })
    expect(both.status).toBe('done')
    expect(both.output).toEqual({ big: 2, ratio: 2.35 })
    expect(calls).toEqual(['search Lisbon', 'search Faro', 'search Porto', 'divide 545796 231962'])

    calls.length = 0
    const one = await run(survey, { cities: ['Faro', 'Porto'] })
    expect(one.output).toEqual({ big: 1, ratio: null })
    expect(calls).toEqual(['search Faro', 'search Porto'])

    // More rounds than maxRounds: the run ends saying so.
    const long = await run(survey, { cities: ['Lisbon', 'Porto', 'Faro', 'Lisbon', 'Porto', 'Faro'] })
    expect(long.status).toBe('error')
    expect(long.error?.message).toContain('no more plans: this agent may make 5')

    calls.length = 0
    await expect(run(survey, { towns: ['Faro'] })).rejects.toMatchObject({
      code: 'INVALID_TASK',
      message: expect.stringContaining('cities'),
    })
    expect(calls).toEqual([])
  })

  it('serve as a sub-agent of a model-driven agent', async () => {
    const ratio = ratioWorkflow(tools())
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Answer.',
      model: scriptedModel([
        { toolCalls: [{ name: 'delegate_ratio', args: { task: 'Lisbon against Porto' } }] },
        (request) => ({ text: `ratio ${request.messages.at(-1)?.content}` }),
      ]),
      agents: [ratio],
    })
    const result = await run(lead, 'How much bigger is Lisbon?')
    expect(result.status).toBe('done')
    expect(result.output).toBe('ratio 2.35')
  })

  it('end the run with the problems of a plan written in code that cannot run', async () => {
    const { search } = tools()
    const broken = defineWorkflow({
      name: 'broken',
      tools: [search],
      plan: { tasks: [{ id: 'a', tool: 'serch', args: { city: '${nowhere}' } }] },
    })
    const result = await run(broken, 'x')
    expect(result.status).toBe('error')
    expect(result.error?.message).toContain('workflow "broken": its plan of round 0 cannot run')
    expect(result.error?.message).toContain('unknown tool "serch"')
    expect(result.error?.message).toContain('refers to ${nowhere}')
    expect(() => defineWorkflow({ name: 'none', tools: [search], plan: 'go' as never })).toThrow(
      'workflow "none": plan must be a plan { tasks: [...] } or a function that returns one',
    )
  })

  it('refuse options of the wrong kind when defined, naming the option', () => {
    const { search } = tools()
    const plan = { tasks: [{ id: 'a', tool: 'search', args: { city: 'Lisbon' } }] }
    expect(() => defineWorkflow({ name: 'w', tools: [search], plan, concurrency: 0 })).toThrow(
      'workflow "w": concurrency must be a whole number of 1 or more, got number 0',
    )
    expect(() => defineWorkflow({ name: 'w', tools: [search], plan, maxRounds: '3' as never })).toThrow(
      'workflow "w": maxRounds must be a whole number of 1 or more, got the string "3"',
    )
    expect(() => defineWorkflow({ name: 'w', tools: [search], plan, output: 'a' as never })).toThrow(
      'workflow "w": output must be a function of the results, got the string "a"',
    )
    expect(() =>
      defineWorkflow({ name: 'w', tools: [search], plan: () => plan, output: (results) => results.a }),
    ).toThrow(
      'workflow "w": output applies to a one-plan workflow; a plan function returns { output } itself',
    )
  })

  it('end the run naming the workflow and round when its code throws or its output is not JSON', async () => {
    const { search } = tools()
    const throwing = defineWorkflow({
      name: 'throwing',
      tools: [search],
      plan: ({ round }) => {
        if (round === 1) throw new TypeError('cities is not iterable')
        return { tasks: [{ id: 'a', tool: 'search', args: { city: 'Lisbon' } }] }
      },
    })
    const thrown = await run(throwing, 'x')
    expect(thrown.status).toBe('error')
    expect(thrown.error).toMatchObject({
      code: 'INTERNAL',
      message: 'workflow "throwing": its plan function threw in round 1: cities is not iterable',
    })
    const summing = defineWorkflow({
      name: 'summing',
      tools: [search],
      plan: { tasks: [{ id: 'a', tool: 'search', args: { city: 'Lisbon' } }] },
      output: () => {
        throw new Error('no total')
      },
    })
    expect((await run(summing, 'x')).error?.message).toBe(
      'workflow "summing": its output function threw: no total',
    )
    const big = defineWorkflow({ name: 'big', tools: [search], plan: () => ({ output: 10n }) })
    expect((await run(big, 'x')).error?.message).toBe(
      'workflow "big": its output in round 0 cannot be sent as JSON: Do not know how to serialize a BigInt',
    )
  })

  it('get a text task as the text, even when it reads as JSON', async () => {
    const { search } = tools()
    const echo = defineWorkflow({ name: 'echo', tools: [search], plan: ({ task }) => ({ output: { task } }) })
    expect((await run(echo, '42')).output).toEqual({ task: '42' })
    expect((await run(echo, 'null')).output).toEqual({ task: 'null' })
    expect((await run(echo, { n: 42 })).output).toEqual({ task: { n: 42 } })
  })

  it('run in evals: recorded to cassettes, then replayed from them', async () => {
    const made = tools()
    const suite = defineEval({
      name: 'ratio',
      agent: () => ratioWorkflow(made),
      cases: [{ name: 'lisbon-porto', input: 'Lisbon against Porto', expected: 2.35 }],
      scorers: [exact()],
    })
    const cassetteDir = join(dir, 'cassettes')
    const recorded = await runEval(suite, { mode: 'record', cassetteDir })
    expect(recorded.summary).toMatchObject({ cases: 1, passed: 1 })
    const replayed = await runEval(suite, { mode: 'replay', cassetteDir })
    expect(replayed.summary).toMatchObject({ cases: 1, passed: 1 })
    // The replay called no tool: the cassette answered.
    expect(made.calls).toHaveLength(3)
  })
})
