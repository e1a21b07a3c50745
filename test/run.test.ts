import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  BatonError,
  type BatonEvent,
  defineAgent,
  defineTool,
  readTranscript,
  run,
  stream,
} from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { isDelta, recordedOf } from './helpers.js'

const echo = defineTool({
  name: 'echo',
  description: 'Echoes',
  input: z.object({ text: z.string() }),
  run: ({ text }) => text,
})

describe('run()', () => {
  it('refuses a task that is neither a string nor a JSON object, naming what it got', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([]) })
    for (const [task, got] of [
      [42, 'number 42'],
      [null, 'null'],
      [['a'], 'an array'],
      [new Date(), 'object'],
      ['  ', 'empty string'],
    ] as const) {
      const error = await run(agent, task as never).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BatonError)
      expect((error as BatonError).code).toBe('INVALID_TASK')
      expect((error as BatonError).message).toContain(got)
    }
  })

  it('accepts a JSON object task and validates it against the agent input schema', async () => {
    const model = scriptedModel([{ text: 'ok' }, { text: 'ok' }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, input: z.object({ city: z.string() }) })
    await expect(run(agent, { city: 7 })).rejects.toThrow(/at city/)
    await expect(run(agent, 'Lisbon')).rejects.toThrow(/JSON object task/)
    const result = await run(agent, { city: 'Lisbon' })
    expect(result.status).toBe('done')
    expect(model.requests[0]!.messages[1]!.content).toContain('"city": "Lisbon"')
  })

  it('refuses unknown or malformed options', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([]) })
    await expect(run(agent, 'go', { recrod: 'x' } as never)).rejects.toThrow(
      /^run: options.recrod is not a known run option \(did you mean record\?\) \(known: record, signal, budget, /,
    )
    // A budget limit beside the options is pointed to its place.
    await expect(run(agent, 'go', { maxSteps: 3 } as never)).rejects.toThrow(
      'run: options.maxSteps is not a known run option (did you mean budget: { maxSteps }?)',
    )
    await expect(run(agent, 'go', { budget: { maxSteps: -2 } })).rejects.toThrow(
      /maxSteps must be a non-negative integer, got -2/,
    )
    await expect(run(agent, 'go', { model: 'nope' })).rejects.toThrow(/options.model/)
    await expect(run(agent, 'go', { clock: {} as never })).rejects.toThrow(
      'run: options.clock must be a Clock { now(), setTimeout(fn, ms) }',
    )
    await expect(run(agent, 'go', { effects: { spec: 'baton.effects.v3' } as never })).rejects.toThrow(
      'run: options.effects must be an Effects object',
    )
  })

  it('rejects, and never crashes the process, when a clock of the caller throws', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'x' }]) })
    const clock = {
      now: (): number => {
        throw new Error('clock broke')
      },
      setTimeout: () => () => {},
    }
    await expect(run(agent, 'go', { clock })).rejects.toThrow('clock broke')
    const events = stream(agent, 'go', { clock })
    await expect(
      (async () => {
        for await (const _event of events);
      })(),
    ).rejects.toThrow('clock broke')
    await expect(events.result).rejects.toThrow('clock broke')
  })

  it('turns a model failure into status error with the message, never an exception', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [echo],
      model: scriptedModel([{ toolCalls: [{ name: 'echo', args: { text: 'hi' } }] }]),
    })
    const result = await run(agent, 'go')
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('SCRIPT_EXHAUSTED')
    expect(result.error?.message).toMatch(/script has 1 step\(s\) but call #2/)
    expect(result.usage.steps).toBe(1)
    expect(result.usage.toolCalls).toBe(1)
  })

  it('reports a model string whose provider has no API key as a run error naming the variable', async () => {
    const saved = process.env.ANTHROPIC_API_KEY
    delete process.env.ANTHROPIC_API_KEY
    try {
      const agent = defineAgent({ name: 'a', instructions: 'x', model: 'anthropic:claude-sonnet-4-5' })
      const result = await run(agent, 'go')
      expect(result.status).toBe('error')
      expect(result.error?.message).toContain('ANTHROPIC_API_KEY')
      expect(result.usage.steps).toBe(0)
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved
    }
  })

  it('runs every agent of the tree on options.model, and records that in the header', async () => {
    const child = defineAgent({
      name: 'helper',
      description: 'Helps',
      instructions: 'Help.',
      model: 'openai:gpt-4o',
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: 'anthropic:claude-haiku-4-5',
      agents: [child],
    })
    const shared = scriptedModel([
      { toolCalls: [{ name: 'delegate_helper', args: { task: 'help' } }] },
      { text: 'helped' },
      { text: 'done' },
    ])
    const dir = mkdtempSync(join(tmpdir(), 'baton-run-'))
    try {
      const result = await run(lead, 'go', { model: shared, record: join(dir, 'run.jsonl') })
      expect(result.status).toBe('done')
      expect(shared.requests.map((r) => r.path)).toEqual(['root', 'root/1/agent:helper#0', 'root'])
      const { header } = readTranscript(join(dir, 'run.jsonl'))
      expect([header.agent.model, header.agent.agents[0]!.model]).toEqual([
        'scripted:model',
        'scripted:model',
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('replaces the root model with options.model', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: 'openai:gpt-4o' })
    const result = await run(agent, 'go', { model: scriptedModel([{ text: 'from the override' }]) })
    expect(result.output).toBe('from the override')
  })

  it('stops with status aborted when its signal aborts, mid model call', async () => {
    const controller = new AbortController()
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [echo],
      model: scriptedModel([{ toolCalls: [{ name: 'echo', args: { text: 'a' } }] }, { text: 'never' }], {
        latencyMs: 30_000,
      }),
    })
    setTimeout(() => controller.abort(), 50)
    const started = Date.now()
    const result = await run(agent, 'go', { signal: controller.signal })
    expect(result.status).toBe('aborted')
    expect(result.stopReason).toBe('signal')
    // The model would answer after 30 s: the run ends at the abort, not then.
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('applies the default step limit so no run is unbounded', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [echo],
      stall: false,
      model: scriptedModel(
        Array.from({ length: 150 }, (_, i) => ({ toolCalls: [{ name: 'echo', args: { text: String(i) } }] })),
      ),
    })
    const result = await run(agent, 'go')
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxSteps')
    expect(result.usage.steps).toBe(100)
  })
})

describe('stream()', () => {
  it('yields every event with seq and t, starting with run.start and ending with run.end', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [echo],
      model: scriptedModel([{ toolCalls: [{ name: 'echo', args: { text: 'hi' } }] }, { text: 'done' }]),
    })
    const events: BatonEvent[] = []
    const runStream = stream(agent, 'go')
    for await (const event of runStream) events.push(event)
    expect(events.map((e) => `${e.type} ${e.path}`)).toEqual([
      'run.start root',
      'agent.start root',
      'model.request root/1/model',
      'model.delta root/1/model',
      'model.response root/1/model',
      'tool.call root/1/tool/call_1_0',
      'tool.result root/1/tool/call_1_0',
      'model.request root/2/model',
      'model.delta root/2/model',
      'model.response root/2/model',
      'agent.end root',
      'run.end root',
    ])
    // Recorded events number the run; a delta shares the number of the event after it.
    const recorded = recordedOf(events)
    expect(recorded.map((e) => e.seq)).toEqual(recorded.map((_, i) => i))
    events.forEach((e, i) => {
      if (isDelta(e)) expect(e.seq).toBe(events[i + 1]!.seq)
    })
    expect(events.every((e) => typeof e.t === 'number' && e.t >= 0)).toBe(true)
    expect((await runStream.result).output).toBe('done')
  })

  it('aborts the run when the consumer stops reading, and still settles the result', async () => {
    let toolSignal: AbortSignal | undefined
    const slow = defineTool({
      name: 'slow',
      description: 'slow',
      input: z.object({}),
      run: (_input, ctx) =>
        new Promise((resolve) => {
          toolSignal = ctx.signal
          setTimeout(resolve, 5_000)
        }),
    })
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [slow],
      model: scriptedModel([{ toolCalls: [{ name: 'slow', args: {} }] }]),
    })
    const runStream = stream(agent, 'go')
    for await (const event of runStream) if (event.type === 'tool.call') break
    const result = await runStream.result
    expect(result.status).toBe('aborted')
    expect(toolSignal?.aborted).toBe(true)
  })
})
