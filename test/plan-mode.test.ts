/**
 * Plan mode through real runs: the planning model answers with one `plan` call; its tasks run
 * as ordinary calls (events, budget, sub-agents, transcript) the moment their inputs are ready,
 * with references filled; the model sees every result at once and answers, or plans again. A
 * bad plan goes back to the model with its problems; plans past `maxReplans` are refused; a
 * failed task's dependents are skipped and say why; the recorded run replays.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { EMPTY_TREE, reduceTree, treeLines } from '../src/cli/live-tree.js'
import {
  type BatonEvent,
  defineAgent,
  defineTool,
  type Model,
  readTranscript,
  replay,
  resume,
  run,
  stream,
  transcriptResult,
} from '../src/index.js'
import { spansOf } from '../src/otel/index.js'
import { type ScriptEntry, scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-plan-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const POPULATION: Record<string, number> = { Lisbon: 545796, Porto: 231962 }

function lead(steps: ScriptEntry[], options: { maxReplans?: number; failing?: string } = {}) {
  const search = defineTool({
    name: 'search',
    description: 'Finds a city’s population.',
    input: z.object({ city: z.string() }),
    run: async ({ city }) => {
      await new Promise((resolve) => setTimeout(resolve, 10))
      if (city === options.failing) throw new Error(`no data for ${city}`)
      return { city, population: POPULATION[city] ?? 0 }
    },
  })
  const calculate = defineTool({
    name: 'calculate',
    description: 'Evaluates a division a / b.',
    input: z.object({ a: z.number(), b: z.number() }),
    run: ({ a, b }) => Math.round((a / b) * 100) / 100,
  })
  const analyst = defineAgent({
    name: 'analyst',
    description: 'Explains figures.',
    instructions: 'Explain.',
    model: scriptedModel([(request) => ({ text: `analysed: ${request.messages.at(-1)?.content}` })]),
  })
  const model = scriptedModel(steps)
  const agent = defineAgent({
    name: 'planner',
    instructions: 'Plan the work.',
    model,
    tools: [search, calculate],
    agents: [analyst],
    plan: options.maxReplans === undefined ? true : { maxReplans: options.maxReplans },
  })
  return { agent, model }
}

const PLAN = {
  tasks: [
    { id: 'lisbon', tool: 'search', args: { city: 'Lisbon' } },
    { id: 'porto', tool: 'search', args: { city: 'Porto' } },
    { id: 'ratio', tool: 'calculate', args: { a: '${lisbon.population}', b: '${porto.population}' } },
    { id: 'brief', agent: 'analyst', task: 'Lisbon is ${ratio} times Porto (${lisbon.population} people)' },
  ],
}

const lastToolMessage = (
  model: { requests: { messages: { role: string; content: string }[] }[] },
  i: number,
) => model.requests[i]!.messages.filter((message) => message.role === 'tool').at(-1)!.content

describe('plan mode', () => {
  it('offers the model one tool, the plan, describing the tools and sub-agents it can call', async () => {
    const { agent, model } = lead([{ text: 'nothing to do' }])
    await run(agent, 'Compare Lisbon and Porto')
    const tools = model.requests[0]!.tools!
    expect(tools.map((tool) => tool.name)).toEqual(['plan'])
    expect(tools[0]!.description).toContain('- search: Finds a city’s population.')
    expect(tools[0]!.description).toContain('- analyst: Explains figures.')
    expect(JSON.stringify(tools[0]!.parameters)).toContain('"enum":["search","calculate"]')
  })

  it('runs each task the moment its inputs are ready, fills references, and gives the model every result', async () => {
    const record = join(dir, 'plan.jsonl')
    const { agent, model } = lead([
      { toolCalls: [{ name: 'plan', args: PLAN }] },
      { text: 'Lisbon is 2.35 times Porto.' },
    ])
    const events: BatonEvent[] = []
    const running = stream(agent, 'Compare Lisbon and Porto', { record })
    for await (const event of running) events.push(event)
    const result = await running.result
    expect(result.status).toBe('done')
    expect(result.output).toBe('Lisbon is 2.35 times Porto.')

    const plan = events.find((event) => event.type === 'plan.start')
    expect(plan).toMatchObject({
      path: 'root/1/tool/call_1_0',
      callId: 'call_1_0',
      tasks: [
        { id: 'lisbon', kind: 'tool', name: 'search', needs: [] },
        { id: 'porto', kind: 'tool', name: 'search', needs: [] },
        { id: 'ratio', kind: 'tool', name: 'calculate', needs: ['lisbon', 'porto'] },
        { id: 'brief', kind: 'agent', name: 'analyst', needs: ['ratio', 'lisbon'] },
      ],
    })
    // Each task is a call of its own, keyed by the plan's structure.
    const order = events
      .filter((event) => event.type === 'tool.call' || event.type === 'tool.result')
      .map(
        (event) =>
          `${event.type === 'tool.call' ? 'call' : 'result'} ${event.path.replace('root/1/tool/', '')}`,
      )
    expect(order.slice(0, 3)).toEqual(['call call_1_0', 'call call_1_0.lisbon', 'call call_1_0.porto'])
    expect(order.indexOf('call call_1_0.ratio')).toBeGreaterThan(order.indexOf('result call_1_0.lisbon'))
    expect(order.indexOf('call call_1_0.ratio')).toBeGreaterThan(order.indexOf('result call_1_0.porto'))
    expect(order.at(-1)).toBe('result call_1_0')
    const ratio = events.find((event) => event.type === 'tool.call' && event.path.endsWith('.ratio'))
    expect(ratio?.type === 'tool.call' && ratio.args).toEqual({ a: 545796, b: 231962 })
    // The sub-agent got its brief filled, and ran as a delegation of this step.
    const analyst = events.find((event) => event.type === 'agent.start' && event.agent === 'analyst')
    expect(analyst).toMatchObject({
      path: 'root/1/agent:analyst#0',
      task: 'Lisbon is 2.35 times Porto (545796 people)',
    })

    // The model sees every result at once, by task.
    expect(JSON.parse(lastToolMessage(model, 1))).toEqual({
      lisbon: { result: { city: 'Lisbon', population: 545796 } },
      porto: { result: { city: 'Porto', population: 231962 } },
      ratio: { result: 2.35 },
      brief: { result: 'analysed: Lisbon is 2.35 times Porto (545796 people)' },
    })
    // The plan and each of its four tasks count as tool calls, and are in the trajectory.
    expect(result.usage.toolCalls).toBe(5)
    expect(result.trajectory.map((step) => [step.kind, step.name, step.ok])).toEqual([
      ['tool', 'plan', true],
      ['tool', 'search', true],
      ['tool', 'search', true],
      ['tool', 'calculate', true],
      ['agent', 'delegate_analyst', true],
    ])
    expect(result.trajectory[3]!.args).toEqual({ a: 545796, b: 231962 })

    // The live tree shows the plan under its agent, each task's state, then its critical path.
    const during = events
      .slice(0, events.findIndex((event) => event.type === 'tool.result') + 1)
      .reduce(reduceTree, EMPTY_TREE)
    const view = { now: 5000, columns: 200, color: false }
    expect(treeLines(during, view).find((line) => line.includes('⋔ plan:'))).toMatch(
      /⋔ plan: lisbon [✓⟳].* · porto [✓⟳].* · ratio … · brief …/,
    )
    const after = treeLines(events.reduce(reduceTree, EMPTY_TREE), view)
    expect(after.find((line) => line.includes('⋔ plan:'))).toMatch(
      /lisbon ✓ .* · porto ✓ .* · ratio ✓ .* · brief ✓/,
    )
    expect(after.find((line) => line.includes('critical path'))).toMatch(
      /critical path: (lisbon|porto) → ratio → brief \(/,
    )

    // As a trace: each task under the plan's call, the sub-agent under the task that started it.
    const spans = new Map(spansOf(readTranscript(record).events, 'plan').map((span) => [span.key, span]))
    expect(spans.get('root/1/tool/call_1_0')).toMatchObject({ name: 'execute_tool plan', parent: 'root' })
    expect(spans.get('root/1/tool/call_1_0.ratio')).toMatchObject({
      name: 'execute_tool calculate',
      parent: 'root/1/tool/call_1_0',
    })
    expect(spans.get('root/1/agent:analyst#0')).toMatchObject({
      name: 'invoke_agent analyst',
      parent: 'root/1/tool/call_1_0.brief',
    })

    // The recorded run replays, every task answered from the recording by its key.
    const again = await replay(record, agent)
    expect(again.status).toBe('done')
    expect(again.divergences).toEqual([])
    expect(again.output).toBe(result.output)
  })

  it('sends a plan that cannot run back to the model with every problem, then runs the fixed one', async () => {
    const bad = {
      tasks: [
        { id: 'lisbon', tool: 'serch', args: { city: 'Lisbon' } },
        { id: 'ratio', tool: 'calculate', args: { a: '${lisbon.population}', b: '${porto.population}' } },
      ],
    }
    const { agent, model } = lead([
      { toolCalls: [{ name: 'plan', args: bad }] },
      { toolCalls: [{ name: 'plan', args: PLAN }] },
      { text: 'done' },
    ])
    const result = await run(agent, 'Compare')
    expect(result.status).toBe('done')
    const feedback = lastToolMessage(model, 1)
    expect(feedback).toContain('the plan cannot run')
    expect(feedback).toContain('task "lisbon": unknown tool "serch"; the tools are "search", "calculate"')
    expect(feedback).toContain(
      'task "ratio": args.b refers to ${porto.population}, but no task is called "porto"',
    )
    expect(JSON.parse(lastToolMessage(model, 2)).ratio).toEqual({ result: 2.35 })
  })

  it('keeps a failed task as its result and skips the tasks that needed it, saying why', async () => {
    const { agent, model } = lead(
      [{ toolCalls: [{ name: 'plan', args: PLAN }] }, { text: 'Porto has no data.' }],
      {
        failing: 'Porto',
      },
    )
    const result = await run(agent, 'Compare')
    expect(result.status).toBe('done')
    const report = JSON.parse(lastToolMessage(model, 1))
    expect(report.lisbon).toEqual({ result: { city: 'Lisbon', population: 545796 } })
    expect(report.porto.error).toContain('no data for Porto')
    expect(report.ratio).toEqual({ skipped: expect.stringContaining('it needs "porto", which failed') })
    expect(report.brief).toEqual({ skipped: expect.stringContaining('it needs "ratio", which was skipped') })
  })

  it('tells the model which arguments of a task do not fit its tool, and why', async () => {
    const { agent, model } = lead([
      {
        toolCalls: [
          {
            name: 'plan',
            args: {
              tasks: [
                { id: 'lisbon', tool: 'search', args: { city: 'Lisbon' } },
                { id: 'ratio', tool: 'calculate', args: { a: '${lisbon.city}', b: 2 } },
              ],
            },
          },
        ],
      },
      { text: 'a city is not a number' },
    ])
    const result = await run(agent, 'Compare')
    expect(result.status).toBe('done')
    expect(JSON.parse(lastToolMessage(model, 1)).ratio).toEqual({
      error:
        'invalid arguments for tool "calculate":\n- at a: Invalid input: expected number, received string',
      code: 'INVALID_ARGUMENTS',
    })
  })

  it('sends a plan of odd shapes back with what is wrong, rather than failing on it or losing a task', async () => {
    const { agent, model } = lead([
      {
        toolCalls: [
          {
            name: 'plan',
            args: {
              tasks: [
                { id: 'lisbon', tool: 'search', args: { city: 'Lisbon' }, after: { porto: true } },
                { id: '__proto__', tool: 'search', args: { city: 'Porto' } },
                { id: 'ratio', tool: 'calculate', args: 'a=${lisbon.population}, b=2' },
                { id: 'brief', agent: 'analyst', task: 'Explain ${lisbon[population]}' },
              ],
            },
          },
        ],
      },
      { text: 'will fix it' },
    ])
    const result = await run(agent, 'Compare')
    expect(result.status).toBe('done')
    expect(lastToolMessage(model, 1)).toBe(
      [
        'Error: the plan cannot run; fix these and send it again:',
        '- task "lisbon": "after" must be a list of task ids, got an object',
        '- plan: task 2: "id" cannot be "__proto__"; choose another',
        '- task "ratio": "args" must be an object of the tool\'s arguments, got "a=${lisbon.population}, b=2"',
        '- task "brief": task has ${lisbon[population]}, which is not a reference: write ${lisbon} for its whole result, or ${lisbon.field.0} for a field (fields and list indexes after dots, no spaces)',
      ].join('\n'),
    )
    // Nothing ran: the plan was refused whole.
    expect(result.usage.toolCalls).toBe(1)
  })

  it('refuses plans past maxReplans, and calls of other tools, telling the model what to do', async () => {
    const { agent, model } = lead(
      [
        { toolCalls: [{ name: 'plan', args: PLAN }] },
        { toolCalls: [{ name: 'search', args: { city: 'Lisbon' } }] },
        { toolCalls: [{ name: 'plan', args: PLAN }] },
        { text: 'answering with what I have' },
      ],
      { maxReplans: 0 },
    )
    const result = await run(agent, 'Compare')
    expect(result.status).toBe('done')
    expect(lastToolMessage(model, 2)).toMatch(/unknown tool "search".*plan/s)
    expect(lastToolMessage(model, 3)).toContain('no more plans: this agent may make 1 (the first and 0 more)')
  })

  it('refuses a plan mode with nothing to plan, or a tool named plan', () => {
    expect(() =>
      defineAgent({ name: 'empty', instructions: 'x', model: scriptedModel([]), plan: true }),
    ).toThrow('agent "empty": plan needs tools or sub-agents to plan calls to; this agent has neither')
    const named = defineTool({ name: 'plan', description: 'x', input: z.object({}), run: () => 1 })
    expect(() =>
      defineAgent({ name: 'clash', instructions: 'x', model: scriptedModel([]), tools: [named], plan: true }),
    ).toThrow(`tools[0] is named "plan", the name of plan mode's own tool`)
    expect(() =>
      defineAgent({
        name: 'bad',
        instructions: 'x',
        model: scriptedModel([]),
        tools: [named],
        plan: { maxReplans: -1 } as never,
      }),
    ).toThrow('plan.maxReplans must be a whole number of 0 or more')
  })

  it('pauses for a task that needs approval, and a resume runs it with the rest of the plan', async () => {
    const sent: string[] = []
    // A resume answers the recorded step from the recording: its model plays the later steps only.
    const make = (resuming = false) => {
      const search = defineTool({
        name: 'search',
        description: 'Finds a city’s population.',
        input: z.object({ city: z.string() }),
        run: ({ city }) => ({ city, population: POPULATION[city] ?? 0 }),
      })
      const publish = defineTool({
        name: 'publish',
        description: 'Publishes a figure.',
        input: z.object({ text: z.string() }),
        needsApproval: true,
        run: ({ text }) => {
          sent.push(text)
          return 'published'
        },
      })
      return defineAgent({
        name: 'publisher',
        instructions: 'Publish.',
        model: scriptedModel([
          ...(resuming
            ? []
            : [
                {
                  toolCalls: [
                    {
                      name: 'plan',
                      args: {
                        tasks: [
                          { id: 'lisbon', tool: 'search', args: { city: 'Lisbon' } },
                          { id: 'post', tool: 'publish', args: { text: 'Lisbon: ${lisbon.population}' } },
                        ],
                      },
                    },
                  ],
                },
              ]),
          { text: 'published it' },
        ]),
        tools: [search, publish],
        plan: true,
      })
    }
    const record = join(dir, 'approval.jsonl')
    const paused = await run(make(), 'Publish Lisbon', { record })
    expect(paused.status).toBe('awaiting_approval')
    expect(paused.pending).toMatchObject([{ tool: 'publish', args: { text: 'Lisbon: 545796' } }])
    expect(sent).toEqual([])

    const resumed = await resume(record, make(true), { approve: () => true })
    expect(resumed.status).toBe('done')
    expect(resumed.output).toBe('published it')
    expect(sent).toEqual(['Lisbon: 545796'])
  })

  it('starts the tasks that need nothing while the plan is still being written, and adopts them', async () => {
    const ran: string[] = []
    const fetchTool = (name: string, idempotent: boolean) =>
      defineTool({
        name,
        description: 'Fetches',
        input: z.object({ q: z.string() }),
        idempotent,
        run: ({ q }) => {
          ran.push(`${name} ${q}`)
          return { q, size: q.length }
        },
      })
    const combine = defineTool({
      name: 'combine',
      description: 'Combines',
      input: z.object({ x: z.number(), y: z.number() }),
      run: ({ x, y }) => x + y,
    })
    // The plan's arguments arrive in three pieces, 40 ms apart, as a provider streams them.
    const pieces = [
      '{"tasks":[{"id":"a","tool":"fetch","args":{"q":"alpha"}},',
      '{"id":"b","tool":"fetch_once","args":{"q":"beta"}},{"id":"c","tool":"combine","args":{"x":"${a.size}","y":"${b.size}"}}',
      ']}',
    ]
    const usage = { inputTokens: 10, outputTokens: 10 }
    const planned = {
      message: {
        role: 'assistant' as const,
        content: '',
        toolCalls: [{ id: 'call_plan', name: 'plan', args: JSON.parse(pieces.join('')) }],
      },
      finishReason: 'tool-calls' as const,
      usage,
    }
    const answered = {
      message: { role: 'assistant' as const, content: 'combined' },
      finishReason: 'stop' as const,
      usage,
    }
    const model: Model = {
      spec: 'baton.model.v1',
      id: 'scripted:streaming',
      generate: async (request) => (request.messages.some((m) => m.role === 'tool') ? answered : planned),
      async *stream(request) {
        if (request.messages.some((m) => m.role === 'tool')) {
          yield { type: 'finish', response: answered }
          return
        }
        for (const [i, argsDelta] of pieces.entries()) {
          if (i > 0) await new Promise((resolve) => setTimeout(resolve, 40))
          yield {
            type: 'tool-call-delta',
            index: 0,
            ...(i === 0 ? { id: 'call_plan', name: 'plan' } : {}),
            argsDelta,
          }
        }
        yield { type: 'finish', response: planned }
      },
    }
    const make = () =>
      defineAgent({
        name: 'streamer',
        instructions: 'Plan.',
        model,
        tools: [fetchTool('fetch', true), fetchTool('fetch_once', false), combine],
        plan: true,
      })
    const record = join(dir, 'early.jsonl')
    const events: BatonEvent[] = []
    const running = stream(make(), 'Fetch and combine', { record })
    for await (const event of running) events.push(event)
    const result = await running.result
    expect(result.status).toBe('done')

    const at = (type: string, path: string) => events.findIndex((e) => e.type === type && e.path === path)
    const answer = at('model.response', 'root/1/model')
    // `a` (an idempotent tool, needing nothing) started while the plan was written, and ended too.
    expect(at('tool.call', 'root/1/tool/call_plan.a')).toBeGreaterThanOrEqual(0)
    expect(at('tool.call', 'root/1/tool/call_plan.a')).toBeLessThan(answer)
    expect(at('tool.result', 'root/1/tool/call_plan.a')).toBeLessThan(answer)
    // `b` needs nothing but its tool is not idempotent; `c` needs both: they wait for the plan.
    expect(at('tool.call', 'root/1/tool/call_plan.b')).toBeGreaterThan(answer)
    expect(at('tool.call', 'root/1/tool/call_plan.c')).toBeGreaterThan(answer)
    // The early call is the plan's: made once, its result in the report, in the trajectory.
    expect(ran).toEqual(['fetch alpha', 'fetch_once beta'])
    const report = JSON.parse(
      (
        events.find((e) => e.type === 'tool.result' && e.path === 'root/1/tool/call_plan') as {
          content: string
        }
      ).content,
    )
    expect(report).toEqual({
      a: { result: { q: 'alpha', size: 5 } },
      b: { result: { q: 'beta', size: 4 } },
      c: { result: 9 },
    })
    expect(result.trajectory.map((step) => step.name)).toEqual(['plan', 'fetch', 'fetch_once', 'combine'])
    expect(result.usage.toolCalls).toBe(4)
    // The live tree knows the early task once the plan is known.
    const tree = treeLines(events.reduce(reduceTree, EMPTY_TREE), { now: 5000, columns: 200, color: false })
    expect(tree.find((line) => line.includes('⋔ plan:'))).toMatch(/a ✓ .* · b ✓ .* · c ✓/)

    // A replay streams the recorded plan again: the same call starts early, from the recording.
    const again = await replay(record, make())
    expect(again.divergences).toEqual([])
    expect(again.live).toEqual({ model: 0, tool: 0 })
    expect(again.output).toBe('combined')
    expect(ran).toHaveLength(2)
  })

  it('waits for the tasks it started early that no plan took up before the step ends', async () => {
    const usage = { inputTokens: 1, outputTokens: 1 }
    const text = (content: string) => ({
      message: { role: 'assistant' as const, content },
      finishReason: 'stop' as const,
      usage,
    })
    const planCall = (id: string, task: string) => ({
      message: {
        role: 'assistant' as const,
        content: '',
        toolCalls: [{ id, name: 'plan', args: { tasks: [{ id: task, tool: 'fetch', args: { q: task } }] } }],
      },
      finishReason: 'tool-calls' as const,
      usage,
    })
    const piece = (id: string, task: string) => ({
      type: 'tool-call-delta' as const,
      index: 0,
      id,
      name: 'plan',
      argsDelta: `{"tasks":[{"id":"${task}","tool":"fetch","args":{"q":"${task}"}},`,
    })
    // Each way an answer can leave a task started early without a plan to take it up.
    const scenarios = {
      // The answer ends with text after all.
      text: [piece('cp', 'a'), { type: 'finish' as const, response: text('no plan after all') }],
      // The stream starts over and writes another plan.
      restart: [
        piece('cp', 'a'),
        { type: 'restart' as const },
        piece('cp', 'b'),
        { type: 'finish' as const, response: planCall('cp', 'b') },
      ],
      // The plan call that runs is another than the one that streamed.
      other: [piece('cp1', 'a'), { type: 'finish' as const, response: planCall('cp2', 'a') }],
    }
    for (const [name, first] of Object.entries(scenarios)) {
      const ran: string[] = []
      const fetch = defineTool({
        name: 'fetch',
        description: 'Fetches',
        input: z.object({ q: z.string() }),
        idempotent: true,
        run: async ({ q }) => {
          // Still running when the answer ends.
          await new Promise((resolve) => setTimeout(resolve, 30))
          ran.push(q)
          return q
        },
      })
      const model: Model = {
        spec: 'baton.model.v1',
        id: 'scripted:streaming',
        generate: async () => text('unused'),
        async *stream(request) {
          if (request.messages.some((m) => m.role === 'tool')) {
            yield { type: 'finish', response: text('done') }
            return
          }
          yield* first
        },
      }
      const agent = defineAgent({ name: 'planner', instructions: 'Plan.', model, tools: [fetch], plan: true })
      const record = join(dir, `abandoned-${name}.jsonl`)
      const events: BatonEvent[] = []
      const running = stream(agent, 'Fetch', { record })
      for await (const event of running) events.push(event)
      const result = await running.result
      expect(result.status, name).toBe('done')
      // Every call that started has ended, and said so, before the run ended.
      const calls = events.filter((e) => e.type === 'tool.call' && e.name === 'fetch').map((e) => e.path)
      const results = events.filter((e) => e.type === 'tool.result' && e.name === 'fetch').map((e) => e.path)
      expect(calls.length, name).toBeGreaterThan(0)
      expect(results.sort(), name).toEqual([...calls].sort())
      expect(ran, name).toHaveLength(calls.length)
      const end = events.findIndex((e) => e.type === 'run.end')
      for (const path of calls)
        expect(
          events.findIndex((e) => e.type === 'tool.result' && e.path === path),
          `${name} ${path}`,
        ).toBeLessThan(end)
      // The transcript holds them too, and folds to the result the run returned.
      const recorded = readTranscript(record)
      expect(
        recorded.events
          .filter((e) => e.type === 'tool.result' && e.name === 'fetch')
          .map((e) => e.path)
          .sort(),
        name,
      ).toEqual([...calls].sort())
      expect(transcriptResult(recorded), name).toEqual({ ...result, transcript: record })
    }
  })

  it('sends a plan nested thousands deep back to the model with what is wrong, streamed or not', async () => {
    let plan: Record<string, unknown> = { tasks: [{ id: 'leaf', tool: 'search', args: { city: 'Lisbon' } }] }
    for (let i = 0; i < 3_000; i++) plan = { tasks: [{ id: `n${i}`, plan }] }
    for (const streamed of [false, true]) {
      const { agent, model } = lead([{ toolCalls: [{ name: 'plan', args: plan }] }, { text: 'gave up' }])
      const result = streamed
        ? await (async () => {
            const running = stream(agent, 'Go deep')
            for await (const _ of running);
            return running.result
          })()
        : await run(agent, 'Go deep')
      expect(result.status, `streamed ${streamed}`).toBe('done')
      expect(result.output).toBe('gave up')
      // Nothing but the plan call ran; the model was told where the plan stops being a plan.
      expect(result.usage.toolCalls).toBe(1)
      expect(lastToolMessage(model, 1)).toMatch(
        /\(a plan\): expected an object \{ tasks: \[\.\.\.\] \}, got "\[too deep\]"/,
      )
    }
  })

  it('reports the results in the plan’s order, whatever order the tasks ended in', async () => {
    const wait = defineTool({
      name: 'wait',
      description: 'Waits',
      input: z.object({ ms: z.number() }),
      run: async ({ ms }) => {
        await new Promise((resolve) => setTimeout(resolve, ms))
        return ms
      },
    })
    const model = scriptedModel([
      {
        toolCalls: [
          {
            name: 'plan',
            args: {
              tasks: [
                { id: 'slow', tool: 'wait', args: { ms: 60 } },
                { id: 'fast', tool: 'wait', args: { ms: 1 } },
                { id: 'middle', tool: 'wait', args: { ms: 20 } },
              ],
            },
          },
        ],
      },
      { text: 'waited' },
    ])
    const agent = defineAgent({ name: 'waiter', instructions: 'Wait.', model, tools: [wait], plan: true })
    const events: BatonEvent[] = []
    const running = stream(agent, 'Wait')
    for await (const event of running) events.push(event)
    const ended = events.flatMap((e) =>
      e.type === 'tool.result' && e.name === 'wait' ? [e.path.split('.').at(-1)] : [],
    )
    expect(ended).toEqual(['fast', 'middle', 'slow'])
    expect(Object.keys(JSON.parse(lastToolMessage(model, 1)))).toEqual(['slow', 'fast', 'middle'])
  })

  it('checks a reference into a tool’s declared result before anything runs', async () => {
    const facts = defineTool({
      name: 'facts',
      description: 'Facts',
      input: z.object({ city: z.string() }),
      output: z.object({ city: z.string(), population: z.number() }),
      run: ({ city }) => ({ city, population: POPULATION[city] ?? 0 }),
    })
    const model = scriptedModel([
      {
        toolCalls: [
          {
            name: 'plan',
            args: {
              tasks: [
                { id: 'lisbon', tool: 'facts', args: { city: 'Lisbon' } },
                { id: 'again', tool: 'facts', args: { city: '${lisbon.populaton}' } },
              ],
            },
          },
        ],
      },
      { text: 'gave up' },
    ])
    const agent = defineAgent({ name: 'checker', instructions: 'Plan.', model, tools: [facts], plan: true })
    const result = await run(agent, 'Check')
    expect(result.status).toBe('done')
    expect(lastToolMessage(model, 1)).toContain(
      'task "again": args.city refers to ${lisbon.populaton}, but the result of lisbon (tool "facts") has no field "populaton" (its fields: city, population)',
    )
    // Nothing ran: the plan was refused whole.
    expect(result.usage.toolCalls).toBe(1)
  })
})
