/**
 * The one executor of plans, from a planning model or from code. Every task whose inputs are
 * ready starts, up to a limit of tasks at once (shared with nested plans); a waiting task starts
 * the moment the last task it needs ends, not when a whole level has. Ready tasks start in the
 * plan's order, so the same plan and results start the same tasks in the same order. A failed
 * task does not sink the plan: its error is its result, and the tasks that needed it are
 * skipped, saying which task failed and why.
 */
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
  const slots = new Slots(options.concurrency ?? 8)
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
  const waiting = new Map([...checked.needs].map(([id, needs]) => [id, new Set(needs)]))
  const order = checked.plan.tasks
  let running = 0
  return new Promise((resolve, reject) => {
    const ended = (id: string, result: TaskResult) => {
      own.set(id, result)
      results.set(prefix + id, result)
      if (result.status === 'done') values.set(id, result.value)
      options.onEnd?.(prefix + id, result)
      for (const needs of waiting.values()) needs.delete(id)
      startReady()
    }
    const startReady = () => {
      for (const task of order) {
        const needs = waiting.get(task.id)
        if (!needs || needs.size > 0) continue
        waiting.delete(task.id)
        const failed = [...(checked.needs.get(task.id) ?? [])].find(
          (need) => own.get(need)?.status !== 'done',
        )
        if (failed !== undefined) {
          const cause = own.get(failed)!
          ended(task.id, {
            status: 'skipped',
            error: {
              code: 'PLAN_SKIPPED',
              message: `skipped: it needs "${failed}", which ${cause.status === 'skipped' ? 'was skipped' : 'failed'}: ${'error' in cause ? cause.error.message : ''}`,
            },
          })
          continue
        }
        running++
        start(task, values)
          .then((result) => {
            running--
            ended(task.id, result)
          })
          .catch(reject)
      }
      if (running === 0 && waiting.size === 0) resolve(own)
    }
    const start = async (
      task: (typeof order)[number],
      known: ReadonlyMap<string, unknown>,
    ): Promise<TaskResult> => {
      const path = prefix + task.id
      const inner = checked.nested.get(task.id)
      if (inner) {
        const done = await level(inner, `${path}/`, known, runTask, slots, options, results)
        const failed = [...done].find(([, result]) => result.status !== 'done')
        return failed
          ? {
              status: 'failed',
              error: {
                code: 'PLAN_TASK_FAILED',
                message: `its task "${failed[0]}" did not succeed: ${'error' in failed[1] ? failed[1].error.message : ''}`,
              },
            }
          : {
              status: 'done',
              value: Object.fromEntries(
                [...done].map(([id, result]) => [id, (result as { value: unknown }).value]),
              ),
            }
      }
      let filled: FilledTask
      try {
        filled =
          'tool' in task
            ? { ...task, args: fill(task.args ?? {}, known) }
            : { ...(task as AgentTask), task: String(fill((task as AgentTask).task, known)) }
      } catch (error) {
        if (!(error instanceof PlanReferenceError)) throw error
        return { status: 'failed', error: { code: 'PLAN_REFERENCE', message: error.message } }
      }
      await slots.take()
      options.onStart?.(path)
      try {
        return await runTask(filled, path)
      } catch (error) {
        return { status: 'failed', error: { code: 'INTERNAL', message: (error as Error).message } }
      } finally {
        slots.give()
      }
    }
    startReady()
  })
}

/** A count of places: `take` waits for one, `give` hands it to the next in line. */
class Slots {
  private free: number
  private readonly line: (() => void)[] = []

  constructor(size: number) {
    this.free = Math.max(1, Math.floor(size))
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
