import type { DelegationTool } from '../agent/index.js'
import type { BudgetRefusal } from '../budget/index.js'
import type { BatonEvent, PendingApproval } from '../events/index.js'
import type { TrajectoryStep } from '../goal/index.js'
import type { ScopedMemory } from '../memory/index.js'
import type { ToolCall } from '../model/types.js'
import {
  executeTool,
  resultMemoryKey,
  type Tool,
  type ToolContext,
  type ToolOutcome,
  type ToolRun,
  toolFailure,
  unknownTool,
} from '../tool/index.js'
import { delegate } from './delegate.js'
import type { Frame } from './frame.js'
import { budgetOutcome, StopSignal, stoppedOutcome } from './outcome.js'
import type { LoopState } from './state.js'
import { CONTINUE, type StepResult, stopWith } from './step-result.js'

interface Job {
  call: ToolCall
  tool: Tool | DelegationTool | undefined
  key: string
  /** For delegations: the index among this step's delegations to the same sub-agent. */
  k: number
}

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
  const { run, prepared, budget } = frame
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
    const tool = prepared.tools.get(call.name)
    const key = `${stepKey}/tool/${call.id}`
    if (tool) {
      const ledger = run.ledger?.charged(key) === false ? run.ledger : undefined
      refusal = ledger
        ? await ledger.update(budget, key, () => budget.takeToolCall(now))
        : budget.takeToolCall(now)
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

  const outcomes: ToolOutcome[] = new Array(jobs.length)
  const runJob = async (i: number): Promise<void> => {
    const job = jobs[i]!
    const { call, key } = job
    run.emit({ type: 'tool.call', path: key, callId: call.id, name: call.name, args: call.args })
    const started = run.clock.now()
    let outcome: ToolOutcome
    try {
      outcome = await runOne(frame, step, job)
    } catch (error) {
      outcome = frame.stopped
        ? toolFailure('ABORTED', `tool "${call.name}" was stopped because the agent is stopping`)
        : toolFailure('INTERNAL', `tool "${call.name}" could not be run: ${(error as Error).message}`)
    }
    if (outcome.ok === false && outcome.fatal) {
      run.stop(
        new StopSignal({
          status: 'error',
          stopReason: 'TOOL_FATAL',
          error: { ...outcome.error, details: { path: key } },
        }),
      )
    }
    outcomes[i] = outcome
    run.emit(resultEvent(key, call, outcome, run.clock.now() - started))
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
      const entry = run.memory.set(
        resultMemoryKey(call.name, call.id),
        outcome.value,
        frame.path,
        jobs[i]!.key,
      )
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
  }

  const stopped = stoppedOutcome(frame)
  if (stopped) return stopWith(stopped)
  if (pending.length) {
    return stopWith({
      status: 'awaiting_approval',
      stopReason: 'needsApproval',
      pending,
      error: { code: 'AWAITING_APPROVAL', message: `${pending.length} tool call(s) need approval` },
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

async function runOne(frame: Frame, step: number, job: Job): Promise<ToolOutcome> {
  const { call, tool, key } = job
  if (!tool) return unknownTool(call.name, [...frame.prepared.tools.keys()])
  if (tool.kind === 'baton.delegation') return delegate(frame, step, job.k, call, tool, key)
  const ctx = new CallContext(frame, key, call.id)
  // Rejects when the agent stops: a tool that ignores its signal is abandoned, not awaited. It
  // waits on the frame only while this call runs, so finished calls leave nothing behind.
  let off: () => void = noop
  const stopped = new Promise<never>((_, reject) => {
    off = frame.onStop(reject)
  })
  stopped.catch(noop)
  const toolRun: ToolRun = { effects: frame.run.effects, ctx, stopped }
  try {
    if (!tool.needsApproval) return await executeTool(tool, call, toolRun)
    toolRun.approve = approver(frame, tool, key, call)
    // Waiting for an approval is abandoned too when the agent stops.
    return await Promise.race([executeTool(tool, call, toolRun), stopped])
  } finally {
    off()
  }
}

const noop = (): void => {}

/** What a tool's `run` gets as `ctx`. A class: an object literal with a getter would stay in dictionary mode. */
class CallContext implements ToolContext {
  readonly signal: AbortSignal
  readonly path: string
  private scoped: ScopedMemory | undefined

  constructor(
    private readonly frame: Frame,
    readonly step: string,
    readonly callId: string,
  ) {
    this.signal = frame.signal
    this.path = frame.path
  }

  // Built on first use: most tools never touch memory.
  get memory(): ScopedMemory {
    const { frame, step } = this
    this.scoped ??= frame.run.memory.scoped(
      frame.agent.memory,
      frame.path,
      () => step,
      (entry) =>
        frame.run.emit({
          type: 'memory.write',
          path: step,
          key: entry.key,
          value: entry.value,
          by: entry.by,
        }),
    )
    return this.scoped
  }

  // A bound function: tools destructure it (`run: (input, { progress }) => …`).
  readonly progress = (data: unknown): void => {
    this.frame.run.emit({ type: 'tool.progress', path: this.step, callId: this.callId, data })
  }
}

function approver(frame: Frame, tool: Tool, key: string, call: ToolCall) {
  return async (input: unknown, ctx: ToolContext): Promise<boolean | undefined> => {
    const needs =
      typeof tool.needsApproval === 'function' ? await tool.needsApproval(input, ctx) : tool.needsApproval
    if (!needs) return true
    frame.run.emit({ type: 'approval.request', path: key, callId: call.id, name: tool.name, args: input })
    // A decision of the run: a replay makes it as the recording says.
    const approve = frame.run.approve
    return frame.run.effects.decision('approval', key, async () => {
      const answer = approve && (await approve({ path: key, callId: call.id, tool: tool.name, args: input }))
      return answer === undefined ? undefined : Boolean(answer)
    })
  }
}

function resultEvent(key: string, call: ToolCall, outcome: ToolOutcome, durationMs: number): BatonEvent {
  const event: BatonEvent = {
    type: 'tool.result',
    path: key,
    callId: call.id,
    name: call.name,
    isError: !outcome.ok,
    content: outcome.content,
    durationMs,
  }
  if (outcome.ok) {
    // The whole value is kept only when the model saw a truncated copy; otherwise `content` is it.
    if (outcome.truncated) {
      event.truncated = true
      event.value = outcome.value
    }
  } else {
    event.error = outcome.error
  }
  return event
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
