/**
 * Tool calls with hostile or careless parts: tools that change their arguments, arguments with
 * keys that reach a prototype, thousands of validation issues, results that are not JSON,
 * throws of things that are not errors, and needsApproval checks that throw or do not answer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { z as z3 } from 'zod/v3'
import {
  type BatonEvent,
  defineAgent,
  defineTool,
  type Model,
  replay,
  run,
  stream,
  type Tool,
} from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { ofType, toolMessages } from './helpers.js'

const temp = mkdtempSync(join(tmpdir(), 'baton-tool-calls-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))
let files = 0
const file = () => join(temp, `run-${files++}.jsonl`)

function agentWith(model: Model, tools: Tool[]) {
  return defineAgent({ name: 'worker', instructions: 'Use the tools.', model, tools })
}

/** One call to `name` with `args`, then a final answer; the run's events and its first tool result. */
async function callOnce(tool: Tool, args: unknown) {
  const model = scriptedModel([{ toolCalls: [{ name: tool.name, args: args as object }] }, { text: 'done' }])
  const events: BatonEvent[] = []
  const running = stream(agentWith(model, [tool]), 'go')
  for await (const event of running) events.push(event)
  const result = await running.result
  const [message] = toolMessages(model.requests[1])
  const [toolResult] = ofType(events, 'tool.result')
  return { result, events, message: message!, toolResult: toolResult!, model }
}

describe('a tool that changes its arguments', () => {
  const nested = () => ({ list: [1, 2], inner: { city: 'Lisbon' } })
  const mutating = (input: z.ZodType | object) =>
    defineTool({
      name: 'mutate',
      description: 'Changes what it is given',
      input: input as never,
      run: (args: { list: number[]; inner: { city: string }; extra?: unknown }) => {
        args.list.push(99)
        args.inner.city = 'CHANGED'
        ;(args as Record<string, unknown>).added = true
        return 'ok'
      },
    })
  const json = {
    type: 'object',
    properties: { list: { type: 'array' }, inner: { type: 'object' } },
    required: ['list', 'inner'],
  }

  it.each([
    ['a JSON Schema', json],
    ['a zod 4 schema with a passthrough field', z.looseObject({ list: z.array(z.number()), inner: z.any() })],
    ['a zod 3 schema with a passthrough field', z3.object({ list: z3.array(z3.number()), inner: z3.any() })],
  ])(
    'with %s: the transcript, the history and a replay keep the arguments as the model sent them',
    async (_label, input) => {
      const tool = mutating(input)
      const model = scriptedModel([{ toolCalls: [{ name: 'mutate', args: nested() }] }, { text: 'done' }])
      const agent = agentWith(model, [tool])
      const record = file()
      const result = await run(agent, 'go', { record })
      expect(result.status).toBe('done')
      // The model's next request shows its own call unchanged.
      const assistant = model.requests[1]!.messages.find((m) => m.role === 'assistant')
      expect(assistant).toMatchObject({ toolCalls: [{ args: nested() }] })
      const lines = readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
      const call = lines.find((line) => line.type === 'tool.call')
      expect(call.args).toEqual(nested())
      const replayed = await replay(record, agentWith(scriptedModel([]), [mutating(input)]))
      expect(replayed.error).toBeUndefined()
      expect(replayed.status).toBe('done')
    },
  )

  it('each call gets its own copy, even when the model sends the same object twice', async () => {
    const shared = nested()
    const seen: unknown[] = []
    const tool = defineTool({
      name: 'mutate',
      description: 'Changes what it is given',
      input: json,
      run: (args: { list: number[] }) => {
        seen.push(structuredClone(args))
        args.list.push(99)
        return 'ok'
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ name: 'mutate', args: shared }] },
      { toolCalls: [{ name: 'mutate', args: shared }] },
      { text: 'done' },
    ])
    await run(agentWith(model, [tool]), 'go')
    expect(seen).toEqual([nested(), nested()])
    expect(shared).toEqual(nested())
  })

  it('a needsApproval check that changes its input changes neither the approval request nor the call', async () => {
    let given: unknown
    const tool = defineTool({
      name: 'pay',
      description: 'Pays',
      input: json,
      needsApproval: (args) => {
        ;(args as { list: number[] }).list.push(99)
        return true
      },
      run: (args: unknown) => {
        given = structuredClone(args)
        return 'paid'
      },
    })
    const model = scriptedModel([{ toolCalls: [{ name: 'pay', args: nested() }] }, { text: 'done' }])
    const events: BatonEvent[] = []
    const running = stream(agentWith(model, [tool]), 'go', { approve: () => true })
    for await (const event of running) events.push(event)
    expect((await running.result).status).toBe('done')
    expect(ofType(events, 'approval.request')[0]!.args).toEqual(nested())
    expect(given).toEqual(nested())
  })
})

describe('arguments with keys that reach a prototype', () => {
  const echo = (input: object = { type: 'object' }) =>
    defineTool({ name: 'echo', description: 'Echoes', input: input as never, run: (args) => args })

  it.each([
    ['"__proto__" at the top', '{"__proto__": {"polluted": true}}', '__proto__'],
    ['"__proto__" deep inside', '{"a": {"b": [{"__proto__": {"polluted": true}}]}}', 'a.b[0].__proto__'],
    ['constructor.prototype', '{"constructor": {"prototype": {"polluted": true}}}', 'constructor.prototype'],
  ])('%s is refused, naming the key, and pollutes nothing', async (_label, text, at) => {
    let ran = 0
    const tool = defineTool({
      name: 'echo',
      description: 'Echoes',
      input: z.looseObject({}),
      run: (args) => {
        ran++
        return Object.assign({}, args)
      },
    })
    const { message, toolResult } = await callOnce(tool, JSON.parse(text))
    expect(ran).toBe(0)
    expect(toolResult.error?.code).toBe('INVALID_ARGUMENTS')
    expect(message.isError).toBe(true)
    expect(message.content).toContain('tool "echo"')
    expect(message.content).toContain(at)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('a plain key named "constructor" or "prototype" is still allowed', async () => {
    const { message } = await callOnce(echo(), { constructor: 'x', prototype: { a: 1 } })
    expect(message.isError).toBeFalsy()
  })

  it('a delegation is refused the same way', async () => {
    const child = defineAgent({
      name: 'helper',
      description: 'Helps',
      instructions: 'Help.',
      model: scriptedModel([{ text: 'helped' }]),
    })
    const model = scriptedModel([
      { toolCalls: [{ name: 'delegate_helper', args: JSON.parse('{"task": "x", "__proto__": {"a": 1}}') }] },
      { text: 'done' },
    ])
    const lead = defineAgent({ name: 'lead', instructions: 'Lead.', model, agents: [child] })
    await run(lead, 'go')
    const [message] = toolMessages(model.requests[1])
    expect(message!.isError).toBe(true)
    expect(message!.content).toContain('__proto__')
  })
})

describe('validation issues sent back to the model', () => {
  it('at most 20, with a note of how many were left out', async () => {
    const properties = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`f${i}`, { type: 'string' }]),
    )
    const tool = defineTool({
      name: 'wide',
      description: 'Takes many fields',
      input: { type: 'object', properties },
      run: () => 'ok',
    })
    const args = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]))
    const { message, toolResult } = await callOnce(tool, args)
    expect(toolResult.error?.code).toBe('INVALID_ARGUMENTS')
    expect(message.content.split('\n').filter((line) => line.startsWith('- at '))).toHaveLength(20)
    expect(message.content).toContain('480 more issues not shown')
    expect(toolResult.error).toMatchObject({ issuesLeftOut: 480 })
    expect((toolResult.error as { issues: unknown[] }).issues).toHaveLength(20)
  })

  it('20 or fewer are all shown, with no note', async () => {
    const tool = defineTool({
      name: 'two',
      description: 'Takes two fields',
      input: z.object({ a: z.string(), b: z.string() }),
      run: () => 'ok',
    })
    const { message } = await callOnce(tool, { a: 1, b: 2 })
    expect(message.content).not.toContain('not shown')
    expect(message.content.split('\n').filter((line) => line.startsWith('- at '))).toHaveLength(2)
  })
})

describe('a tool result that is not JSON', () => {
  const cyclic = () => {
    const value: Record<string, unknown> = { a: 1 }
    value.self = value
    return value
  }
  class Throws {
    toJSON(): never {
      throw new Error('cannot write me')
    }
  }
  it.each([
    ['a function', () => () => 1, /is a function/],
    ['a function inside', () => ({ data: { fn: () => 1 } }), /data\.fn.*function/],
    ['a symbol', () => Symbol('s'), /symbol/],
    ['a bigint', () => ({ n: 10n }), /at n.*bigint/],
    ['a cycle', cyclic, /at self.*cycle/],
    ['a toJSON that throws', () => ({ item: new Throws() }), /at item.*toJSON threw: cannot write me/],
    ['NaN', () => ({ mean: Number.NaN }), /at mean.*NaN/],
    ['Infinity', () => [1, Number.POSITIVE_INFINITY], /at \[1\].*Infinity/],
    ['a Map', () => ({ m: new Map([[1, 2]]) }), /at m.*Map/],
    ['a promise inside', () => ({ later: Promise.resolve(1) }), /at later.*Promise/],
  ])('%s fails the call with INVALID_OUTPUT, naming what is wrong', async (_label, make, problem) => {
    const tool = defineTool({
      name: 'bad',
      description: 'Returns a bad value',
      input: z.object({}),
      run: make as () => unknown,
    })
    const { result, message, toolResult } = await callOnce(tool, {})
    expect(result.status).toBe('done')
    expect(toolResult.error?.code).toBe('INVALID_OUTPUT')
    expect(message.isError).toBe(true)
    expect(message.content).toContain('tool "bad"')
    expect(message.content).toMatch(problem)
  })

  it('a Date, undefined fields and shared (not cyclic) objects are written as JSON writes them', async () => {
    const shared = { x: 1 }
    const tool = defineTool({
      name: 'fine',
      description: 'Returns a fine value',
      input: z.object({}),
      run: () => ({ at: new Date(0), gone: undefined, a: shared, b: shared }),
    })
    const { message } = await callOnce(tool, {})
    expect(message.isError).toBeFalsy()
    expect(JSON.parse(message.content)).toEqual({ at: '1970-01-01T00:00:00.000Z', a: { x: 1 }, b: { x: 1 } })
  })
})

describe('throwing what is not an Error', () => {
  const throwing = (thrown: () => unknown) =>
    defineTool({
      name: 'thrower',
      description: 'Throws',
      input: z.object({}),
      run: () => {
        throw thrown()
      },
    })

  it.each([
    ['a string', () => 'it broke', /failed: it broke/],
    ['undefined', () => undefined, /failed: undefined/],
    ['an object', () => ({ reason: 'quota' }), /failed: \{"reason":"quota"\}/],
    ['an object with a message', () => ({ message: 'quota reached' }), /failed: quota reached/],
    ['a Symbol', () => Symbol('oops'), /failed: Symbol\(oops\)/],
    ['a null-prototype object', () => Object.create(null), /failed: \{\}/],
    [
      'an object whose toString throws',
      () => ({
        toString() {
          throw new Error('no')
        },
        toJSON() {
          throw new Error('no')
        },
      }),
      /failed: an? .*thrown/,
    ],
  ])('a tool throwing %s gives TOOL_ERROR with a readable message', async (_label, thrown, message) => {
    const { result, message: sent, toolResult } = await callOnce(throwing(thrown), {})
    expect(result.status).toBe('done')
    expect(toolResult.error?.code).toBe('TOOL_ERROR')
    expect(sent.content).toContain('tool "thrower"')
    expect(sent.content).toMatch(message)
  })

  it.each([
    [
      'a zod 4 refine that throws a string',
      z.object({ a: z.string() }).refine(() => {
        throw 'refine broke'
      }),
    ],
    [
      'a zod 4 transform that throws an Error',
      z.object({ a: z.string() }).transform(() => {
        throw new Error('transform broke')
      }),
    ],
    [
      'a zod 3 refine that throws undefined',
      z3.object({ a: z3.string() }).refine(() => {
        throw undefined
      }),
    ],
  ])('%s: TOOL_ERROR naming the tool, not INTERNAL', async (_label, input) => {
    let ran = 0
    const tool = defineTool({
      name: 'checked',
      description: 'Has a schema that throws',
      input: input as never,
      run: () => {
        ran++
        return 'ok'
      },
    })
    const { result, message, toolResult } = await callOnce(tool, { a: 'x' })
    expect(result.status).toBe('done')
    expect(ran).toBe(0)
    expect(toolResult.error?.code).toBe('TOOL_ERROR')
    expect(message.content).toContain('tool "checked"')
    expect(message.content).toMatch(/input schema threw/)
  })

  it('an output schema that throws: TOOL_ERROR', async () => {
    const tool = defineTool({
      name: 'out',
      description: 'Has an output schema that throws',
      input: z.object({}),
      output: z.string().refine(() => {
        throw Symbol('nope')
      }),
      run: () => 'x',
    })
    const { toolResult, message } = await callOnce(tool, {})
    expect(toolResult.error?.code).toBe('TOOL_ERROR')
    expect(message.content).toMatch(/output schema threw.*Symbol\(nope\)/)
  })
})

describe('needsApproval that throws or does not answer true or false', () => {
  const guarded = (needsApproval: () => unknown) => {
    let ran = 0
    const tool = defineTool({
      name: 'pay',
      description: 'Pays',
      input: z.object({}),
      needsApproval: needsApproval as () => boolean,
      run: () => {
        ran++
        return 'paid'
      },
    })
    return { tool, ran: () => ran }
  }

  it.each([
    [
      'throws an Error',
      () => {
        throw new Error('lookup failed')
      },
      /needsApproval threw.*lookup failed/,
    ],
    [
      'throws a string',
      () => {
        throw 'no'
      },
      /needsApproval threw.*no/,
    ],
    ['rejects', () => Promise.reject(undefined), /needsApproval threw.*undefined/],
    ['answers a string', () => 'yes', /needsApproval answered the string "yes", not true or false/],
    ['answers undefined', () => undefined, /needsApproval answered undefined/],
    ['answers a number', () => 1, /needsApproval answered number 1/],
  ])(
    'needsApproval that %s: the call fails naming the tool, and does not run',
    async (_label, check, problem) => {
      const { tool, ran } = guarded(check)
      const model = scriptedModel([{ toolCalls: [{ name: 'pay', args: {} }] }, { text: 'done' }])
      const events: BatonEvent[] = []
      const running = stream(agentWith(model, [tool]), 'go', { approve: () => true })
      for await (const event of running) events.push(event)
      const result = await running.result
      expect(result.status).toBe('done')
      expect(ran()).toBe(0)
      const [toolResult] = ofType(events, 'tool.result')
      expect(toolResult!.error?.code).toBe('TOOL_ERROR')
      const [message] = toolMessages(model.requests[1])
      expect(message!.content).toContain('tool "pay"')
      expect(message!.content).toMatch(problem)
    },
  )
})
