import { PLAN_TOOL_NAME } from '../agent/index.js'
import type { BudgetRefusal } from '../budget/index.js'
import type { PendingApproval } from '../events/index.js'
import type { TrajectoryStep } from '../goal/index.js'
import type { ToolCall } from '../model/types.js'
import { resultMemoryKey } from '../tool/index.js'
import { type CallOutcome, callTool, type Job, takeToolCall } from './call-tool.js'
import type { Frame } from './frame.js'
import { budgetOutcome, stoppedOutcome } from './outcome.js'
import { releaseResultKey } from './result-key.js'
import type { LoopState } from './state.js'
import { CONTINUE, type StepResult, stopWith } from './step-result.js'

/**
 * Runs the tool calls of one response concurrently (bounded by the agent's `toolConcurrency`),
 * emits their events as they happen, and appends the results to the history in call order.
 * Stops the agent itself only for what the step decides (an approval to wait for, a budget
 * refusal); a stall is recorded in the state for the stop conditions.
 */
export async function dispatch(
  frame: Frame,
  state: LoopState,
  step: number,
  calls: ToolCall[],
): Promise<StepResult> {
  const { run, prepared } = frame
  const stepKey = `${frame.path}/${step}`
  const stall = state.stall?.beforeCalls(calls)
  if (stall?.stop) {
    // Going in circles: the calls do not run.
    const { reason, message } = stall.stop
    run.emit({ type: 'stall.warning', path: stepKey, reason, message: `stopping: ${message}` })
    state.stalled = stall.stop
    return CONTINUE
  }

  // Every call to a known tool is counted before anything runs; calls past the limit never start.
  const jobs: Job[] = []
  let perAgent: Map<string, number> | undefined
  let refusal: BudgetRefusal | undefined
  const now = run.clock.now()
  for (const call of calls) {
    // In plan mode the model calls the plan tool alone; its tasks call the rest.
    const tool = frame.agent.plan && call.name !== PLAN_TOOL_NAME ? undefined : prepared.tools.get(call.name)
    const key = `${stepKey}/tool/${call.id}`
    if (tool) {
      const taken = takeToolCall(frame, key, now)
      refusal = taken instanceof Promise ? await taken : taken
      if (refusal) break
    }
    let k = 0
    if (tool?.kind === 'baton.delegation') {
      perAgent ??= new Map()
      k = perAgent.get(tool.name) ?? 0
      perAgent.set(tool.name, k + 1)
    }
    jobs.push({ call, tool, key, k })
  }

  const outcomes: CallOutcome[] = new Array(jobs.length)
  const runJob = async (i: number): Promise<void> => {
    const outcome = await callTool(frame, step, jobs[i]!)
    outcomes[i] = outcome
    if (outcome.ok === false && outcome.refusal) refusal ??= outcome.refusal
  }
  if (jobs.length === 1) await runJob(0)
  else {
    frame.expectListeners(Math.min(jobs.length, frame.agent.toolConcurrency))
    await pool(jobs.length, frame.agent.toolConcurrency, runJob)
  }

  let progress = false
  const pending: PendingApproval[] = []
  for (let i = 0; i < jobs.length; i++) {
    const { call, tool } = jobs[i]!
    const outcome = outcomes[i]!
    if (outcome.ok && stall?.fresh[i] !== false) progress = true
    if (outcome.ok === false && outcome.pending) pending.push(...outcome.pending)
    if (outcome.ok && outcome.truncated) {
      const key = outcome.memoryKey ?? resultMemoryKey(call.name, call.id)
      const entry = run.memory.set(key, outcome.value, frame.path, jobs[i]!.key)
      releaseResultKey(run.memory, key)
      run.emit({ type: 'memory.write', path: jobs[i]!.key, key: entry.key, value: entry.value, by: entry.by })
    }
    const warning = stall?.warnings.length ? stall.warnings.find((w) => w.index === i) : undefined
    const content = warning ? `${outcome.content}\n\n${warning.message}` : outcome.content
    state.push(
      outcome.ok
        ? { role: 'tool', toolCallId: call.id, toolName: call.name, content }
        : { role: 'tool', toolCallId: call.id, toolName: call.name, content, isError: true },
    )
    const step: TrajectoryStep = {
      path: frame.path,
      kind: tool?.kind === 'baton.delegation' ? 'agent' : 'tool',
      name: call.name,
      args: call.args,
      ok: outcome.ok,
    }
    state.trajectory.push(step)
    if (outcome.trajectory) state.trajectory.push(...outcome.trajectory)
  }

  const stopped = stoppedOutcome(frame)
  if (stopped) return stopWith(stopped)
  if (pending.length) {
    // Calls that wait only for input an MCP server asked for say so.
    const input = pending.every((call) => call.elicitation !== undefined)
    return stopWith({
      status: 'awaiting_approval',
      stopReason: input ? 'needsInput' : 'needsApproval',
      pending,
      error: {
        code: 'AWAITING_APPROVAL',
        message: input
          ? `${pending.length} tool call(s) wait for input an MCP server asked for`
          : `${pending.length} tool call(s) need approval`,
      },
    })
  }
  if (refusal) {
    run.emit({ type: 'budget.exceeded', path: stepKey, ...refusal })
    return stopWith(budgetOutcome(refusal))
  }
  if (stall)
    for (const warning of stall.warnings)
      run.emit({ type: 'stall.warning', path: stepKey, reason: warning.reason, message: warning.message })
  const after = state.stall?.afterStep(progress)
  if (after?.stop) {
    run.emit({
      type: 'stall.warning',
      path: stepKey,
      reason: after.stop.reason,
      message: `stopping: ${after.stop.message}`,
    })
    state.stalled = after.stop
    return CONTINUE
  }
  const idleWarning = after?.warnings[0]
  if (idleWarning) {
    const last = state.history.at(-1)
    if (last?.role === 'tool') last.content += `\n\n${idleWarning.message}`
    run.emit({
      type: 'stall.warning',
      path: stepKey,
      reason: idleWarning.reason,
      message: idleWarning.message,
    })
  }
  return CONTINUE
}

async function pool(count: number, limit: number, run: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await run(next++)
  }
  const workers: Promise<void>[] = []
  for (let w = 0; w < Math.min(limit, count); w++) workers.push(worker())
  await Promise.all(workers)
}
