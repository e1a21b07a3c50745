/**
 * The critical path of a plan that ran: the chain of tasks, each waiting for the one before it,
 * that ended last. It is what bounds the plan's time: to make the plan faster, make these faster.
 */

/** A task as it ran: when it started and how long it took (ms), and the tasks it waited for. */
export interface TimedTask {
  id: string
  needs: readonly string[]
  start?: number | undefined
  ms?: number | undefined
}

/** The ids along the critical path, first to last; empty when no task ran. */
export function criticalPath(tasks: readonly TimedTask[]): string[] {
  const byId = new Map(tasks.map((task) => [task.id, task]))
  const end = (task: TimedTask | undefined) =>
    task?.start === undefined || task.ms === undefined ? undefined : task.start + task.ms
  const latest = (ids: readonly string[]): TimedTask | undefined => {
    let best: TimedTask | undefined
    for (const id of ids) {
      const task = byId.get(id)
      const at = end(task)
      if (at !== undefined && (best === undefined || at > end(best)!)) best = task
    }
    return best
  }
  const path: string[] = []
  let at = latest(tasks.map((task) => task.id))
  while (at && !path.includes(at.id)) {
    path.unshift(at.id)
    at = latest(at.needs)
  }
  return path
}
