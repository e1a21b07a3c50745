/**
 * Delegation under a hostile or careless model and hostile sub-agents: arguments that are not a
 * brief, a flood of delegations, depth past the limit, sub-agents that throw, hang, run out of
 * budget or return what JSON cannot carry, a parent stopped while they run, and what a sub-agent
 * may see. Every run that records is read back and replayed to the same result.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type Agent,
  type BatonEvent,
  defineAgent,
  defineTool,
  type RunResult,
  readTranscript,
  replay,
  run,
  type Scorer,
  stream,
  transcriptResult,
} from '../src/index.js'
import { fakeClock, type ScriptEntry, scriptedModel } from '../src/testing/index.js'
import { collect, ofType, toolMessages } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-sub-hostile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = () => join(dir, `run-${++n}.jsonl`)

const never = () => new Promise<never>(() => {})

function helper(steps: readonly ScriptEntry[], extra: Record<string, unknown> = {}) {
  const model = scriptedModel(steps)
  return {
    model,
    agent: defineAgent({ name: 'helper', description: 'Helps', instructions: 'Help.', model, ...extra }),
  }
}

function lead(steps: readonly ScriptEntry[], child: Agent, extra: Record<string, unknown> = {}) {
  const model = scriptedModel(steps)
  return {
    model,
    agent: defineAgent({ name: 'lead', instructions: 'Lead.', model, agents: [child], ...extra }),
  }
}

const delegation = (args: object) => ({ name: 'delegate_helper', args })

/** The transcript reads back to the run's result, and a replay ends the same way. */
async function replaysTheSame(record: string, agent: Agent, result: RunResult): Promise<void> {
  const folded = transcriptResult(readTranscript(record))
  expect(folded?.status).toBe(result.status)
  expect(folded?.stopReason).toBe(result.stopReason)
  const again = await replay(record, agent)
  expect(again.status).toBe(result.status)
  expect(again.stopReason).toBe(result.stopReason)
  expect(again.output).toEqual(result.output)
  expect(again.memory.map(({ key, value, by }) => ({ key, value, by }))).toEqual(
    result.memory.map(({ key, value, by }) => ({ key, value, by })),
  )
}

describe('a delegation call with hostile arguments', () => {
  it('is refused with a tool error naming the field, no sub-agent runs, nothing is polluted', async () => {
    const child = helper([])
    const parent = lead(
      [
        {
          toolCalls: [
            delegation({ task: 42 }),
            delegation({ task: 'x', extra: 1 }),
            delegation(JSON.parse('{"task":"x","__proto__":{"polluted":true}}')),
            delegation({ task: ['a'] }),
            delegation({ task: '   ' }),
            delegation({ task: 'x', memoryKeys: ['__proto__'] }),
            delegation({ task: 'x', memoryKeys: 'notes/a' }),
          ],
        },
        { text: 'fine' },
      ],
      child.agent,
    )
    const record = file()
    const result = await run(parent.agent, 'go', { record })
    expect(result.status).toBe('done')
    expect(child.model.requests).toHaveLength(0)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const results = toolMessages(parent.model.requests[1])
    expect(results.every((m) => m.isError)).toBe(true)
    expect(results[0]!.content).toContain('at task: must be a non-empty string')
    expect(results[1]!.content).toContain('at extra: property is not allowed')
    expect(results[2]!.content).toContain('the key "__proto__" at __proto__ is not allowed')
    expect(results[5]!.content).toContain('memory key "__proto__" does not exist')
    expect(results[6]!.content).toContain('at memoryKeys: must be an array of strings')
    await replaysTheSame(record, parent.agent, result)
  })

  it('a brief of megabytes reaches the sub-agent whole, and the run still reads back', async () => {
    const child = helper([{ text: 'read it' }])
    const big = `start ${'A'.repeat(2_000_000)} end`
    const parent = lead([{ toolCalls: [delegation({ task: big })] }, { text: 'fine' }], child.agent)
    const record = file()
    const result = await run(parent.agent, 'go', { record })
    expect(result.status).toBe('done')
    expect(child.model.requests[0]!.messages[1]!.content).toBe(big)
    await replaysTheSame(record, parent.agent, result)
  })
})

describe('a sub-agent with its own typed input', () => {
  it('arguments wrong in thousands of places get a bounded tool error listing the first', async () => {
    const model = scriptedModel([])
    const typedChild = defineAgent({
      name: 'helper',
      description: 'Sums',
      instructions: 'Sum.',
      model,
      input: z.object({ numbers: z.array(z.number()) }),
    })
    const parent = lead(
      [{ toolCalls: [delegation({ numbers: Array.from({ length: 5000 }, () => 'x') })] }, { text: 'fine' }],
      typedChild,
    )
    const record = file()
    const { result, events } = await collect(stream(parent.agent, 'go', { record }))
    expect(result.status).toBe('done')
    expect(model.requests).toHaveLength(0)
    const refused = ofType(events, 'tool.result').find((e) => e.name === 'delegate_helper')!
    expect(refused.error?.code).toBe('INVALID_ARGUMENTS')
    expect(refused.content).toContain('at numbers[0]')
    expect(refused.content).toContain('- … and 4980 more issues not shown')
    expect(refused.content.length).toBeLessThan(5_000)
    await replaysTheSame(record, parent.agent, result)
  })
})

describe('a flood of delegations in one response', () => {
  it('1,000 calls to one sub-agent end on the shared budget, with a typed outcome', async () => {
    const child = helper(Array.from({ length: 1000 }, () => ({ text: 'ok' })))
    const parent = lead(
      [
        { toolCalls: Array.from({ length: 1000 }, (_, i) => delegation({ task: `t${i}` })) },
        { text: 'fine' },
      ],
      child.agent,
    )
    const record = file()
    const result = await run(parent.agent, 'go', { record, budget: { maxSteps: 50 } })
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxSteps')
    expect(result.usage.steps).toBe(50)
    // The sub-agents that ran are numbered in call order; none past the budget wrote a result.
    expect(result.memory).toHaveLength(49)
    await replaysTheSame(record, parent.agent, result)
  })
})

describe('nesting to the depth limit and beyond', () => {
  it('the delegation past maxDepth is a MAX_DEPTH tool error; the levels above finish', async () => {
    const level = (name: string, agents: Agent[], steps: ScriptEntry[]) => {
      const model = scriptedModel(steps)
      return { model, agent: defineAgent({ name, description: name, instructions: name, model, agents }) }
    }
    const a3 = level('a3', [], [{ text: 'three' }])
    const a2 = level(
      'a2',
      [a3.agent],
      [{ toolCalls: [{ name: 'delegate_a3', args: { task: 'x' } }] }, { text: 'two' }],
    )
    const a1 = level(
      'a1',
      [a2.agent],
      [{ toolCalls: [{ name: 'delegate_a2', args: { task: 'x' } }] }, { text: 'one' }],
    )
    const a0 = level(
      'a0',
      [a1.agent],
      [{ toolCalls: [{ name: 'delegate_a1', args: { task: 'x' } }] }, { text: 'zero' }],
    )
    const record = file()
    const result = await run(a0.agent, 'go', { record, budget: { maxDepth: 2 } })
    expect(result.status).toBe('done')
    expect(result.output).toBe('zero')
    expect(a3.model.requests).toHaveLength(0)
    const refused = toolMessages(a2.model.requests[1])[0]!
    expect(refused.isError).toBe(true)
    expect(refused.content).toContain('maxDepth 2')
    await replaysTheSame(record, a0.agent, result)
  })
})

describe('sub-agents that fail', () => {
  it('one whose model throws a non-Error is reported to the parent, which goes on', async () => {
    const child = helper([
      () => {
        throw 'boom'
      },
    ])
    const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
    const record = file()
    const result = await run(parent.agent, 'go', { record })
    expect(result.status).toBe('done')
    const failed = toolMessages(parent.model.requests[1])[0]!
    expect(failed.isError).toBe(true)
    expect(failed.content).toContain('sub-agent "helper" stopped with status error')
    expect(failed.content).toContain('boom')
    await replaysTheSame(record, parent.agent, result)
  })

  it('one that never gives JSON for its schema is SUB_AGENT_FAILED naming the schema problem', async () => {
    const child = helper([{ text: 'no json' }, { text: '{"a":' }], {
      output: z.object({ a: z.number() }),
      maxGoalAttempts: 2,
    })
    const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
    const record = file()
    const result = await run(parent.agent, 'go', { record })
    expect(result.status).toBe('done')
    const failed = toolMessages(parent.model.requests[1])[0]!
    expect(failed.content).toContain('goal_failed')
    expect(failed.content).toContain('not valid JSON')
    expect(result.memory).toEqual([])
    await replaysTheSame(record, parent.agent, result)
  })

  it.each([
    ['undefined', () => undefined],
    ['a BigInt', () => ({ n: 10n })],
    [
      'a cycle',
      () => {
        const o: Record<string, unknown> = {}
        o.self = o
        return o
      },
    ],
  ])(
    'one whose output is %s (not JSON) is an INVALID_OUTPUT tool error, and nothing is written',
    async (_, make) => {
      const child = helper([{ text: '{"a":"x"}' }], { output: z.object({ a: z.string() }).transform(make) })
      const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
      const record = file()
      const { result, events } = await collect(stream(parent.agent, 'go', { record }))
      expect(result.status).toBe('done')
      const failed = ofType(events, 'tool.result').find((e) => e.name === 'delegate_helper')!
      expect(failed.isError).toBe(true)
      expect(failed.error?.code).toBe('INVALID_OUTPUT')
      expect(failed.content).toContain('sub-agent "helper"')
      expect(failed.content).toContain('cannot be sent as JSON')
      expect(result.memory).toEqual([])
      await replaysTheSame(record, parent.agent, result)
    },
  )

  it.each([
    [
      'a tool that ignores its signal',
      { tools: [defineTool({ name: 't', description: 'd', input: z.object({}), run: never })] },
      [{ toolCalls: [{ name: 't', args: {} }] }],
    ],
    ['a goal check that never ends', { goal: never }, [{ text: 'x' }]],
    [
      'an approval that never comes',
      {
        tools: [
          defineTool({
            name: 't',
            description: 'd',
            input: z.object({}),
            run: () => 'x',
            needsApproval: never,
          }),
        ],
      },
      [{ toolCalls: [{ name: 't', args: {} }] }],
    ],
  ] as const)(
    'one stuck in %s is ended by its maxWallMs and reported; the run goes on',
    async (_, extra, steps) => {
      const clock = fakeClock()
      const child = helper(steps as unknown as ScriptEntry[], { ...extra, budget: { maxWallMs: 1000 } })
      const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
      let advanced = false
      const { result } = await collect(stream(parent.agent, 'go', { clock }), (event) => {
        if (!advanced && event.type === 'model.response' && event.path.includes('agent:helper')) {
          advanced = true
          setTimeout(() => clock.advance(1000), 0)
        }
      })
      expect(result.status).toBe('done')
      const failed = toolMessages(parent.model.requests[1])[0]!
      expect(failed.content).toContain('budget_exceeded (maxWallMs)')
    },
  )

  it('one over its own maxSteps is reported to the parent, which finishes', async () => {
    const tool = defineTool({
      name: 't',
      description: 'd',
      input: z.object({ i: z.number() }),
      run: () => 'r',
    })
    const child = helper(
      Array.from({ length: 5 }, (_, i) => ({ toolCalls: [{ name: 't', args: { i } }] })),
      { tools: [tool], budget: { maxSteps: 2 } },
    )
    const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
    const record = file()
    const result = await run(parent.agent, 'go', { record })
    expect(result.status).toBe('done')
    expect(toolMessages(parent.model.requests[1])[0]!.content).toContain('budget_exceeded (maxSteps)')
    await replaysTheSame(record, parent.agent, result)
  })
})

describe('work a stopped sub-agent left behind', () => {
  function stuckTool(gate: Promise<void>, seen: string[]) {
    return defineTool({
      name: 'slow',
      description: 'Ignores its signal',
      input: z.object({}),
      run: async (_input, ctx) => {
        await gate
        try {
          ctx.memory.write('late', 'written after the stop')
          seen.push('written')
        } catch (error) {
          seen.push((error as { code?: string }).code ?? 'threw')
        }
        ctx.progress('late progress')
        return 'late'
      },
    })
  }

  it('cannot write memory or emit events once its agent has ended', async () => {
    const clock = fakeClock()
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const seen: string[] = []
    const child = helper([{ toolCalls: [{ name: 'slow', args: {} }] }], {
      tools: [stuckTool(gate, seen)],
      budget: { maxWallMs: 1000 },
    })
    const parent = lead(
      [
        { toolCalls: [delegation({ task: 'x' })] },
        async () => {
          // The sub-agent has ended: its abandoned tool now tries to write.
          open()
          await new Promise((resolve) => setTimeout(resolve, 10))
          return { text: 'fine' }
        },
      ],
      child.agent,
    )
    let advanced = false
    const { result, events } = await collect(stream(parent.agent, 'go', { clock }), (event) => {
      if (!advanced && event.type === 'tool.call' && event.path.includes('agent:helper')) {
        advanced = true
        setTimeout(() => clock.advance(1000), 0)
      }
    })
    expect(result.status).toBe('done')
    expect(seen).toEqual(['ABORTED'])
    expect(result.memory).toEqual([])
    const childEnd = events.findIndex((e) => e.type === 'agent.end' && e.path.includes('agent:helper'))
    const after = events.slice(childEnd + 1).filter((e) => e.path.includes('agent:helper'))
    expect(after).toEqual([])
  })

  it('a goal scorer it left behind cannot call a model once its agent has ended', async () => {
    const clock = fakeClock()
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const judgeModel = scriptedModel([{ text: '{"pass":true,"score":1,"reason":"late"}' }])
    const outcomes: string[] = []
    const late: Scorer = {
      kind: 'baton.scorer',
      name: 'late',
      async score(_input, ctx) {
        await gate
        try {
          await ctx.generate(judgeModel, { messages: [{ role: 'user', content: 'grade' }], tools: [] })
          outcomes.push('called')
        } catch (error) {
          outcomes.push((error as { code?: string }).code ?? 'threw')
        }
        return { pass: true, score: 1 }
      },
    }
    const child = helper([{ text: 'answer' }], { goal: late, budget: { maxWallMs: 1000 } })
    const parent = lead(
      [
        { toolCalls: [delegation({ task: 'x' })] },
        async () => {
          open()
          await new Promise((resolve) => setTimeout(resolve, 10))
          return { text: 'fine' }
        },
      ],
      child.agent,
    )
    let advanced = false
    const { result, events } = await collect(stream(parent.agent, 'go', { clock }), (event) => {
      if (!advanced && event.type === 'model.response' && event.path.includes('agent:helper')) {
        advanced = true
        setTimeout(() => clock.advance(1000), 0)
      }
    })
    expect(result.status).toBe('done')
    expect(outcomes).toEqual(['ABORTED'])
    expect(judgeModel.requests).toHaveLength(0)
    const childEnd = events.findIndex((e) => e.type === 'agent.end' && e.path.includes('agent:helper'))
    expect(events.slice(childEnd + 1).filter((e) => e.path.includes('agent:helper'))).toEqual([])
  })

  it('calls still queued when a sub-agent stops never start', async () => {
    const clock = fakeClock()
    const started: number[] = []
    const slow = defineTool({
      name: 'slow',
      description: 'Ignores its signal',
      input: z.object({ i: z.number() }),
      run: ({ i }) => {
        started.push(i)
        return never()
      },
    })
    const child = helper([{ toolCalls: [0, 1, 2, 3].map((i) => ({ name: 'slow', args: { i } })) }], {
      tools: [slow],
      toolConcurrency: 1,
      budget: { maxWallMs: 1000 },
    })
    const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
    let advanced = false
    const { result, events } = await collect(stream(parent.agent, 'go', { clock }), (event) => {
      if (!advanced && event.type === 'tool.call' && event.path.includes('agent:helper')) {
        advanced = true
        setTimeout(() => clock.advance(1000), 0)
      }
    })
    expect(result.status).toBe('done')
    expect(started).toEqual([0])
    const calls = ofType(events, 'tool.result').filter((e) => e.name === 'slow')
    expect(calls.map((e) => e.error?.code)).toEqual(['ABORTED', 'ABORTED', 'ABORTED', 'ABORTED'])
  })

  it('a call approved after its agent stopped does not run', async () => {
    const controller = new AbortController()
    const paid: number[] = []
    const pay = defineTool({
      name: 'pay',
      description: 'Pays',
      input: z.object({ eur: z.number() }),
      needsApproval: true,
      run: ({ eur }) => {
        paid.push(eur)
        return 'paid'
      },
    })
    let approveNow!: () => void
    const approval = new Promise<boolean>((resolve) => {
      approveNow = () => resolve(true)
    })
    const child = helper([{ toolCalls: [{ name: 'pay', args: { eur: 5 } }] }, { text: 'done' }], {
      tools: [pay],
    })
    const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
    const record = file()
    const { result } = await collect(
      stream(parent.agent, 'go', { record, signal: controller.signal, approve: () => approval }),
      (event) => {
        if (event.type === 'approval.request') controller.abort()
      },
    )
    expect(result.status).toBe('aborted')
    const written = readFileSync(record, 'utf8')
    approveNow()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(paid).toEqual([])
    expect(readFileSync(record, 'utf8')).toBe(written)
  })

  it('an approval asked for after its agent stopped is never put to approve', async () => {
    const controller = new AbortController()
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const asked: string[] = []
    const pay = defineTool({
      name: 'pay',
      description: 'Pays',
      input: z.object({ eur: z.number() }),
      needsApproval: async () => {
        await gate
        return true
      },
      run: () => 'paid',
    })
    const child = helper([{ toolCalls: [{ name: 'pay', args: { eur: 5 } }] }], { tools: [pay] })
    const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
    const { result } = await collect(
      stream(parent.agent, 'go', {
        signal: controller.signal,
        approve: (request) => {
          asked.push(request.tool)
          return true
        },
      }),
      (event) => {
        if (event.type === 'tool.call' && event.path.includes('agent:helper')) controller.abort()
      },
    )
    expect(result.status).toBe('aborted')
    open()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(asked).toEqual([])
  })

  it('after the parent is aborted, nothing keeps writing once run() returned', async () => {
    const controller = new AbortController()
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const seen: string[] = []
    const child = helper(
      [{ toolCalls: [{ name: 'slow', args: {} }] }, { toolCalls: [{ name: 'slow', args: {} }] }],
      { tools: [stuckTool(gate, seen)] },
    )
    const parent = lead(
      [{ toolCalls: [delegation({ task: 'x' }), delegation({ task: 'y' })] }, { text: 'fine' }],
      child.agent,
    )
    const record = file()
    let calls = 0
    const { result, events } = await collect(
      stream(parent.agent, 'go', { record, signal: controller.signal }),
      (event: BatonEvent) => {
        if (event.type === 'tool.call' && event.path.includes('agent:helper') && ++calls === 2)
          controller.abort()
      },
    )
    expect(result.status).toBe('aborted')
    const ends = ofType(events, 'agent.end')
    expect(ends.map((e) => e.status)).toEqual(['aborted', 'aborted', 'aborted'])
    const written = readFileSync(record, 'utf8')
    open()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(seen).toEqual(['ABORTED', 'ABORTED'])
    expect(readFileSync(record, 'utf8')).toBe(written)
    expect(child.model.requests).toHaveLength(2)
    // The transcript reads back as the run ended; a replay, which no abort stops, says why the
    // recording ends where it does.
    expect(transcriptResult(readTranscript(record))?.status).toBe('aborted')
    const again = await replay(record, parent.agent)
    expect(again.error?.code).toBe('REPLAY_MISSING')
    expect(again.error?.message).toContain('the recorded run was aborted')
  })
})

describe('what a sub-agent may see', () => {
  const save = defineTool({
    name: 'save',
    description: 'Saves a note',
    input: z.object({ key: z.string(), value: z.string() }),
    run: ({ key, value }, ctx) => {
      ctx.memory.write(key, value)
      return 'saved'
    },
  })

  it("a handed memory key outside the sub-agent's own read scope is refused, and it never runs", async () => {
    const child = helper([{ text: 'saw it' }], { memory: { read: ['public/*'] } })
    const parent = lead(
      [
        { toolCalls: [{ name: 'save', args: { key: 'secret/plan', value: 'TOP-SECRET' } }] },
        { toolCalls: [delegation({ task: 'Use it.', memoryKeys: ['secret/plan'] })] },
        { text: 'fine' },
      ],
      child.agent,
      { tools: [save] },
    )
    const record = file()
    const { result, events } = await collect(stream(parent.agent, 'go', { record }))
    expect(result.status).toBe('done')
    expect(child.model.requests).toHaveLength(0)
    const refused = ofType(events, 'tool.result').find((e) => e.name === 'delegate_helper')!
    expect(refused.isError).toBe(true)
    expect(refused.error?.code).toBe('MEMORY_SCOPE')
    expect(refused.content).toContain('secret/plan')
    expect(refused.content).toContain('helper')
    await replaysTheSame(record, parent.agent, result)
  })

  it("a handed key inside the sub-agent's scope reaches it; the parent's history does not", async () => {
    const child = helper([{ text: 'saw it' }], { memory: { read: ['public/*'] } })
    const parent = lead(
      [
        {
          toolCalls: [
            { name: 'save', args: { key: 'public/note', value: 'OPEN-NOTE' } },
            { name: 'save', args: { key: 'secret/plan', value: 'TOP-SECRET' } },
          ],
        },
        { toolCalls: [delegation({ task: 'Use it.', memoryKeys: ['public/note'] })] },
        { text: 'fine' },
      ],
      child.agent,
      { tools: [save] },
    )
    const result = await run(parent.agent, 'PARENT-TASK-TEXT')
    expect(result.status).toBe('done')
    const seen = JSON.stringify(child.model.requests[0])
    expect(seen).toContain('OPEN-NOTE')
    expect(seen).not.toContain('TOP-SECRET')
    expect(seen).not.toContain('PARENT-TASK-TEXT')
  })

  it("secrets in a sub-agent's result stay out of the transcript", async () => {
    const key = `sk-proj-${'Q'.repeat(24)}`
    const child = helper([{ text: `found the key ${key}` }])
    const parent = lead([{ toolCalls: [delegation({ task: 'x' })] }, { text: 'fine' }], child.agent)
    const record = file()
    const result = await run(parent.agent, 'go', { record })
    expect(result.status).toBe('done')
    expect(readFileSync(record, 'utf8')).not.toContain(key)
    expect(transcriptResult(readTranscript(record))?.status).toBe('done')
  })
})
