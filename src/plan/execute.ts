/**
 * The one executor of plans, from a planning model or from code. Every task whose inputs are
 * ready starts, up to a limit of tasks at once (shared with nested plans); a waiting task starts
 * the moment the last task it needs ends, not when a whole level has. Ready tasks start in the
 * plan's order, so the same plan and results start the same tasks in the same order. A failed
 * task does not sink the plan: its error is its result, and the tasks that needed it are
 * skipped, saying which task failed and why.
 */

import { withFields } from '../objects.js'
import { fill, PlanReferenceError } from './refs.js'
import type { AgentTask, TaskResult, ToolTask } from './types.js'
import type { CheckedPlan } from './validate.js'

/** A tool or agent task as it runs: its inputs filled with the results it referred to. */
export type FilledTask = (ToolTask & { args: unknown }) | AgentTask

/** How the executor runs one task; `path` is its place in the plan (`fetch`, `outer/inner`). */
export type RunTask = (task: FilledTask, path: string) => Promise<TaskResult>

export interface ExecuteOptions {
  /** Tasks running at once, nested plans' included. Default 8. */
  concurrency?: number
  /** Told as each task starts and ends (for events and the live tree). */
  onStart?: (path: string) => void
  onEnd?: (path: string, result: TaskResult) => void
}

/** Runs a checked plan to its end; each task's result by id (a nested plan's by `outer/inner`). */
export async function executePlan(
  checked: CheckedPlan,
  runTask: RunTask,
  options: ExecuteOptions = {},
): Promise<Map<string, TaskResult>> {
  const slots = new Slots(options.concurrency ?? DEFAULT_CONCURRENCY)
  const results = new Map<string, TaskResult>()
  await level(checked, '', new Map(), runTask, slots, options, results)
  return results
}

/** One level of a plan; `outer` holds the values of the plans around it, for references. */
async function level(
  checked: CheckedPlan,
  prefix: string,
  outer: ReadonlyMap<string, unknown>,
  runTask: RunTask,
  slots: Slots,
  options: ExecuteOptions,
  results: Map<string, TaskResult>,
): Promise<Map<string, TaskResult>> {
  const own = new Map<string, TaskResult>()
  const values = new Map(outer)
  const order = checked.plan.tasks
  const place = new Map(order.map((task, i) => [task.id, i]))
  // How many of its needs each task still waits for, and who waits for each.
  const left = new Map<string, number>()
  const dependents = new Map<string, string[]>()
  for (const task of order) {
    const needs = checked.needs.get(task.id) ?? new Set<string>()
    left.set(task.id, needs.size)
    for (const need of needs) {
      const list = dependents.get(need)
      if (list) list.push(task.id)
      else dependents.set(need, [task.id])
    }
  }
  // Ready tasks, by their place in the plan: the first one starts first.
  const ready = new MinHeap()
  for (const [i, task] of order.entries()) if (left.get(task.id) === 0) ready.push(i)
  /** The failed task at the root of each skip, so a skip names it without repeating a chain of skips. */
  const rootCause = new Map<string, string>()
  let unfinished = order.length
  return new Promise((resolve, reject) => {
    let draining = false
    const ended = (id: string, result: TaskResult) => {
      own.set(id, result)
      results.set(prefix + id, result)
      if (result.status === 'done') values.set(id, result.value)
      unfinished--
      options.onEnd?.(prefix + id, result)
      for (const next of dependents.get(id) ?? []) {
        const count = left.get(next)! - 1
        left.set(next, count)
        if (count === 0) ready.push(place.get(next)!)
      }
      drain()
    }
    // A loop, not recursion: skipping a task can make thousands of others ready in turn.
    const drain = () => {
      if (draining) return
      draining = true
      try {
        for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
          const task = order[i]!
          const failed = [...(checked.needs.get(task.id) ?? [])].find(
            (need) => own.get(need)?.status !== 'done',
          )
          if (failed === undefined) {
            // `start` never fails: what is caught here went wrong in `onEnd`.
            start(task, values)
              .then((result) => ended(task.id, result))
              .catch(reject)
            continue
          }
          const cause = own.get(failed) as Exclude<TaskResult, { status: 'done' }>
          const root = cause.status === 'skipped' ? rootCause.get(failed)! : failed
          rootCause.set(task.id, root)
          const message =
            cause.status === 'skipped'
              ? `skipped: it needs "${failed}", which was skipped: "${root}" failed: ${failure(own.get(root))}`
              : `skipped: it needs "${failed}", which failed: ${cause.error.message}`
          ended(task.id, { status: 'skipped', error: { code: 'PLAN_SKIPPED', message } })
        }
      } finally {
        draining = false
      }
      if (unfinished === 0) resolve(own)
    }
    /** Runs one task to its result; whatever goes wrong is that task's failure, not the plan's. */
    const start = async (
      task: (typeof order)[number],
      known: ReadonlyMap<string, unknown>,
    ): Promise<TaskResult> => {
      try {
        return await attempt(task, known)
      } catch (error) {
        return {
          status: 'failed',
          error: {
            code: error instanceof PlanReferenceError ? 'PLAN_REFERENCE' : 'INTERNAL',
            message: error instanceof Error ? error.message : String(error),
          },
        }
      }
    }
    const attempt = async (
      task: (typeof order)[number],
      known: ReadonlyMap<string, unknown>,
    ): Promise<TaskResult> => {
      const path = prefix + task.id
      const inner = checked.nested.get(task.id)
      if (inner) {
        const done = await level(inner, `${path}/`, known, runTask, slots, options, results)
        // The first task that failed (a skipped one always follows a failure of its own level).
        const failed =
          [...done].find(([, result]) => result.status === 'failed') ??
          [...done].find(([, result]) => result.status !== 'done')
        return failed && failed[1].status !== 'done'
          ? {
              status: 'failed',
              error: {
                code: failed[1].error.code,
                message: `its task "${failed[0]}" did not succeed: ${failed[1].error.message}`,
              },
            }
          : {
              status: 'done',
              value: Object.fromEntries(
                [...done].map(([id, result]) => [id, (result as { value: unknown }).value]),
              ),
            }
      }
      const filled: FilledTask =
        'tool' in task
          ? withFields(task, { args: fill(task.args ?? {}, known) })
          : withFields(task as AgentTask, { task: String(fill((task as AgentTask).task, known)) })
      await slots.take()
      try {
        options.onStart?.(path)
        return await runTask(filled, path)
      } finally {
        slots.give()
      }
    }
    drain()
  })
}

/** A failed or skipped result's message. */
const failure = (result: TaskResult | undefined) =>
  result && result.status !== 'done' ? result.error.message : ''

/** The smallest of a set of numbers first (ready tasks by their place in the plan). */
class MinHeap {
  private readonly items: number[] = []

  push(item: number): void {
    const { items } = this
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const up = (i - 1) >> 1
      if (items[up]! <= item) break
      items[i] = items[up]!
      i = up
    }
    items[i] = item
  }

  pop(): number | undefined {
    const { items } = this
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= items.length) break
      const right = left + 1
      const child = right < items.length && items[right]! < items[left]! ? right : left
      if (items[child]! >= last) break
      items[i] = items[child]!
      i = child
    }
    items[i] = last
    return top
  }
}

/** How many tasks run at once when the caller does not say. */
const DEFAULT_CONCURRENCY = 8

/** A count of places: `take` waits for one, `give` hands it to the next in line. */
class Slots {
  private free: number
  private readonly line: (() => void)[] = []

  constructor(size: number) {
    this.free = Number.isNaN(size) ? DEFAULT_CONCURRENCY : Math.max(1, Math.floor(size))
  }

  take(): Promise<void> {
    if (this.free > 0) {
      this.free--
      return Promise.resolve()
    }
    return new Promise((resolve) => this.line.push(resolve))
  }

  give(): void {
    const next = this.line.shift()
    if (next) next()
    else this.free++
  }
}
