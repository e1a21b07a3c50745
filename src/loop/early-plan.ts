/**
 * Tasks of a plan that start while the model is still writing it. As the `plan` call's
 * arguments stream in, each task object is read the moment it is complete; a task that needs
 * nothing (no reference, no `after`) and calls an idempotent tool starts at once, as the call it
 * will be in the plan (same step key). When the plan is complete, the plan step adopts each
 * such call whose task the plan holds unchanged; any other (a plan that cannot run, a stream
 * that restarted and changed its mind, an answer that ended with text or another plan call, a
 * model call that failed) is awaited before the agent's step ends and left out: an idempotent
 * tool run once too often does no harm. A replay streams the recorded answer again, so it
 * starts the same calls.
 */
import { PLAN_TOOL_NAME } from '../agent/index.js'
import type { ModelDelta } from '../model/stream-call.js'
import { referencesIn } from '../plan/refs.js'
import { type CallOutcome, callTool, takeToolCall } from './call-tool.js'
import type { Frame } from './frame.js'

const ID = /^[A-Za-z0-9_-]{1,64}$/

/** A task started early: what it was started as, and its call's outcome to come. */
export interface EarlyTask {
  tool: string
  args: unknown
  outcome: Promise<CallOutcome>
}

/** The tasks started early for one step's plan call, by task id. */
export interface EarlyTasks {
  callId: string
  tasks: Map<string, EarlyTask>
}

/**
 * What a step started early: the tasks the plan step may adopt (`current`), and the calls nobody
 * will adopt (`abandoned`: a stream that restarted, a plan call that is not the one run).
 */
interface StepStarts {
  current: EarlyTasks | undefined
  abandoned: Promise<CallOutcome>[]
}

// Handed from the model call that streamed the plan to the plan step that runs it.
const started = new WeakMap<Frame, Map<number, StepStarts>>()

/** The early tasks of `step`'s plan call `callId`, taken (a second ask gets none). */
export function takeEarlyTasks(frame: Frame, step: number, callId: string): Map<string, EarlyTask> {
  const starts = started.get(frame)?.get(step)
  const early = starts?.current
  if (!starts || !early) return new Map()
  starts.current = undefined
  if (early.callId === callId) return early.tasks
  // Started for another call of the step than the one that runs: nobody adopts them.
  abandon(starts, early)
  return new Map()
}

/**
 * Waits for the calls `step` started early that no plan adopted, and forgets the step's starts:
 * the step's end, whatever ended it. Undefined when there is nothing to wait for.
 */
export function settleEarlyTasks(frame: Frame, step: number): Promise<unknown> | undefined {
  const byStep = started.get(frame)
  const starts = byStep?.get(step)
  if (!starts) return undefined
  byStep!.delete(step)
  if (starts.current) abandon(starts, starts.current)
  return starts.abandoned.length ? Promise.all(starts.abandoned) : undefined
}

function abandon(starts: StepStarts, early: EarlyTasks): void {
  for (const task of early.tasks.values()) starts.abandoned.push(task.outcome)
  if (starts.current === early) starts.current = undefined
}

/** The starts of `step`, made when the first is. */
function startsOf(frame: Frame, step: number): StepStarts {
  let byStep = started.get(frame)
  if (!byStep) {
    byStep = new Map()
    started.set(frame, byStep)
  }
  let starts = byStep.get(step)
  if (!starts) {
    starts = { current: undefined, abandoned: [] }
    byStep.set(step, starts)
  }
  return starts
}

/**
 * Watches a plan-mode model call's deltas and starts the tasks that can start early. Returns
 * the delta handler.
 */
export function earlyPlanStarter(frame: Frame, step: number): (delta: ModelDelta) => void {
  const calls = new Map<number, { id?: string; name?: string; text: string; read: number }>()
  let early: EarlyTasks | undefined
  return (delta) => {
    if (delta.type === 'restart') {
      // The call starts over: what it wrote so far is void (what started runs on, unadopted).
      calls.clear()
      if (early) abandon(startsOf(frame, step), early)
      early = undefined
      return
    }
    if (delta.type !== 'tool-call-delta') return
    let call = calls.get(delta.index)
    if (!call) {
      call = { text: '', read: 0 }
      calls.set(delta.index, call)
    }
    if (delta.id) call.id = delta.id
    if (delta.name) call.name = delta.name
    call.text += delta.argsDelta
    if (call.name !== PLAN_TOOL_NAME || !call.id) return
    // The first plan call of the answer is the one that may run (one plan per answer).
    if (early && early.callId !== call.id) return
    for (const text of completeTasks(call)) {
      let task: unknown
      try {
        task = JSON.parse(text)
      } catch {
        continue
      }
      if (!early) {
        early = { callId: call.id, tasks: new Map() }
        startsOf(frame, step).current = early
      }
      startEarly(frame, step, early, task)
    }
  }
}

/** Starts a task if it needs nothing and its tool is idempotent. */
function startEarly(frame: Frame, step: number, early: EarlyTasks, task: unknown): void {
  if (task === null || typeof task !== 'object' || Array.isArray(task)) return
  const { id, tool: name, args = {}, ...rest } = task as { id?: unknown; tool?: unknown; args?: unknown }
  if (typeof id !== 'string' || !ID.test(id) || typeof name !== 'string' || Object.keys(rest).length) return
  if (early.tasks.has(id) || referencesIn(args, 'args').length) return
  const tool = frame.prepared.tools.get(name)
  if (tool?.kind !== 'baton.tool' || !tool.idempotent) return
  const callId = `${early.callId}.${id}`
  const key = `${frame.path}/${step}/tool/${callId}`
  const outcome = (async (): Promise<CallOutcome> => {
    const refusal = await takeToolCall(frame, key, frame.run.clock.now())
    if (refusal)
      return {
        ok: false,
        error: {
          code: 'BUDGET_EXCEEDED',
          message: `the budget allows no more tool calls (${refusal.limit})`,
        },
        content: '',
        fatal: false,
        refusal,
      }
    return callTool(frame, step, { call: { id: callId, name, args }, tool, key, k: 0 })
  })()
  early.tasks.set(id, { tool: name, args, outcome })
}

/**
 * The task objects of the `tasks` list that are complete in the text so far and were not read
 * yet: a scan from where the last one ended, aware of strings and escapes.
 */
function completeTasks(call: { text: string; read: number }): string[] {
  const { text } = call
  const found: string[] = []
  let at = call.read
  if (at === 0) {
    const list = /"tasks"\s*:\s*\[/.exec(text)
    if (!list) return found
    at = list.index + list[0].length
  }
  for (;;) {
    while (at < text.length && /[\s,]/.test(text[at]!)) at++
    if (text[at] !== '{') break
    const end = objectEnd(text, at)
    if (end < 0) break
    found.push(text.slice(at, end + 1))
    at = end + 1
  }
  call.read = at
  return found
}

/** The index of the `}` that closes the object opening at `start`, or -1 if it is not there yet. */
function objectEnd(text: string, start: number): number {
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) return i
    }
  }
  return -1
}
