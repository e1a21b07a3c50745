/**
 * A plan checked before anything runs, as a planning model or code wrote it: its shape, the
 * tools and sub-agents it names, the tasks its references and `after` lists name, and cycles.
 * Every problem is reported (a planner fixes them all at once), each naming its task.
 */
import { isWholeReference, malformedReferencesIn, type Reference, referencesIn } from './refs.js'
import type { Plan, PlannedTask, PlanScope } from './types.js'

const ID = /^[A-Za-z0-9_-]{1,64}$/
/** Ids that would be taken for something else where results are kept by id (a JS object's prototype). */
const RESERVED: ReadonlySet<string> = new Set(['__proto__'])
const FIELDS = {
  tool: ['id', 'tool', 'args', 'after'],
  agent: ['id', 'agent', 'task', 'after'],
  plan: ['id', 'plan', 'after'],
} as const

/** A plan, checked: its tasks in order, with what each waits for. */
export interface CheckedPlan {
  plan: Plan
  /** Each task's id → the ids of this plan's tasks it waits for (its references and `after`). */
  needs: Map<string, Set<string>>
  /** Nested plans, checked, by their task's id. */
  nested: Map<string, CheckedPlan>
}

export type PlanCheck = { ok: true; checked: CheckedPlan } | { ok: false; problems: string[] }

/** Checks `value` as a plan of calls to `scope`'s tools and sub-agents. */
export function checkPlan(value: unknown, scope: PlanScope): PlanCheck {
  const problems: string[] = []
  const checked = checkLevel(value, scope, [], [], 'plan', problems)
  return checked && problems.length === 0 ? { ok: true, checked } : { ok: false, problems }
}

/**
 * One level of a plan; `outer` are the ids of the plans around it (references may reach them),
 * `holders` the ids of the nested-plan tasks this level is part of (their results are not known
 * until this level has ended).
 */
function checkLevel(
  value: unknown,
  scope: PlanScope,
  outer: readonly string[],
  holders: readonly string[],
  where: string,
  problems: string[],
): CheckedPlan | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${where}: expected an object { tasks: [...] }, got ${describe(value)}`)
    return undefined
  }
  const { tasks } = value as { tasks?: unknown }
  for (const key of Object.keys(value))
    if (key !== 'tasks') problems.push(`${where}: unknown field "${key}"; a plan has only "tasks"`)
  if (!Array.isArray(tasks) || tasks.length === 0) {
    problems.push(`${where}: "tasks" must be a non-empty list of tasks, got ${describe(tasks)}`)
    return undefined
  }
  const ids = new Set<string>()
  const valid: PlannedTask[] = []
  tasks.forEach((task, i) => {
    const id = checkTask(task, i, scope, where, problems)
    if (id === undefined) return
    if (ids.has(id)) problems.push(`${where}: task ids must be unique; "${id}" is used twice`)
    else if (outer.includes(id))
      problems.push(`${where}: task "${id}" has the id of a task of the plan around it`)
    ids.add(id)
    valid.push(task as PlannedTask)
  })
  const needs = new Map<string, Set<string>>()
  const nested = new Map<string, CheckedPlan>()
  const byId = new Map(valid.map((task) => [task.id, task]))
  for (const task of valid) {
    const waits = new Set<string>()
    // A malformed `after` was reported with the task's shape.
    const afters = Array.isArray(task.after) ? task.after.filter((a) => typeof a === 'string') : []
    for (const after of afters) {
      if (after === task.id) problems.push(`task "${task.id}": it cannot come after itself`)
      else if (ids.has(after)) waits.add(after)
      else
        problems.push(
          `task "${task.id}": "after" names "${after}", but no task of its plan is called that${known(ids)}`,
        )
    }
    for (const reference of referencesOf(task)) {
      if (reference.task === task.id)
        problems.push(`task "${task.id}": ${reference.at} refers to its own result (${reference.text})`)
      else if (holders.includes(reference.task))
        problems.push(
          `task "${task.id}": ${reference.at} refers to ${reference.text}, the result of the plan "${reference.task}" it is part of, which is known only when its tasks have ended`,
        )
      else if (ids.has(reference.task)) {
        waits.add(reference.task)
        const missing = missingField(reference, byId.get(reference.task), scope)
        if (missing)
          problems.push(`task "${task.id}": ${reference.at} refers to ${reference.text}, but ${missing}`)
      } else if (!outer.includes(reference.task))
        problems.push(
          `task "${task.id}": ${reference.at} refers to ${reference.text}, but no task is called "${reference.task}"${known(ids)}`,
        )
    }
    for (const malformed of malformedReferencesOf(task, (id) => ids.has(id) || outer.includes(id)))
      problems.push(
        `task "${task.id}": ${malformed.at} has ${malformed.text}, which is not a reference: write \${${malformed.task}} for its whole result, or \${${malformed.task}.field.0} for a field (fields and list indexes after dots, no spaces)`,
      )
    if ('plan' in task) {
      const inner = checkLevel(
        task.plan,
        scope,
        [...outer, ...ids],
        [...holders, task.id],
        `task "${task.id}" (a plan)`,
        problems,
      )
      if (inner) {
        nested.set(task.id, inner)
        // A nested plan waits for the tasks of this level its own tasks refer to.
        for (const reference of innerReferences(inner)) if (ids.has(reference)) waits.add(reference)
        waits.delete(task.id)
      }
    }
    needs.set(task.id, waits)
  }
  const cycle = cycleIn(valid, needs)
  if (cycle)
    problems.push(
      `${where}: tasks wait for each other in a cycle: ${around(cycle)} (each waits for the next)`,
    )
  return { plan: { tasks: valid }, needs, nested }
}

/** Checks one task's shape and names; its id when it has a usable one. */
function checkTask(
  task: unknown,
  i: number,
  scope: PlanScope,
  where: string,
  problems: string[],
): string | undefined {
  const at = `${where}: task ${i + 1}`
  if (task === null || typeof task !== 'object' || Array.isArray(task)) {
    problems.push(`${at}: expected an object, got ${describe(task)}`)
    return undefined
  }
  const t = task as Record<string, unknown>
  const id = typeof t.id === 'string' && ID.test(t.id) && !RESERVED.has(t.id) ? t.id : undefined
  const name = id === undefined ? at : `task "${id}"`
  if (typeof t.id === 'string' && RESERVED.has(t.id))
    problems.push(`${at}: "id" cannot be "${t.id}"; choose another`)
  else if (id === undefined)
    problems.push(`${at}: "id" must be 1 to 64 letters, digits, "_" or "-", got ${describe(t.id)}`)
  const kinds = (['tool', 'agent', 'plan'] as const).filter((kind) => kind in t)
  if (kinds.length !== 1) {
    problems.push(
      `${name}: a task has exactly one of "tool", "agent" or "plan"${kinds.length ? `, not ${kinds.map((k) => `"${k}"`).join(' and ')}` : ''}`,
    )
    return id
  }
  const kind = kinds[0]!
  for (const key of Object.keys(t))
    if (!(FIELDS[kind] as readonly string[]).includes(key))
      problems.push(
        `${name}: unknown field "${key}"; a ${kind} task has ${FIELDS[kind].map((f) => `"${f}"`).join(', ')}`,
      )
  if (t.after !== undefined) {
    const odd = Array.isArray(t.after) ? t.after.find((a) => typeof a !== 'string') : t.after
    if (!Array.isArray(t.after) || odd !== undefined)
      problems.push(
        `${name}: "after" must be a list of task ids, got ${Array.isArray(t.after) ? `a list holding ${describe(odd)}` : describe(t.after)}`,
      )
  }
  if (kind === 'tool') {
    if (typeof t.tool !== 'string')
      problems.push(`${name}: "tool" must be a tool's name, got ${describe(t.tool)}`)
    else if (!scope.tools.has(t.tool))
      problems.push(`${name}: unknown tool "${t.tool}"; the tools are ${list(scope.tools)}`)
    // A tool's arguments are an object; a whole reference may name one.
    const { args } = t
    if (
      args !== undefined &&
      (args === null || typeof args !== 'object' || Array.isArray(args)) &&
      !(typeof args === 'string' && isWholeReference(args))
    )
      problems.push(`${name}: "args" must be an object of the tool's arguments, got ${describe(args)}`)
  } else if (kind === 'agent') {
    if (typeof t.agent !== 'string')
      problems.push(`${name}: "agent" must be a sub-agent's name, got ${describe(t.agent)}`)
    else if (!scope.agents.has(t.agent))
      problems.push(`${name}: unknown agent "${t.agent}"; the sub-agents are ${list(scope.agents)}`)
    if (typeof t.task !== 'string' || t.task.trim() === '')
      problems.push(`${name}: "task" must be the sub-agent's brief, got ${describe(t.task)}`)
  }
  return id
}

/**
 * Why a reference's fields cannot be in the result it names, when the task is a tool call whose
 * tool declares the JSON Schema of its result and that schema says so (an object with no other
 * properties, a list); undefined when they may be.
 */
function missingField(
  reference: Reference,
  task: PlannedTask | undefined,
  scope: PlanScope,
): string | undefined {
  if (!task || !('tool' in task)) return undefined
  const declared = scope.outputs?.get(task.tool)
  let schema = declared?.schema
  let path = reference.task
  for (const field of reference.fields) {
    if (!schema) return undefined
    const properties = schema.properties as Record<string, Record<string, unknown>> | undefined
    if (schema.type === 'object' && properties) {
      if (Object.hasOwn(properties, field)) schema = properties[field]
      else if (
        schema.additionalProperties === false ||
        (declared!.strips && schema.additionalProperties === undefined)
      )
        return `the result of ${path} (tool "${task.tool}") has no field "${field}" (its fields: ${Object.keys(properties).join(', ') || 'none'})`
      else return undefined
    } else if (schema.type === 'array') {
      if (!/^\d+$/.test(field))
        return `the result of ${path} (tool "${task.tool}") is a list: "${field}" is not an index`
      schema = schema.items as Record<string, unknown> | undefined
    } else if (typeof schema.type === 'string' && schema.type !== 'object')
      return `the result of ${path} (tool "${task.tool}") is of type ${schema.type}, with no field "${field}"`
    else return undefined
    path = `${path}.${field}`
  }
  return undefined
}

/** The references in a task's own inputs (a nested plan's are checked at its level). */
function referencesOf(task: PlannedTask): Reference[] {
  if ('tool' in task) return referencesIn(task.args, 'args')
  if ('agent' in task) return referencesIn(task.task, 'task')
  return []
}

/** Text in a task's own inputs that looks like a reference to one of `ids` but is not one. */
function malformedReferencesOf(task: PlannedTask, ids: (id: string) => boolean) {
  if ('tool' in task) return malformedReferencesIn(task.args, 'args', ids)
  if ('agent' in task) return malformedReferencesIn(task.task, 'task', ids)
  return []
}

/** The ids a nested plan's tasks (at any depth) refer to. */
function innerReferences(checked: CheckedPlan): string[] {
  const out: string[] = []
  for (const task of checked.plan.tasks) {
    for (const reference of referencesOf(task)) out.push(reference.task)
    const inner = checked.nested.get(task.id)
    if (inner) out.push(...innerReferences(inner))
  }
  return out
}

/** A cycle among the tasks, as the ids around it (the first repeated at the end), if there is one. */
function cycleIn(
  tasks: readonly PlannedTask[],
  needs: ReadonlyMap<string, ReadonlySet<string>>,
): string[] | undefined {
  // A depth-first search with a stack of its own: a plan may be a chain of thousands of tasks.
  const state = new Map<string, 'open' | 'done'>()
  for (const task of tasks) {
    if (state.has(task.id)) continue
    const path: string[] = [task.id]
    const pending: Iterator<string>[] = [(needs.get(task.id) ?? new Set<string>()).values()]
    state.set(task.id, 'open')
    while (pending.length > 0) {
      const next = pending.at(-1)!.next()
      if (next.done) {
        state.set(path.pop()!, 'done')
        pending.pop()
        continue
      }
      const need = next.value
      if (state.get(need) === 'open') return [...path.slice(path.indexOf(need)), need]
      if (state.has(need)) continue
      state.set(need, 'open')
      path.push(need)
      pending.push((needs.get(need) ?? new Set<string>()).values())
    }
  }
  return undefined
}

/** A cycle's ids joined by arrows; a long one shows its start and its end, saying how many are left out. */
function around(cycle: readonly string[]): string {
  if (cycle.length <= 24) return cycle.join(' → ')
  return [...cycle.slice(0, 12), `… (${cycle.length - 22} more)`, ...cycle.slice(-10)].join(' → ')
}

const list = (names: ReadonlySet<string>) =>
  names.size ? [...names].map((n) => `"${n}"`).join(', ') : 'none'
const known = (ids: ReadonlySet<string>) => (ids.size ? ` (the tasks are ${list(ids)})` : '')

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`
}
