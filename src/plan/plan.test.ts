/**
 * Plans as data: what the check finds (each problem named with its task), how references are
 * filled, and how the executor runs a graph: each task the moment its last input ends (not level
 * by level), under a limit, failures kept as results and their dependents skipped with why.
 */
import { describe, expect, it } from 'vitest'
import { criticalPath, executePlan, type FilledTask, fill, type PlanScope, type TaskResult } from './index.js'
import { type CheckedPlan, checkPlan } from './validate.js'

const scope: PlanScope = { tools: new Set(['search', 'calculate']), agents: new Set(['analyst']) }

const problemsOf = (plan: unknown) => {
  const check = checkPlan(plan, scope)
  return check.ok ? [] : check.problems
}

const checked = (plan: unknown): CheckedPlan => {
  const check = checkPlan(plan, scope)
  if (!check.ok) throw new Error(check.problems.join('\n'))
  return check.checked
}

describe('checking a plan', () => {
  it('takes a good plan, with what each task waits for', () => {
    const plan = checked({
      tasks: [
        { id: 'lisbon', tool: 'search', args: { q: 'Lisbon population' } },
        { id: 'porto', tool: 'search', args: { q: 'Porto population' } },
        {
          id: 'ratio',
          tool: 'calculate',
          args: { expression: '${lisbon.population} / ${porto.population}' },
        },
        { id: 'brief', agent: 'analyst', task: 'Explain ${ratio}', after: ['porto'] },
      ],
    })
    expect(Object.fromEntries([...plan.needs].map(([id, needs]) => [id, [...needs].sort()]))).toEqual({
      lisbon: [],
      porto: [],
      ratio: ['lisbon', 'porto'],
      brief: ['porto', 'ratio'],
    })
  })

  it('names every problem with its task: names, references, shapes', () => {
    expect(
      problemsOf({
        tasks: [
          { id: 'a', tool: 'serch', args: { q: 'x' } },
          { id: 'b', agent: 'anlyst', task: 'Use ${a.rows} and ${missing}' },
          { id: 'a', tool: 'search' },
          { id: 'c', tool: 'search', args: { q: '${c}' }, after: ['nobody'] },
          { id: 'd', tool: 'search', agent: 'analyst' },
          { id: 'e', tool: 'search', argz: {} },
          { tool: 'search' },
          { id: 'f', agent: 'analyst', task: '' },
        ],
      }),
    ).toEqual([
      'task "a": unknown tool "serch"; the tools are "search", "calculate"',
      'task "b": unknown agent "anlyst"; the sub-agents are "analyst"',
      'plan: task ids must be unique; "a" is used twice',
      'task "d": a task has exactly one of "tool", "agent" or "plan", not "tool" and "agent"',
      'task "e": unknown field "argz"; a tool task has "id", "tool", "args", "after"',
      'plan: task 7: "id" must be 1 to 64 letters, digits, "_" or "-", got nothing',
      'task "f": "task" must be the sub-agent\'s brief, got ""',
      'task "b": task refers to ${missing}, but no task is called "missing" (the tasks are "a", "b", "c", "d", "e", "f")',
      'task "c": "after" names "nobody", but no task of its plan is called that (the tasks are "a", "b", "c", "d", "e", "f")',
      'task "c": args.q refers to its own result (${c})',
    ])
  })

  it('checks references into results whose tools declare their shape', () => {
    const typed: PlanScope = {
      ...scope,
      outputs: new Map([
        [
          'search',
          {
            strips: false,
            schema: {
              type: 'object',
              properties: {
                city: { type: 'string' },
                population: { type: 'number' },
                names: { type: 'array', items: { type: 'string' } },
              },
              additionalProperties: false,
            },
          },
        ],
      ]),
    }
    const check = checkPlan(
      {
        tasks: [
          { id: 'lisbon', tool: 'search', args: { q: 'Lisbon' } },
          { id: 'open', tool: 'calculate', args: { x: '${open_ended.anything}' } },
          { id: 'open_ended', tool: 'calculate', args: {} },
          {
            id: 'ratio',
            tool: 'calculate',
            args: {
              a: '${lisbon.populaton}',
              b: '${lisbon.population.value}',
              c: '${lisbon.names.first}',
              ok: '${lisbon.population} ${lisbon.names.0}',
            },
          },
        ],
      },
      typed,
    )
    expect(check.ok ? [] : check.problems).toEqual([
      'task "ratio": args.a refers to ${lisbon.populaton}, but the result of lisbon (tool "search") has no field "populaton" (its fields: city, population, names)',
      'task "ratio": args.b refers to ${lisbon.population.value}, but the result of lisbon.population (tool "search") is of type number, with no field "value"',
      'task "ratio": args.c refers to ${lisbon.names.first}, but the result of lisbon.names (tool "search") is a list: "first" is not an index',
    ])
  })

  it('finds a cycle and says it in order', () => {
    expect(
      problemsOf({
        tasks: [
          { id: 'a', tool: 'search', args: { q: '${c}' } },
          { id: 'b', tool: 'search', args: { q: '${a}' } },
          { id: 'c', tool: 'search', args: { q: 'x' }, after: ['b'] },
        ],
      }),
    ).toEqual(['plan: tasks wait for each other in a cycle: a → c → b → a (each waits for the next)'])
  })

  it('names what is wrong with odd shapes, rather than failing on them', () => {
    expect(
      problemsOf({
        tasks: [
          { id: 'a', tool: 'search', args: { q: 'x' }, after: {} },
          { id: 'b', tool: 'search', args: { q: 'x' }, after: 5 },
          { id: 'c', tool: 'search', args: { q: 'x' }, after: ['a', 1] },
          { id: '__proto__', tool: 'search', args: { q: 'x' } },
          { id: 'd', tool: 'search', args: 'Lisbon' },
          { id: 'e', tool: 'search', args: null },
          // A whole reference may name the arguments.
          { id: 'f', tool: 'search', args: '${a.params}' },
        ],
      }),
    ).toEqual([
      'task "a": "after" must be a list of task ids, got an object',
      'task "b": "after" must be a list of task ids, got number 5',
      'task "c": "after" must be a list of task ids, got a list holding number 1',
      'plan: task 4: "id" cannot be "__proto__"; choose another',
      'task "d": "args" must be an object of the tool\'s arguments, got "Lisbon"',
      'task "e": "args" must be an object of the tool\'s arguments, got null',
    ])
  })

  it('refuses text that looks like a reference to a task but is not one', () => {
    expect(
      problemsOf({
        tasks: [
          { id: 'a', tool: 'search', args: { q: 'x' } },
          {
            id: 'b',
            tool: 'search',
            // `${x + y}` names no task: it is text, left as it is.
            args: { q: '${a[0]}', r: ['${ a.city }'], s: 'at ${a.} in ${x + y}', t: '${a.city.0} ${a}' },
          },
          { id: 'c', agent: 'analyst', task: 'Explain ${b.rows[1]}' },
        ],
      }),
    ).toEqual([
      'task "b": args.q has ${a[0]}, which is not a reference: write ${a} for its whole result, or ${a.field.0} for a field (fields and list indexes after dots, no spaces)',
      'task "b": args.r[0] has ${ a.city }, which is not a reference: write ${a} for its whole result, or ${a.field.0} for a field (fields and list indexes after dots, no spaces)',
      'task "b": args.s has ${a.}, which is not a reference: write ${a} for its whole result, or ${a.field.0} for a field (fields and list indexes after dots, no spaces)',
      'task "c": task has ${b.rows[1]}, which is not a reference: write ${b} for its whole result, or ${b.field.0} for a field (fields and list indexes after dots, no spaces)',
    ])
  })

  it('checks a chain of many thousand tasks, and says a long cycle in short', () => {
    // Each task needs the one after it: the search for a cycle goes 20,000 deep.
    const chain = (last: string) =>
      Array.from({ length: 20_000 }, (_, i) => ({
        id: `t${i}`,
        tool: 'calculate',
        args: { expression: i < 19_999 ? `\${t${i + 1}} + 1` : last },
      }))
    expect(checkPlan({ tasks: chain('1') }, scope).ok).toBe(true)
    expect(problemsOf({ tasks: chain('${t0} + 1') })).toEqual([
      'plan: tasks wait for each other in a cycle: t0 → t1 → t2 → t3 → t4 → t5 → t6 → t7 → t8 → t9 → t10 → t11 → … (19979 more) → t19991 → t19992 → t19993 → t19994 → t19995 → t19996 → t19997 → t19998 → t19999 → t0 (each waits for the next)',
    ])
  })

  it('refuses what is not a plan', () => {
    expect(problemsOf('do it')).toEqual(['plan: expected an object { tasks: [...] }, got "do it"'])
    expect(problemsOf({ tasks: [] })).toEqual(['plan: "tasks" must be a non-empty list of tasks, got a list'])
    expect(problemsOf({ steps: [1] })).toEqual([
      'plan: unknown field "steps"; a plan has only "tasks"',
      'plan: "tasks" must be a non-empty list of tasks, got nothing',
    ])
  })

  it('refuses a nested task that refers to the plan it is part of', () => {
    expect(
      problemsOf({
        tasks: [
          {
            id: 'facts',
            plan: {
              tasks: [
                { id: 'people', tool: 'search', args: { q: 'x' } },
                {
                  id: 'more',
                  plan: { tasks: [{ id: 'area', tool: 'search', args: { q: '${facts.people}' } }] },
                },
              ],
            },
          },
        ],
      }),
    ).toEqual([
      'task "area": args.q refers to ${facts.people}, the result of the plan "facts" it is part of, which is known only when its tasks have ended',
    ])
  })

  it('lets a nested plan refer to the plan around it, and makes it wait for what it refers to', () => {
    const plan = checked({
      tasks: [
        { id: 'city', tool: 'search', args: { q: 'largest city' } },
        {
          id: 'facts',
          plan: {
            tasks: [
              { id: 'people', tool: 'search', args: { q: 'population of ${city.name}' } },
              { id: 'area', tool: 'search', args: { q: 'area of ${city.name}' } },
            ],
          },
        },
      ],
    })
    expect([...plan.needs.get('facts')!]).toEqual(['city'])
    expect(
      problemsOf({
        tasks: [
          { id: 'x', tool: 'search', args: { q: 'a' } },
          { id: 'inner', plan: { tasks: [{ id: 'x', tool: 'search', args: { q: '${nowhere}' } }] } },
        ],
      }),
    ).toEqual([
      'task "inner" (a plan): task "x" has the id of a task of the plan around it',
      'task "x": args.q refers to ${nowhere}, but no task is called "nowhere" (the tasks are "x")',
    ])
  })
})

describe('filling references', () => {
  const results = new Map<string, unknown>([
    ['lisbon', { population: 545796, names: ['Lisboa', 'Lisbon'] }],
    ['note', 'a note'],
  ])

  it('gives a whole reference its value, typed, and writes embedded ones into the string', () => {
    expect(
      fill(
        {
          n: '${lisbon.population}',
          all: '${lisbon}',
          second: '${lisbon.names.1}',
          text: 'Lisbon has ${lisbon.population} people (${note}); names ${lisbon.names}',
          list: ['${note}', 3],
        },
        results,
      ),
    ).toEqual({
      n: 545796,
      all: { population: 545796, names: ['Lisboa', 'Lisbon'] },
      second: 'Lisbon',
      text: 'Lisbon has 545796 people (a note); names ["Lisboa","Lisbon"]',
      list: ['a note', 3],
    })
  })

  it('says which field a result does not have, and what it has', () => {
    expect(() => fill('${lisbon.populaton}', results)).toThrow(
      '${lisbon.populaton}: the result of lisbon has no field "populaton" (its fields: population, names)',
    )
    expect(() => fill('${lisbon.names.5}', results)).toThrow(
      '${lisbon.names.5}: the result of lisbon.names has no field "5" (it is a list of 2)',
    )
    expect(() => fill('x ${note.length}', results)).toThrow(
      'the result of note has no field "length" (it is string)',
    )
  })
})

/** A task runner whose tasks end when the test says, recording what started when. */
function controlled() {
  const log: string[] = []
  const pending = new Map<string, (result: TaskResult) => void>()
  const inputs = new Map<string, FilledTask>()
  const runTask = (task: FilledTask, path: string) =>
    new Promise<TaskResult>((resolve) => {
      log.push(`start ${path}`)
      inputs.set(path, task)
      pending.set(path, resolve)
    })
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve()
  }
  const end = async (path: string, result: TaskResult = { status: 'done', value: `${path}!` }) => {
    const resolve = pending.get(path)
    if (!resolve) throw new Error(`${path} is not running (log: ${log.join(', ')})`)
    pending.delete(path)
    log.push(`end ${path}`)
    resolve(result)
    await settle()
  }
  return { log, runTask, end, settle, inputs, running: () => [...pending.keys()] }
}

describe('executing a plan', () => {
  it('starts a task the moment its last input ends, not when a whole level has', async () => {
    const plan = checked({
      tasks: [
        { id: 'a', tool: 'search', args: { q: 'a' } },
        { id: 'slow', tool: 'search', args: { q: 'slow' } },
        { id: 'b', tool: 'search', args: { q: 'b' } },
        { id: 'ab', tool: 'calculate', args: { expression: '${a} + ${b}' } },
        { id: 'last', tool: 'calculate', args: { expression: '${ab} ${slow}' } },
      ],
    })
    const c = controlled()
    const done = executePlan(plan, c.runTask)
    await c.settle()
    expect(c.running()).toEqual(['a', 'slow', 'b'])
    await c.end('b')
    expect(c.running()).toEqual(['a', 'slow'])
    await c.end('a')
    // `ab` starts now, while `slow` (of its level) still runs.
    expect(c.running()).toEqual(['slow', 'ab'])
    expect(c.inputs.get('ab')).toMatchObject({ args: { expression: 'a! + b!' } })
    await c.end('ab')
    await c.end('slow')
    expect(c.inputs.get('last')).toMatchObject({ args: { expression: 'ab! slow!' } })
    await c.end('last')
    const results = await done
    expect([...results.keys()]).toEqual(['b', 'a', 'ab', 'slow', 'last'])
    expect(results.get('last')).toEqual({ status: 'done', value: 'last!' })
  })

  it('runs at most `concurrency` tasks at once, starting them in the plan’s order', async () => {
    const plan = checked({
      tasks: ['t1', 't2', 't3', 't4'].map((id) => ({ id, tool: 'search', args: { q: id } })),
    })
    const c = controlled()
    const done = executePlan(plan, c.runTask, { concurrency: 2 })
    await c.settle()
    expect(c.running()).toEqual(['t1', 't2'])
    await c.end('t2')
    expect(c.running()).toEqual(['t1', 't3'])
    await c.end('t1')
    await c.end('t3')
    await c.end('t4')
    expect((await done).size).toBe(4)
  })

  it('keeps a failure as a result and skips what needed it, saying why', async () => {
    const plan = checked({
      tasks: [
        { id: 'fetch', tool: 'search', args: { q: 'x' } },
        { id: 'other', tool: 'search', args: { q: 'y' } },
        { id: 'sum', tool: 'calculate', args: { expression: '${fetch}' } },
        { id: 'report', agent: 'analyst', task: 'Report ${sum}' },
        { id: 'field', tool: 'calculate', args: { expression: '${other.total}' } },
      ],
    })
    const c = controlled()
    const done = executePlan(plan, c.runTask)
    await c.settle()
    await c.end('fetch', {
      status: 'failed',
      error: { code: 'HTTP_503', message: 'the search service is down' },
    })
    await c.end('other', { status: 'done', value: { count: 2 } })
    const results = await done
    expect(results.get('sum')).toEqual({
      status: 'skipped',
      error: {
        code: 'PLAN_SKIPPED',
        message: 'skipped: it needs "fetch", which failed: the search service is down',
      },
    })
    expect(results.get('report')?.status).toBe('skipped')
    expect(results.get('report')).toMatchObject({
      error: { message: expect.stringContaining('needs "sum", which was skipped') },
    })
    // A reference to a field the result does not have fails that task only.
    expect(results.get('field')).toEqual({
      status: 'failed',
      error: {
        code: 'PLAN_REFERENCE',
        message: '${other.total}: the result of other has no field "total" (its fields: count)',
      },
    })
    expect(c.log).not.toContain('start sum')
    expect(c.log).not.toContain('start field')
  })

  it('runs a nested plan as one task whose value is its tasks’ results, under the same limit', async () => {
    const plan = checked({
      tasks: [
        { id: 'city', tool: 'search', args: { q: 'city' } },
        {
          id: 'facts',
          plan: {
            tasks: [
              { id: 'people', tool: 'search', args: { q: 'people of ${city}' } },
              { id: 'area', tool: 'search', args: { q: 'area of ${city}' } },
            ],
          },
        },
        { id: 'density', tool: 'calculate', args: { expression: '${facts.people} / ${facts.area}' } },
      ],
    })
    const c = controlled()
    const done = executePlan(plan, c.runTask, { concurrency: 1 })
    await c.settle()
    await c.end('city', { status: 'done', value: 'Lisbon' })
    expect(c.running()).toEqual(['facts/people'])
    expect(c.inputs.get('facts/people')).toMatchObject({ args: { q: 'people of Lisbon' } })
    await c.end('facts/people', { status: 'done', value: 545796 })
    await c.end('facts/area', { status: 'done', value: 100 })
    expect(c.inputs.get('density')).toMatchObject({ args: { expression: '545796 / 100' } })
    await c.end('density')
    const results = await done
    expect(results.get('facts')).toEqual({ status: 'done', value: { people: 545796, area: 100 } })
    expect([...results.keys()]).toEqual(['city', 'facts/people', 'facts/area', 'facts', 'density'])
  })

  it('skips the rest of a long chain after a failure, each skip naming the failure at its root', async () => {
    const chain = checked({
      tasks: Array.from({ length: 20_000 }, (_, i) => ({
        id: `t${i}`,
        tool: 'calculate',
        args: { expression: i ? `\${t${i - 1}} + 1` : '1' },
      })),
    })
    const ran: string[] = []
    const results = await executePlan(chain, async (task) => {
      ran.push(task.id)
      return { status: 'failed', error: { code: 'TOOL_ERROR', message: 'the calculator is down' } }
    })
    expect(ran).toEqual(['t0'])
    expect(results.size).toBe(20_000)
    expect(results.get('t1')).toEqual({
      status: 'skipped',
      error: {
        code: 'PLAN_SKIPPED',
        message: 'skipped: it needs "t0", which failed: the calculator is down',
      },
    })
    expect(results.get('t19999')).toEqual({
      status: 'skipped',
      error: {
        code: 'PLAN_SKIPPED',
        message: 'skipped: it needs "t19998", which was skipped: "t0" failed: the calculator is down',
      },
    })
  })

  it('fails a nested plan with the code of its task that failed', async () => {
    const plan = checked({
      tasks: [{ id: 'facts', plan: { tasks: [{ id: 'people', tool: 'search', args: {} }] } }],
    })
    const results = await executePlan(plan, async () => ({
      status: 'failed',
      error: { code: 'TOOL_TIMEOUT', message: 'tool "search" timed out after 30 ms.' },
    }))
    expect(results.get('facts')).toEqual({
      status: 'failed',
      error: {
        code: 'TOOL_TIMEOUT',
        message: 'its task "people" did not succeed: tool "search" timed out after 30 ms.',
      },
    })
  })

  it('fails only the task whose inputs cannot be written, whatever the reason', async () => {
    const plan = checked({
      tasks: [
        { id: 'big', tool: 'search', args: {} },
        { id: 'text', tool: 'search', args: { q: 'count: ${big}' } },
        { id: 'other', tool: 'search', args: { q: 'y' } },
      ],
    })
    const results = await executePlan(plan, async (task) => ({
      status: 'done',
      // A value JSON cannot write, as a tool's own value may be.
      value: 'tool' in task && task.id === 'big' ? 10n : 'ok',
    }))
    expect(results.get('text')).toEqual({
      status: 'failed',
      error: { code: 'INTERNAL', message: 'Do not know how to serialize a BigInt' },
    })
    expect(results.get('other')).toEqual({ status: 'done', value: 'ok' })
  })

  it('turns a task runner that throws into that task’s failure', async () => {
    const plan = checked({
      tasks: [
        { id: 'a', tool: 'search', args: {} },
        { id: 'b', tool: 'search', args: {} },
      ],
    })
    const results = await executePlan(plan, async (task) => {
      if ('tool' in task && task.id === 'a') throw new Error('boom')
      return { status: 'done', value: 1 }
    })
    expect(results.get('a')).toEqual({ status: 'failed', error: { code: 'INTERNAL', message: 'boom' } })
    expect(results.get('b')).toEqual({ status: 'done', value: 1 })
  })
})

describe('the critical path', () => {
  it('follows, from the task that ended last, the input that ended last', () => {
    expect(
      criticalPath([
        { id: 'a', needs: [], start: 0, ms: 200 },
        { id: 'b', needs: [], start: 0, ms: 500 },
        { id: 'c', needs: [], start: 0, ms: 100 },
        { id: 'ab', needs: ['a', 'b'], start: 500, ms: 100 },
        { id: 'total', needs: ['ab', 'c'], start: 600, ms: 50 },
      ]),
    ).toEqual(['b', 'ab', 'total'])
    // Tasks that never ran are not on it.
    expect(
      criticalPath([
        { id: 'x', needs: [] },
        { id: 'y', needs: ['x'], start: 0, ms: 5 },
      ]),
    ).toEqual(['y'])
    expect(criticalPath([])).toEqual([])
  })
})
