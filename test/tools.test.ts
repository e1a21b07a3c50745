/**
 * Tools as the loop runs them: validation before `run`, failures sent back to the model as tool
 * error results, concurrency, truncation, output checks, approval, and the tool context.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { z as z3 } from 'zod/v3'
import {
  type AssistantMessage,
  type BatonEvent,
  defineAgent,
  defineTool,
  FatalToolError,
  type Model,
  type ModelRequest,
  type PendingApproval,
  type RunOptions,
  run,
  stream,
  type Tool,
  type ToolContext,
  type ToolMessage,
} from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'

type EventOf<T extends BatonEvent['type']> = Extract<BatonEvent, { type: T }>

function ofType<T extends BatonEvent['type']>(events: BatonEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type)
}

/** Runs through `stream()` and keeps every event. */
async function collect(agent: Parameters<typeof stream>[0], task: string, options: RunOptions = {}) {
  const events: BatonEvent[] = []
  const running = stream(agent, task, options)
  for await (const event of running) events.push(event)
  return { events, result: await running.result }
}

/** The tool messages of a request, in the order the model receives them. */
function toolMessages(request: ModelRequest | undefined): ToolMessage[] {
  expect(request).toBeDefined()
  return request!.messages.filter((m): m is ToolMessage => m.role === 'tool')
}

function agentWith(model: Model, tools: Tool[], extra: { toolConcurrency?: number } = {}) {
  return defineAgent({ name: 'worker', instructions: 'Use the tools.', model, tools, ...extra })
}

/**
 * Tests that would hang if calls were not concurrent or timeouts did not fire fail sooner than
 * the suite's timeout instead; a busy machine never comes near it.
 */
const HANG_MS = 15_000

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** A counting `add` tool over any input schema. */
function adder(input: Parameters<typeof defineTool>[0]['input']) {
  const calls: unknown[] = []
  const tool = defineTool({
    name: 'add',
    description: 'Adds two numbers',
    input,
    run: (args: unknown) => {
      calls.push(args)
      const { a, b } = args as { a: number; b: number }
      return a + b
    },
  })
  return { tool, calls }
}

/** A model that returns these assistant messages as they are (e.g. tool calls with `argsText`). */
function rawModel(replies: AssistantMessage[]): Model & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = []
  return {
    spec: 'baton.model.v1',
    id: 'raw:model',
    requests,
    async generate(request) {
      requests.push(request)
      const message = replies[requests.length - 1]
      if (!message) throw new Error(`rawModel: no reply #${requests.length}`)
      return {
        message,
        usage: { inputTokens: 0, outputTokens: 0 },
        finishReason: message.toolCalls?.length ? 'tool-calls' : 'stop',
      }
    },
  }
}

describe('invalid arguments from the model', () => {
  const schemas = {
    'zod 4': z.object({ a: z.number(), b: z.number() }),
    'zod 3': z3.object({ a: z3.number(), b: z3.number() }),
    'JSON Schema': {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  }

  it.each(Object.entries(schemas))(
    '%s: go back to the model as a tool error with path and message; run is never called; the run goes on',
    async (_kind, schema) => {
      const { tool, calls } = adder(schema)
      const model = scriptedModel([
        { toolCalls: [{ id: 'bad', name: 'add', args: { a: 'two', b: 3 } }] },
        { toolCalls: [{ id: 'good', name: 'add', args: { a: 2, b: 3 } }] },
        { text: 'the sum is 5' },
      ])
      const { events, result } = await collect(agentWith(model, [tool]), 'add 2 and 3')

      expect(result.status).toBe('done')
      expect(result.output).toBe('the sum is 5')
      // Only the valid call reached the tool.
      expect(calls).toEqual([{ a: 2, b: 3 }])

      const [error] = toolMessages(model.requests[1])
      expect(error).toMatchObject({ role: 'tool', toolCallId: 'bad', toolName: 'add', isError: true })
      expect(error!.content).toContain('invalid arguments for tool "add"')
      expect(error!.content).toMatch(/- at a: \S/)
      expect(error!.content).not.toContain('at b:')

      const results = ofType(events, 'tool.result')
      expect(results.map((e) => [e.callId, e.isError])).toEqual([
        ['bad', true],
        ['good', false],
      ])
      expect(results[0]!.error?.code).toBe('INVALID_ARGUMENTS')
      expect(results[0]!.error?.issues).toEqual([{ path: ['a'], message: expect.stringMatching(/\S/) }])
      expect(results[0]!.content).toBe(error!.content)
      expect(results[1]!.content).toBe('5')
      expect(toolMessages(model.requests[2]).at(-1)).toMatchObject({ toolCallId: 'good', content: '5' })
      expect(toolMessages(model.requests[2]).at(-1)).not.toHaveProperty('isError', true)
    },
  )

  it('reports nested paths in the content the model sees', async () => {
    let ran = false
    const plan = defineTool({
      name: 'plan',
      description: 'Plans a trip',
      input: z.object({ trip: z.object({ legs: z.array(z.object({ from: z.string() })) }) }),
      run: () => {
        ran = true
        return 'ok'
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ id: 'p1', name: 'plan', args: { trip: { legs: [{ from: 'A' }, { from: 9 }] } } }] },
      { text: 'done' },
    ])
    const { events, result } = await collect(agentWith(model, [plan]), 'plan')
    expect(result.status).toBe('done')
    expect(ran).toBe(false)
    expect(toolMessages(model.requests[1])[0]!.content).toContain('- at trip.legs[1].from: ')
    expect(ofType(events, 'tool.result')[0]!.error?.issues?.map((i) => i.path)).toEqual([
      ['trip', 'legs', 1, 'from'],
    ])
  })

  it('the model is offered the tool with a real JSON Schema (a zod 4 input is not `{}`)', async () => {
    const { tool } = adder(z.object({ a: z.number(), b: z.number() }))
    const model = scriptedModel([{ text: 'nothing to do' }])
    await run(agentWith(model, [tool]), 'hi')
    expect(model.requests[0]!.tools).toEqual([
      {
        name: 'add',
        description: 'Adds two numbers',
        parameters: {
          type: 'object',
          properties: { a: { type: 'number' }, b: { type: 'number' } },
          required: ['a', 'b'],
        },
      },
    ])
  })

  it('the tool receives the parsed arguments (zod defaults and transforms applied)', async () => {
    const seen: unknown[] = []
    const search = defineTool({
      name: 'search',
      description: 'Searches',
      input: z.object({ q: z.string().transform((s) => s.trim()), limit: z.number().default(10) }),
      run: (args) => {
        seen.push(args)
        return 'found'
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ id: 's1', name: 'search', args: { q: '  lisbon  ' } }] },
      { text: 'ok' },
    ])
    const result = await run(agentWith(model, [search]), 'search')
    expect(result.status).toBe('done')
    expect(seen).toEqual([{ q: 'lisbon', limit: 10 }])
  })
})

describe('other failures become tool error results, and the run goes on', () => {
  it('an unknown tool name: the content lists the available tools', async () => {
    const { tool, calls } = adder(z.object({ a: z.number(), b: z.number() }))
    const echo = defineTool({ name: 'echo', description: 'Echoes', input: z.object({}), run: () => 'echo' })
    const model = scriptedModel([
      { toolCalls: [{ id: 'u1', name: 'multiply', args: { a: 2, b: 3 } }] },
      { text: 'sorry' },
    ])
    const { events, result } = await collect(agentWith(model, [tool, echo]), 'multiply')
    expect(result.status).toBe('done')
    expect(result.output).toBe('sorry')
    expect(calls).toEqual([])
    const [message] = toolMessages(model.requests[1])
    expect(message).toMatchObject({ toolCallId: 'u1', toolName: 'multiply', isError: true })
    expect(message!.content).toContain('unknown tool "multiply"')
    expect(message!.content).toContain('Available tools: add, echo')
    const [event] = ofType(events, 'tool.result')
    expect(event).toMatchObject({ callId: 'u1', name: 'multiply', isError: true })
    expect(event!.error?.code).toBe('UNKNOWN_TOOL')
  })

  it('a tool that throws: the message reaches the model', async () => {
    const flaky = defineTool({
      name: 'flaky',
      description: 'Fails',
      input: z.object({}),
      run: () => {
        throw new Error('disk on fire')
      },
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'f1', name: 'flaky', args: {} }] }, { text: 'noted' }])
    const { events, result } = await collect(agentWith(model, [flaky]), 'try')
    expect(result.status).toBe('done')
    expect(result.output).toBe('noted')
    const [message] = toolMessages(model.requests[1])
    expect(message).toMatchObject({ toolCallId: 'f1', isError: true })
    expect(message!.content).toContain('disk on fire')
    expect(message!.content).toContain('"flaky"')
    const [event] = ofType(events, 'tool.result')
    expect(event).toMatchObject({ isError: true, error: { code: 'TOOL_ERROR' } })
    expect(event!.error?.message).toContain('disk on fire')
  })

  it('a tool that rejects with a non-Error value: the value reaches the model', async () => {
    const odd = defineTool({
      name: 'odd',
      description: 'Rejects oddly',
      input: z.object({}),
      run: () => Promise.reject('plain string failure'),
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'o1', name: 'odd', args: {} }] }, { text: 'noted' }])
    const result = await run(agentWith(model, [odd]), 'try')
    expect(result.status).toBe('done')
    const [message] = toolMessages(model.requests[1])
    expect(message!.isError).toBe(true)
    expect(message!.content).toContain('plain string failure')
  })

  it(
    'a tool over its timeoutMs: TOOL_TIMEOUT, and its ctx.signal is aborted',
    async () => {
      let signal: AbortSignal | undefined
      const slow = defineTool({
        name: 'slow',
        description: 'Waits until stopped',
        input: z.object({}),
        timeoutMs: 25,
        run: (_args, ctx) => {
          signal = ctx.signal
          return new Promise<string>((resolve) => {
            ctx.signal.addEventListener('abort', () => resolve('too late'), { once: true })
          })
        },
      })
      const model = scriptedModel([
        { toolCalls: [{ id: 't1', name: 'slow', args: {} }] },
        { text: 'moved on' },
      ])
      const { events, result } = await collect(agentWith(model, [slow]), 'wait')
      expect(result.status).toBe('done')
      expect(result.output).toBe('moved on')
      expect(signal?.aborted).toBe(true)
      const [message] = toolMessages(model.requests[1])
      expect(message).toMatchObject({ toolCallId: 't1', isError: true })
      expect(message!.content).toContain('timed out after 25 ms')
      expect(message!.content).not.toContain('too late')
      const [event] = ofType(events, 'tool.result')
      expect(event).toMatchObject({ isError: true, error: { code: 'TOOL_TIMEOUT' } })
    },
    HANG_MS,
  )

  it(
    'a tool that ignores its signal is abandoned at the timeout, not awaited',
    async () => {
      const stuck = defineTool({
        name: 'stuck',
        description: 'Never returns',
        input: z.object({}),
        timeoutMs: 20,
        run: () => new Promise<string>(() => {}),
      })
      const model = scriptedModel([
        { toolCalls: [{ id: 's1', name: 'stuck', args: {} }] },
        { text: 'moved on' },
      ])
      const { events, result } = await collect(agentWith(model, [stuck]), 'wait')
      expect(result.status).toBe('done')
      expect(ofType(events, 'tool.result')[0]).toMatchObject({
        isError: true,
        error: { code: 'TOOL_TIMEOUT' },
      })
    },
    HANG_MS,
  )

  it('arguments that are not valid JSON (argsText): a tool error; run is never called', async () => {
    const { tool, calls } = adder(z.object({ a: z.number(), b: z.number() }))
    const model = rawModel([
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'j1', name: 'add', args: undefined, argsText: '{"a": 1, "b": ' }],
      },
      { role: 'assistant', content: 'I will stop' },
    ])
    const { events, result } = await collect(agentWith(model, [tool]), 'add')
    expect(result.status).toBe('done')
    expect(result.output).toBe('I will stop')
    expect(calls).toEqual([])
    const [message] = toolMessages(model.requests[1])
    expect(message).toMatchObject({ toolCallId: 'j1', toolName: 'add', isError: true })
    expect(message!.content).toContain('not valid JSON')
    expect(message!.content).toContain(JSON.stringify('{"a": 1, "b": '))
    const [event] = ofType(events, 'tool.result')
    expect(event).toMatchObject({ callId: 'j1', isError: true, error: { code: 'INVALID_ARGUMENTS' } })
  })

  it('a tool result that cannot be sent as JSON becomes INVALID_OUTPUT', async () => {
    const loop = defineTool({
      name: 'loop',
      description: 'Returns a cycle',
      input: z.object({}),
      run: () => {
        const value: Record<string, unknown> = {}
        value.self = value
        return value
      },
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'l1', name: 'loop', args: {} }] }, { text: 'ok' }])
    const { events, result } = await collect(agentWith(model, [loop]), 'go')
    expect(result.status).toBe('done')
    expect(ofType(events, 'tool.result')[0]).toMatchObject({
      isError: true,
      error: { code: 'INVALID_OUTPUT' },
    })
    expect(toolMessages(model.requests[1])[0]!.content).toMatch(/cannot be sent as JSON/)
  })
})

describe('FatalToolError', () => {
  it('ends the run with status error, stopReason TOOL_FATAL and the message', async () => {
    const closer = defineTool({
      name: 'closer',
      description: 'Stops everything',
      input: z.object({}),
      run: () => {
        throw new FatalToolError('account closed: refusing to continue')
      },
    })
    // Had the run continued, the script would run out (status error, stopReason SCRIPT_EXHAUSTED).
    const model = scriptedModel([{ toolCalls: [{ id: 'x1', name: 'closer', args: {} }] }])
    const { events, result } = await collect(agentWith(model, [closer]), 'go')
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('TOOL_FATAL')
    expect(result.error).toMatchObject({
      code: 'TOOL_FATAL',
      message: 'account closed: refusing to continue',
    })
    expect(model.requests).toHaveLength(1)
    const [event] = ofType(events, 'tool.result')
    expect(event).toMatchObject({ callId: 'x1', isError: true, error: { code: 'TOOL_FATAL' } })
    expect(ofType(events, 'run.end')[0]).toMatchObject({ status: 'error', stopReason: 'TOOL_FATAL' })
  })

  it(
    'aborts the signal of a sibling call still running',
    async () => {
      let siblingSignal: AbortSignal | undefined
      const waiter = defineTool({
        name: 'waiter',
        description: 'Waits until stopped',
        input: z.object({}),
        run: (_args, ctx) => {
          siblingSignal = ctx.signal
          return new Promise<string>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve('stopped'), { once: true }),
          )
        },
      })
      const closer = defineTool({
        name: 'closer',
        description: 'Stops everything',
        input: z.object({}),
        run: async () => {
          await sleep(5)
          throw new FatalToolError('fatal now')
        },
      })
      const model = scriptedModel([
        {
          toolCalls: [
            { id: 'w1', name: 'waiter', args: {} },
            { id: 'x1', name: 'closer', args: {} },
          ],
        },
      ])
      const result = await run(agentWith(model, [waiter, closer]), 'go')
      expect(result).toMatchObject({
        status: 'error',
        stopReason: 'TOOL_FATAL',
        error: { message: 'fatal now' },
      })
      expect(siblingSignal?.aborted).toBe(true)
    },
    HANG_MS,
  )
})

describe('FatalToolError with queued calls', () => {
  it('calls waiting for a concurrency slot never start once the run is stopping', async () => {
    const started: number[] = []
    const step = defineTool({
      name: 'step',
      description: 'The first call is fatal',
      input: z.object({ i: z.number() }),
      run: ({ i }) => {
        started.push(i)
        if (i === 0) throw new FatalToolError('first call failed fatally')
        return 'ok'
      },
    })
    const model = scriptedModel([
      { toolCalls: [0, 1, 2].map((i) => ({ id: `q${i}`, name: 'step', args: { i } })) },
      { text: 'unreachable' },
    ])
    const result = await run(agentWith(model, [step], { toolConcurrency: 1 }), 'go')
    expect(result).toMatchObject({ status: 'error', stopReason: 'TOOL_FATAL' })
    expect(started).toEqual([0])
    expect(model.requests).toHaveLength(1)
  })
})

describe('concurrency', () => {
  it('all tool calls of one response run concurrently', async () => {
    const spans: { start: number; end: number }[] = []
    // No call ends before all five have started: run one after another, they would hang (and
    // fail at the suite's timeout).
    const allStarted = deferred()
    let starts = 0
    const nap = defineTool({
      name: 'nap',
      description: 'Sleeps',
      input: z.object({ i: z.number() }),
      run: async ({ i }) => {
        const start = performance.now()
        if (++starts === 5) allStarted.resolve()
        await allStarted.promise
        spans[i] = { start, end: performance.now() }
        return `slept ${i}`
      },
    })
    const model = scriptedModel([
      { toolCalls: [0, 1, 2, 3, 4].map((i) => ({ id: `n${i}`, name: 'nap', args: { i } })) },
      { text: 'rested' },
    ])
    const result = await run(agentWith(model, [nap]), 'rest')
    expect(result.status).toBe('done')
    expect(spans.filter(Boolean)).toHaveLength(5)
    // Every call started before any call ended: they all overlapped.
    const lastStart = Math.max(...spans.map((s) => s.start))
    const firstEnd = Math.min(...spans.map((s) => s.end))
    expect(lastStart).toBeLessThan(firstEnd)
    expect(toolMessages(model.requests[1]).map((m) => m.content)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `slept ${i}`),
    )
  })

  it('toolConcurrency bounds how many run at once', async () => {
    let active = 0
    let maxActive = 0
    const ran: number[] = []
    const work = defineTool({
      name: 'work',
      description: 'Works a little',
      input: z.object({ i: z.number() }),
      run: async ({ i }) => {
        active++
        maxActive = Math.max(maxActive, active)
        await sleep(10)
        active--
        ran.push(i)
        return i
      },
    })
    const model = scriptedModel([
      { toolCalls: [0, 1, 2, 3, 4, 5].map((i) => ({ id: `w${i}`, name: 'work', args: { i } })) },
      { text: 'worked' },
    ])
    const result = await run(agentWith(model, [work], { toolConcurrency: 2 }), 'work')
    expect(result.status).toBe('done')
    expect(maxActive).toBe(2)
    expect([...ran].sort()).toEqual([0, 1, 2, 3, 4, 5])
    expect(result.usage.toolCalls).toBe(6)
  })

  it(
    'results go back to the model in call order even when calls finish in reverse order',
    async () => {
      const finished: number[] = []
      const gates = [deferred(), deferred(), deferred()]
      const step = defineTool({
        name: 'step',
        description: 'Finishes after the next call finishes',
        input: z.object({ i: z.number() }),
        run: async ({ i }) => {
          // Call i waits for call i + 1: the last call finishes first.
          if (i + 1 < gates.length) await gates[i + 1]!.promise
          // A macrotask apart, so the previous call's result is fully handled first.
          await new Promise((resolve) => setImmediate(resolve))
          finished.push(i)
          gates[i]!.resolve()
          return `result ${i}`
        },
      })
      const model = scriptedModel([
        { toolCalls: [0, 1, 2].map((i) => ({ id: `s${i}`, name: 'step', args: { i } })) },
        { text: 'all done' },
      ])
      const { events, result } = await collect(agentWith(model, [step]), 'go')
      expect(result.status).toBe('done')
      expect(finished).toEqual([2, 1, 0])
      // Events report completion as it happens...
      expect(ofType(events, 'tool.result').map((e) => e.callId)).toEqual(['s2', 's1', 's0'])
      // ...but the model gets the results in call order, right after its assistant message.
      const messages = model.requests[1]!.messages
      const assistant = messages.findIndex((m) => m.role === 'assistant')
      expect(messages.slice(assistant + 1)).toEqual([
        { role: 'tool', toolCallId: 's0', toolName: 'step', content: 'result 0' },
        { role: 'tool', toolCallId: 's1', toolName: 'step', content: 'result 1' },
        { role: 'tool', toolCallId: 's2', toolName: 'step', content: 'result 2' },
      ])
    },
    HANG_MS,
  )
})

describe('large results', () => {
  it('are truncated for the model with a note, and kept whole in memory under tools/<name>/<callId>', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ id: i, name: `row number ${i}` }))
    const big = defineTool({
      name: 'big',
      description: 'Returns a lot',
      input: z.object({}),
      maxResultChars: 100,
      run: () => ({ rows }),
    })
    const model = scriptedModel([
      { toolCalls: [{ id: 'b1', name: 'big', args: {} }] },
      { text: 'summarised' },
    ])
    const { events, result } = await collect(agentWith(model, [big]), 'fetch')
    expect(result.status).toBe('done')

    const full = JSON.stringify({ rows })
    expect(full.length).toBeGreaterThan(100)
    const [message] = toolMessages(model.requests[1])
    expect(message!.isError).toBeUndefined()
    expect(message!.content.startsWith(full.slice(0, 100))).toBe(true)
    expect(message!.content.startsWith(full.slice(0, 101))).toBe(false)
    const note = message!.content.slice(100)
    expect(note).toMatch(/truncated/)
    expect(note).toContain(String(full.length))
    expect(note).toContain('"tools/big/b1"')

    const entry = result.memory.find((e) => e.key === 'tools/big/b1')
    expect(entry).toBeDefined()
    expect(entry!.value).toEqual({ rows })
    expect(entry!.by).toBe('root')

    const [event] = ofType(events, 'tool.result')
    expect(event).toMatchObject({ callId: 'b1', isError: false, truncated: true, value: { rows } })
    expect(event!.content).toBe(message!.content)
    expect(ofType(events, 'memory.write')).toEqual([
      expect.objectContaining({ key: 'tools/big/b1', value: { rows }, by: 'root' }),
    ])
  })

  it('are never cut in the middle of an emoji', async () => {
    // 9 letters, then emoji of two UTF-16 units each: a cut at 10 would fall inside the first.
    const whole = `${'a'.repeat(9)}${'😀'.repeat(10)}`
    const big = defineTool({
      name: 'big',
      description: 'Returns a lot',
      input: z.object({}),
      maxResultChars: 10,
      run: () => whole,
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'e1', name: 'big', args: {} }] }, { text: 'ok' }])
    const result = await run(agentWith(model, [big]), 'fetch')
    expect(result.status).toBe('done')
    const [message] = toolMessages(model.requests[1])
    const shown = message!.content.slice(0, message!.content.indexOf('\n[truncated'))
    expect(shown).toBe('a'.repeat(9))
    // No lone half of a pair is left at the end.
    expect(/[\uD800-\uDBFF]$/.test(shown)).toBe(false)
    expect(result.memory.find((e) => e.key === 'tools/big/e1')?.value).toBe(whole)
  })

  it('a call id with characters unusual for memory keys does not end the run; the note names the real key', async () => {
    // Call ids come from the provider: Baton cannot choose their alphabet.
    const whole = 'w'.repeat(30)
    const big = defineTool({
      name: 'big',
      description: 'Returns a lot',
      input: z.object({}),
      maxResultChars: 10,
      run: () => whole,
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'call #1', name: 'big', args: {} }] }, { text: 'ok' }])
    const result = await run(agentWith(model, [big]), 'fetch')
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('done')
    const [message] = toolMessages(model.requests[1])
    expect(message).toMatchObject({ toolCallId: 'call #1' })
    expect(message!.content.startsWith('w'.repeat(10))).toBe(true)
    const key = /"(tools\/big\/[^"]+)"/.exec(message!.content)?.[1]
    expect(key).toBeDefined()
    expect(result.memory.find((e) => e.key === key)?.value).toBe(whole)
  })

  it('a result of exactly maxResultChars is not truncated and not written to memory', async () => {
    const exact = defineTool({
      name: 'exact',
      description: 'Returns 50 characters',
      input: z.object({}),
      maxResultChars: 50,
      run: () => 'y'.repeat(50),
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'e1', name: 'exact', args: {} }] }, { text: 'ok' }])
    const { events, result } = await collect(agentWith(model, [exact]), 'go')
    expect(toolMessages(model.requests[1])[0]!.content).toBe('y'.repeat(50))
    expect(result.memory).toEqual([])
    expect(ofType(events, 'tool.result')[0]!.truncated).toBeUndefined()
  })

  it('the default limit is 20,000 characters', async () => {
    const long = defineTool({
      name: 'long',
      description: 'Returns 20,001 characters',
      input: z.object({}),
      run: () => 'z'.repeat(20_001),
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'l1', name: 'long', args: {} }] }, { text: 'ok' }])
    const result = await run(agentWith(model, [long]), 'go')
    const [message] = toolMessages(model.requests[1])
    expect(message!.content.startsWith('z'.repeat(20_000))).toBe(true)
    expect(message!.content.startsWith('z'.repeat(20_001))).toBe(false)
    expect(result.memory.find((e) => e.key === 'tools/long/l1')?.value).toBe('z'.repeat(20_001))
  })
})

describe('output schema', () => {
  it('a result that does not match becomes INVALID_OUTPUT with the issues', async () => {
    const lookup = defineTool({
      name: 'lookup',
      description: 'Looks up a price',
      input: z.object({}),
      output: z.object({ price: z.number() }),
      run: () => ({ price: 'cheap' }) as unknown as { price: number },
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'o1', name: 'lookup', args: {} }] }, { text: 'hmm' }])
    const { events, result } = await collect(agentWith(model, [lookup]), 'price?')
    expect(result.status).toBe('done')
    const [message] = toolMessages(model.requests[1])
    expect(message).toMatchObject({ toolCallId: 'o1', isError: true })
    expect(message!.content).toContain('does not match its output schema')
    expect(message!.content).toMatch(/- at price: \S/)
    expect(message!.content).not.toContain('cheap')
    const [event] = ofType(events, 'tool.result')
    expect(event!.error?.code).toBe('INVALID_OUTPUT')
    expect(event!.error?.issues).toEqual([{ path: ['price'], message: expect.stringMatching(/\S/) }])
  })

  it('a matching result is sent as the parsed output', async () => {
    const lookup = defineTool({
      name: 'lookup',
      description: 'Looks up a price',
      input: z.object({}),
      output: z.object({ price: z.number().transform((n) => Math.round(n)) }),
      run: () => ({ price: 9.7 }),
    })
    const model = scriptedModel([{ toolCalls: [{ id: 'o1', name: 'lookup', args: {} }] }, { text: 'ok' }])
    await run(agentWith(model, [lookup]), 'price?')
    expect(toolMessages(model.requests[1])[0]).toMatchObject({ content: '{"price":10}' })
    expect(toolMessages(model.requests[1])[0]!.isError).toBeUndefined()
  })
})

describe('needsApproval', () => {
  function payTool(needsApproval: boolean | ((input: { amount: number }) => boolean) = true) {
    const paid: number[] = []
    const tool = defineTool({
      name: 'pay',
      description: 'Pays an amount',
      input: z.object({ amount: z.number(), currency: z.string().default('EUR') }),
      needsApproval,
      run: ({ amount }) => {
        paid.push(amount)
        return `paid ${amount}`
      },
    })
    return { tool, paid }
  }

  it('without an approve option the run stops as awaiting_approval with the pending call', async () => {
    const { tool, paid } = payTool()
    const model = scriptedModel([{ toolCalls: [{ id: 'p1', name: 'pay', args: { amount: 5 } }] }])
    const { events, result } = await collect(agentWith(model, [tool]), 'pay 5')
    expect(result.status).toBe('awaiting_approval')
    expect(result.pending).toEqual([
      { path: 'root/1/tool/p1', callId: 'p1', tool: 'pay', args: { amount: 5, currency: 'EUR' } },
    ])
    expect(paid).toEqual([])
    expect(model.requests).toHaveLength(1)
    expect(ofType(events, 'approval.request')).toEqual([
      expect.objectContaining({ path: 'root/1/tool/p1', callId: 'p1', name: 'pay' }),
    ])
  })

  it('approve returning false: the model gets an APPROVAL_DENIED tool error; the tool never runs', async () => {
    const { tool, paid } = payTool()
    const asked: PendingApproval[] = []
    const model = scriptedModel([
      { toolCalls: [{ id: 'p1', name: 'pay', args: { amount: 500 } }] },
      { text: 'payment refused' },
    ])
    const { events, result } = await collect(agentWith(model, [tool]), 'pay 500', {
      approve: (request) => {
        asked.push(request)
        return false
      },
    })
    expect(result.status).toBe('done')
    expect(result.output).toBe('payment refused')
    expect(paid).toEqual([])
    expect(asked).toEqual([
      { path: 'root/1/tool/p1', callId: 'p1', tool: 'pay', args: { amount: 500, currency: 'EUR' } },
    ])
    const [message] = toolMessages(model.requests[1])
    expect(message).toMatchObject({ toolCallId: 'p1', isError: true })
    expect(message!.content).toContain('not approved')
    expect(ofType(events, 'tool.result')[0]).toMatchObject({
      isError: true,
      error: { code: 'APPROVAL_DENIED' },
    })
  })

  it('approve answering undefined: the call waits, and the run stops as awaiting_approval', async () => {
    const { tool, paid } = payTool()
    const model = scriptedModel([
      {
        toolCalls: [
          { id: 'p1', name: 'pay', args: { amount: 5 } },
          { id: 'p2', name: 'pay', args: { amount: 7 } },
        ],
      },
    ])
    const result = await run(agentWith(model, [tool]), 'pay', {
      approve: async ({ callId }) => (callId === 'p1' ? true : undefined),
    })
    expect(result.status).toBe('awaiting_approval')
    expect(result.pending?.map((p) => p.callId)).toEqual(['p2'])
    expect(paid).toEqual([5])
    expect(model.requests).toHaveLength(1)
  })

  it('approve returning true (or a promise of true): the tool runs', async () => {
    const { tool, paid } = payTool()
    const model = scriptedModel([
      { toolCalls: [{ id: 'p1', name: 'pay', args: { amount: 5 } }] },
      { text: 'paid' },
    ])
    const result = await run(agentWith(model, [tool]), 'pay 5', { approve: async () => true })
    expect(result.status).toBe('done')
    expect(paid).toEqual([5])
    expect(toolMessages(model.requests[1])[0]).toMatchObject({ toolCallId: 'p1', content: 'paid 5' })
  })

  it('a needsApproval function decides per call: approve is asked only when it says so', async () => {
    const { tool, paid } = payTool(({ amount }) => amount > 100)
    const asked: number[] = []
    const model = scriptedModel([
      {
        toolCalls: [
          { id: 'small', name: 'pay', args: { amount: 5 } },
          { id: 'large', name: 'pay', args: { amount: 500 } },
        ],
      },
      { text: 'done' },
    ])
    const result = await run(agentWith(model, [tool]), 'pay', {
      approve: (request) => {
        asked.push((request.args as { amount: number }).amount)
        return false
      },
    })
    expect(result.status).toBe('done')
    expect(asked).toEqual([500])
    expect(paid).toEqual([5])
    const [small, large] = toolMessages(model.requests[1])
    expect(small).toMatchObject({ toolCallId: 'small', content: 'paid 5' })
    expect(large).toMatchObject({ toolCallId: 'large', isError: true })
  })

  it('invalid arguments are refused before anyone is asked for approval', async () => {
    const { tool, paid } = payTool()
    let asked = 0
    const model = scriptedModel([
      { toolCalls: [{ id: 'p1', name: 'pay', args: { amount: 'lots' } }] },
      { text: 'gave up' },
    ])
    const result = await run(agentWith(model, [tool]), 'pay', {
      approve: () => {
        asked++
        return true
      },
    })
    expect(result.status).toBe('done')
    expect(asked).toBe(0)
    expect(paid).toEqual([])
    expect(toolMessages(model.requests[1])[0]!.content).toMatch(/- at amount: /)
  })
})

describe('the tool context', () => {
  it('gives path, step, callId, signal, memory and progress', async () => {
    const seen: {
      path: string
      step: string
      callId: string
      signal: AbortSignal
      abortedDuringRun: boolean
      readBack: unknown
    }[] = []
    const note = defineTool({
      name: 'note',
      description: 'Writes a note',
      input: z.object({ text: z.string() }),
      run: ({ text }, ctx: ToolContext) => {
        ctx.progress({ stage: 'writing', text })
        ctx.memory.write(`notes/${ctx.callId}`, { text })
        seen.push({
          path: ctx.path,
          step: ctx.step,
          callId: ctx.callId,
          signal: ctx.signal,
          abortedDuringRun: ctx.signal.aborted,
          readBack: ctx.memory.read(`notes/${ctx.callId}`),
        })
        return 'noted'
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ id: 'c1', name: 'note', args: { text: 'first' } }] },
      { toolCalls: [{ id: 'c2', name: 'note', args: { text: 'second' } }] },
      { text: 'done' },
    ])
    const { events, result } = await collect(agentWith(model, [note]), 'take notes')
    expect(result.status).toBe('done')

    expect(seen).toHaveLength(2)
    expect(seen[0]).toMatchObject({
      path: 'root',
      step: 'root/1/tool/c1',
      callId: 'c1',
      abortedDuringRun: false,
      readBack: { text: 'first' },
    })
    expect(seen[1]).toMatchObject({
      path: 'root',
      step: 'root/2/tool/c2',
      callId: 'c2',
      readBack: { text: 'second' },
    })
    expect(seen[0]!.signal).toBeInstanceOf(AbortSignal)

    expect(result.memory).toEqual([
      expect.objectContaining({
        key: 'notes/c1',
        value: { text: 'first' },
        by: 'root',
        step: 'root/1/tool/c1',
      }),
      expect.objectContaining({
        key: 'notes/c2',
        value: { text: 'second' },
        by: 'root',
        step: 'root/2/tool/c2',
      }),
    ])
    expect(ofType(events, 'memory.write')).toEqual([
      expect.objectContaining({
        path: 'root/1/tool/c1',
        key: 'notes/c1',
        value: { text: 'first' },
        by: 'root',
      }),
      expect.objectContaining({
        path: 'root/2/tool/c2',
        key: 'notes/c2',
        value: { text: 'second' },
        by: 'root',
      }),
    ])

    const progress = ofType(events, 'tool.progress')
    expect(progress).toEqual([
      expect.objectContaining({
        path: 'root/1/tool/c1',
        callId: 'c1',
        data: { stage: 'writing', text: 'first' },
      }),
      expect.objectContaining({
        path: 'root/2/tool/c2',
        callId: 'c2',
        data: { stage: 'writing', text: 'second' },
      }),
    ])
    // Progress comes between the call and its result.
    const seqOf = (e: BatonEvent) => events.indexOf(e)
    const call1 = ofType(events, 'tool.call').find((e) => e.callId === 'c1')!
    const result1 = ofType(events, 'tool.result').find((e) => e.callId === 'c1')!
    expect(seqOf(call1)).toBeLessThan(seqOf(progress[0]!))
    expect(seqOf(progress[0]!)).toBeLessThan(seqOf(result1))
  })

  it('in a sub-agent: path and step are the sub-agent’s, and memory writes are by its path', async () => {
    const seen: { path: string; step: string }[] = []
    const note = defineTool({
      name: 'note',
      description: 'Writes a note',
      input: z.object({}),
      run: (_args, ctx) => {
        seen.push({ path: ctx.path, step: ctx.step })
        ctx.memory.write('findings/one', 42)
        return 'noted'
      },
    })
    const helper = defineAgent({
      name: 'helper',
      description: 'Takes notes',
      instructions: 'Take a note.',
      model: scriptedModel([{ toolCalls: [{ id: 'h1', name: 'note', args: {} }] }, { text: 'helped' }]),
      tools: [note],
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Delegate.',
      model: scriptedModel([
        { toolCalls: [{ id: 'd1', name: 'delegate_helper', args: { task: 'take a note' } }] },
        { text: 'finished' },
      ]),
      agents: [helper],
    })
    const result = await run(lead, 'go')
    expect(result.status).toBe('done')
    expect(seen).toEqual([{ path: 'root/1/agent:helper#0', step: 'root/1/agent:helper#0/1/tool/h1' }])
    expect(result.memory.find((e) => e.key === 'findings/one')).toMatchObject({
      value: 42,
      by: 'root/1/agent:helper#0',
      step: 'root/1/agent:helper#0/1/tool/h1',
    })
  })
})

describe('ctx under a timeout, and destructured', () => {
  it('keeps memory and progress when the tool has timeoutMs, and when ctx is destructured', async () => {
    const seen: string[] = []
    const timed = defineTool({
      name: 'timed',
      description: 'writes memory under a timeout',
      input: z.object({}),
      timeoutMs: 1_000,
      run: (_input, ctx) => {
        ctx.memory.write('notes/timed', 'yes')
        ctx.progress('half way')
        seen.push(String(ctx.signal.aborted))
        return 'ok'
      },
    })
    const loose = defineTool({
      name: 'loose',
      description: 'uses a destructured context',
      input: z.object({}),
      run: (_input, { memory, progress, step }) => {
        memory.write('notes/loose', step)
        progress('done')
        return 'ok'
      },
    })
    const model = scriptedModel([
      {
        toolCalls: [
          { name: 'timed', args: {} },
          { name: 'loose', args: {} },
        ],
      },
      { text: 'finished' },
    ])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, tools: [timed, loose] })
    const events: BatonEvent[] = []
    const runStream = stream(agent, 'go')
    for await (const event of runStream) events.push(event)
    const result = await runStream.result
    expect(result.status).toBe('done')
    expect(result.memory.map((e) => [e.key, e.value])).toEqual([
      ['notes/timed', 'yes'],
      ['notes/loose', 'root/1/tool/call_1_1'],
    ])
    expect(
      events.filter((e) => e.type === 'tool.progress').map((e) => e.type === 'tool.progress' && e.data),
    ).toEqual(['half way', 'done'])
    expect(seen).toEqual(['false'])
  })
})
