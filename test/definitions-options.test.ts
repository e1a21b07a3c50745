/**
 * Options of defineAgent / defineTool refused at definition, naming the option: numbers out of
 * range, template variables that are not values, sparse lists, a tool that would shadow the
 * memory tool compaction adds, tool names and descriptions. And checking a tree of shared
 * sub-agents visits each agent once.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type Agent,
  defineAgent,
  defineTool,
  defineWorkflow,
  type Model,
  memoryTools,
  run,
  type Tool,
  type ToolSet,
} from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { definitionError, rejection } from './helpers.js'

const model = scriptedModel([])
const base = { instructions: 'x', model }
const tool = (name: string) =>
  defineTool({ name, description: `the ${name} tool`, input: z.object({}), run: () => name })

/** `items` with an empty slot (a hole, not `undefined`) at `at`. */
function holeAt<T>(at: number, ...items: T[]): T[] {
  const out = [...items.slice(0, at), undefined, ...items.slice(at)] as T[]
  delete out[at]
  return out
}

const toolError = (extra: object) =>
  definitionError(() =>
    defineTool({ name: 'add', description: 'Adds', input: z.object({}), run: () => 1, ...extra }),
  )
const agentError = (extra: object) => definitionError(() => defineAgent({ name: 'a', ...base, ...extra }))

describe('numeric options are finite whole numbers in range', () => {
  it.each([
    [2 ** 31, 'number 2147483648'],
    [1e12, 'number 1000000000000'],
    [1.5, 'number 1.5'],
  ])('defineTool timeoutMs %j is refused, naming the range', (timeoutMs, shown) => {
    expect(toolError({ timeoutMs }).message).toBe(
      `tool "add": timeoutMs must be a whole number from 1 to 2147483647 (milliseconds; Node fires longer timers at once), got ${shown}`,
    )
  })

  it('the longest timer Node takes is accepted', () => {
    const t = defineTool({
      name: 'add',
      description: 'Adds',
      input: z.object({}),
      run: () => 1,
      timeoutMs: 2 ** 31 - 1,
    })
    expect(t.timeoutMs).toBe(2 ** 31 - 1)
  })

  it('a tool with a very long timeout does not time out at once', async () => {
    const slow = defineTool({
      name: 'slow',
      description: 'Takes a moment',
      input: z.object({}),
      timeoutMs: 2 ** 31 - 1,
      run: () => new Promise((resolve) => setTimeout(() => resolve('finished'), 20)),
    })
    const m = scriptedModel([{ toolCalls: [{ name: 'slow', args: {} }] }, { text: 'done' }])
    await run(defineAgent({ name: 'a', instructions: 'x', model: m, tools: [slow] }), 'go')
    const toolMessage = m.requests[1]!.messages.find((message) => message.role === 'tool')
    expect(toolMessage).toMatchObject({ content: 'finished' })
  })

  it('defineTool maxResultChars must be whole', () => {
    expect(toolError({ maxResultChars: 10.5 }).message).toContain(
      'maxResultChars must be a whole number from 1 to 9007199254740991',
    )
  })

  it.each([
    ['toolConcurrency', 1e300, 'toolConcurrency must be a whole number from 1 to 10000'],
    ['maxOutputTokens', 2 ** 31, 'maxOutputTokens must be a whole number from 1 to 2147483647'],
    ['maxGoalAttempts', 1e9, 'maxGoalAttempts must be a whole number from 1 to 1000'],
    [
      'toolConcurrency',
      Number.POSITIVE_INFINITY,
      'toolConcurrency must be a positive integer, got number Infinity',
    ],
    ['maxOutputTokens', Number.NaN, 'maxOutputTokens must be a positive integer, got number NaN'],
  ])('defineAgent %s %j is refused', (option, value, message) => {
    expect(agentError({ [option]: value }).message).toContain(`agent "a": ${message}`)
  })

  it('nested counts: plan.maxReplans, stall limits, budget.maxWallMs', () => {
    expect(agentError({ tools: [tool('t')], plan: { maxReplans: 1e9 } }).message).toContain(
      'plan.maxReplans must be a whole number of 0 or more (at most 1000000)',
    )
    expect(agentError({ stall: { maxRepeats: 1e300 } }).message).toContain(
      'stall.maxRepeats must be a whole number from 1 to 1000000',
    )
    // Past what one timer holds: the deadline is armed in parts (see test/run-hostile-options).
    const month = 30 * 24 * 3_600_000
    expect(defineAgent({ name: 'a', ...base, budget: { maxWallMs: month } }).budget.maxWallMs).toBe(month)
    expect(agentError({ budget: { maxWallMs: -1 } }).message).toContain(
      'budget.maxWallMs must be a non-negative',
    )
  })
})

describe('vars for the instructions', () => {
  it('only own properties fill placeholders: nothing inherited', () => {
    const agent = defineAgent({
      name: 'a',
      ...base,
      instructions: 'Hi {{toString}} {{__proto__}} {{constructor.name}} {{city}} {{city.length}}',
      vars: Object.assign(Object.create({ city: 'Inherited' }), {}) as Record<string, unknown>,
    })
    expect(agent.instructions).toBe(
      'Hi {{toString}} {{__proto__}} {{constructor.name}} {{city}} {{city.length}}',
    )
    expect(agent.placeholders).toEqual(['toString', '__proto__', 'constructor.name', 'city', 'city.length'])
  })

  it('a run whose run vars inherit a value still refuses the open placeholder', async () => {
    const agent = defineAgent({ name: 'a', ...base, instructions: 'About {{toString}}' })
    const error = await rejection(run(agent, 'go', { vars: {} }))
    expect(error.message).toContain('{{toString}}')
  })

  it('strings, numbers and objects of them (for dotted names) fill placeholders', () => {
    const agent = defineAgent({
      name: 'a',
      ...base,
      instructions: '{{city}} {{days}} {{trip.to}}',
      vars: { city: 'Lisbon', days: 3, trip: { to: 'Porto' } },
    })
    expect(agent.instructions).toBe('Lisbon 3 Porto')
  })

  it.each([
    ['a function', { fn: () => 'x' }, 'vars.fn', 'got function'],
    ['a symbol', { s: Symbol('x') }, 'vars.s', 'got symbol'],
    ['a bigint', { n: 1n }, 'vars.n', 'got bigint'],
    ['NaN', { n: Number.NaN }, 'vars.n', 'got NaN'],
    ['a boolean', { yes: true }, 'vars.yes', 'got boolean'],
    ['null', { none: null }, 'vars.none', 'got null'],
    ['an array', { list: ['a'] }, 'vars.list', 'got an array'],
    ['a Date', { when: new Date(0) }, 'vars.when', 'got object'],
    ['a nested bad value', { trip: { to: 'Porto', at: () => 1 } }, 'vars.trip.at', 'got function'],
    [
      'a getter',
      Object.defineProperty({}, 'city', { get: () => 'Lisbon', enumerable: true }),
      'vars.city',
      'getter',
    ],
  ])('%s is refused, naming the variable', (_label, vars, name, got) => {
    const error = agentError({ vars })
    expect(error.message).toContain(`agent "a": ${name}`)
    expect(error.message).toContain(got)
  })

  it('run vars are checked the same way', async () => {
    const agent = defineAgent({ name: 'a', ...base, instructions: 'About {{city}}' })
    const error = await rejection(run(agent, 'go', { vars: { city: () => 'x' } }))
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toContain('options.vars.city')
  })
})

describe('sparse arrays are refused, naming the index', () => {
  const child = defineAgent({ name: 'child', description: 'helps', ...base })
  it.each([
    ['tools', { tools: holeAt(1, tool('a'), tool('b')) }, 'tools[1]'],
    ['agents', { agents: holeAt(0, child) }, 'agents[0]'],
    [
      'goal',
      {
        goal: holeAt(
          1,
          () => true,
          () => true,
        ),
      },
      'goal[1]',
    ],
    [
      'stopWhen',
      {
        stopWhen: holeAt(
          1,
          () => false,
          () => false,
        ),
      },
      'stopWhen[1]',
    ],
    ['memory.read', { memory: { read: holeAt(1, 'a/*', 'b/*') } }, 'memory.read[1]'],
  ])('%s', (_label, extra, field) => {
    const error = agentError(extra)
    expect(error.message).toContain(`agent "a": ${field} is a hole in the array`)
  })

  it('scriptedModel steps and their toolCalls', () => {
    expect(definitionError(() => scriptedModel(holeAt(1, { text: 'a' }, { text: 'b' }))).message).toContain(
      'step 1 is a hole in the array',
    )
    expect(
      definitionError(() =>
        scriptedModel([{ toolCalls: holeAt(1, { name: 'a', args: {} }, { name: 'b', args: {} }) }]),
      ).message,
    ).toContain('toolCalls[1] is a hole in the array')
  })

  it("a model's response whose tool calls have a hole fails as MODEL_ERROR naming the index", async () => {
    const holey: Model = {
      spec: 'baton.model.v1',
      id: 'custom:holey',
      async generate() {
        const toolCalls = holeAt(0, { id: 'c1', name: 'a', args: {} }) as never
        return {
          message: { role: 'assistant', content: '', toolCalls },
          usage: { inputTokens: 1, outputTokens: 1 },
          finishReason: 'tool-calls',
        }
      },
    } as unknown as Model
    const agent = defineAgent({ name: 'a', instructions: 'x', model: holey, tools: [tool('a')] })
    const result = await run(agent, 'go')
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('MODEL_ERROR')
    expect(result.error?.message).toContain('hole at index 0')
  })
})

describe('a tool named like the memory tool compaction adds', () => {
  it('is refused when the agent compacts its context, naming the clash', () => {
    const error = agentError({ tools: [tool('other'), tool('memory_read')], context: true })
    expect(error.message).toContain('agent "a": tools[1]')
    expect(error.message).toContain('"memory_read"')
    expect(error.message).toContain('context compaction')
  })

  it('in a tool set too', () => {
    const set: ToolSet = { kind: 'baton.toolset', tools: [tool('memory_read')] }
    expect(agentError({ tools: [set], context: true }).message).toContain('memory_read')
  })

  it("is fine without compaction, and Baton's own memoryTools() are fine with it", () => {
    expect(() => defineAgent({ name: 'a', ...base, tools: [tool('memory_read')] })).not.toThrow()
    expect(() => defineAgent({ name: 'a', ...base, tools: memoryTools(), context: true })).not.toThrow()
    expect(() =>
      defineAgent({ name: 'a', ...base, tools: [tool('memory_read')], context: { stubResults: false } }),
    ).not.toThrow()
  })
})

describe('shared sub-agents: each agent is checked once', () => {
  /** Levels of two agents, each delegating to both agents of the level below: 2^levels paths. */
  function diamond(levels: number, onRead?: () => void): Agent[] {
    let below: Agent[] = []
    for (let level = 0; level < levels; level++) {
      below = ['a', 'b'].map((side) => {
        const agent = defineAgent({
          name: `${side}${level}`,
          description: `level ${level}`,
          ...base,
          agents: below,
        })
        if (onRead) {
          const agents = agent.agents
          Object.defineProperty(agent, 'agents', {
            get: () => {
              onRead()
              return agents
            },
          })
        }
        return agent
      })
    }
    return below
  }

  it('reads each agent a handful of times, not once per path', () => {
    let reads = 0
    const top = diamond(16, () => reads++)
    reads = 0
    defineAgent({ name: 'root', ...base, agents: top })
    // 32 agents below the root; 2^16 paths lead to the bottom ones.
    expect(reads).toBeLessThan(32 * 4)
  })

  it('a diamond 30 levels deep is defined in milliseconds', () => {
    const started = performance.now()
    const top = diamond(30)
    defineAgent({ name: 'root', ...base, agents: top })
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it('cycles in a shared tree are still found, by identity and by name', () => {
    const top = diamond(5)
    const bottom = top[0]!.agents[0]!.agents[0]!.agents[0]!.agents[0]!
    ;(bottom.agents as Agent[]).push(top[1]!)
    expect(definitionError(() => defineAgent({ name: 'root', ...base, agents: top })).message).toMatch(
      /delegation cycle a3 → a2 → a1 → a0 → b4 → a3/,
    )
    const again = diamond(4)
    const named = defineAgent({ name: 'root', description: 'the top', ...base, agents: again })
    expect(
      definitionError(() =>
        defineAgent({
          name: 'a3',
          ...base,
          agents: [defineAgent({ name: 'x', description: 'x', ...base, agents: [named] })],
        }),
      ).message,
    ).toMatch(/delegation cycle a3 → x → root → a3/)
  })
})

describe('tool names and descriptions', () => {
  it.each([
    ['65 characters', 'a'.repeat(65)],
    ['empty', ''],
    ['a space', 'get weather'],
    ['a dot', 'weather.get'],
    ['a slash', 'a/b'],
    ['a letter outside ASCII', 'météo'],
    ['a newline', 'a\nb'],
  ])('a name with %s is refused (providers take ^[a-zA-Z0-9_-]{1,64}$)', (_label, name) => {
    const error = definitionError(() =>
      defineTool({ name, description: 'x', input: z.object({}), run: () => 1 }),
    )
    expect(error.message).toContain('tool name must be 1-64 letters, digits, "_" or "-"')
  })

  it('64 characters of letters, digits, _ and - are accepted', () => {
    expect(() => tool(`${'a'.repeat(60)}_-09`)).not.toThrow()
  })

  it.each([
    ['a number', 42],
    ['an object', { text: 'x' }],
    ['blank', '   '],
  ])('a description that is %s is refused', (_label, description) => {
    expect(toolError({ description }).message).toContain('tool "add": description must be a non-empty string')
  })

  it('duplicate tool names, also between a tool and a tool set', () => {
    expect(agentError({ tools: [tool('search'), tool('search')] }).message).toMatch(/tools\[1\].*"search"/)
    const set: ToolSet = { kind: 'baton.toolset', tools: [tool('search')] }
    expect(agentError({ tools: [tool('search'), set] as (Tool | ToolSet)[] }).message).toContain('"search"')
  })
})

describe('a workflow keeps within the ranges of the agent it makes', () => {
  it('maxRounds and concurrency out of range are refused with the workflow option named', () => {
    const plan = { tasks: [{ id: 'a', tool: 't', args: {} }] }
    expect(
      definitionError(() => defineWorkflow({ name: 'w', tools: [tool('t')], plan, maxRounds: 1e9 })).message,
    ).toContain('maxRounds must be a whole number from 1 to 1000001')
    expect(
      definitionError(() => defineWorkflow({ name: 'w', tools: [tool('t')], plan, concurrency: 1e6 }))
        .message,
    ).toContain('concurrency must be a whole number from 1 to 10000')
    expect(() => defineWorkflow({ name: 'w', tools: [tool('t')], plan, maxRounds: 5_000 })).not.toThrow()
  })
})
