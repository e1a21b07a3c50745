/**
 * One tool call as the loop makes it, whether the model asked for it or a plan did: its events
 * (`tool.call`, then `tool.result` with its duration), the call itself (a tool through the
 * effects door with its approval, a delegation to a sub-agent, a plan), and a failure that
 * stops the run (`FatalToolError`). Also the budget's tool-call count, taken before a call starts.
 */
import { type DelegationTool, PLAN_TOOL_NAME, type PlanTool } from '../agent/index.js'
import type { BudgetRefusal } from '../budget/index.js'
import { BatonError, thrownMessage } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import { shownValue, type TrajectoryStep } from '../goal/index.js'
import type { ScopedMemory } from '../memory/index.js'
import type { ToolCall } from '../model/types.js'
import { withFields } from '../objects.js'
import { copyPlain, prototypeKey, prototypeKeyProblem } from '../schema/index.js'
import {
  executeTool,
  type Tool,
  type ToolContext,
  type ToolOutcome,
  type ToolRun,
  toolFailure,
  unknownTool,
} from '../tool/index.js'
import { agentMemory, stoppedError } from './agent-memory.js'
import { delegate } from './delegate.js'
import type { Frame } from './frame.js'
import { StopSignal } from './outcome.js'
import { runPlan } from './plan-step.js'
import { CallRelay } from './relay.js'

/** A call to make: what was asked, what answers it, its step key. */
export interface Job {
  call: ToolCall
  tool: Tool | DelegationTool | PlanTool | undefined
  key: string
  /** For delegations: the index among this step's delegations to the same sub-agent. */
  k: number
}

/**
 * How a call ended. A plan says too whether the budget refused some of its tasks (the step
 * then stops), and the calls its tasks made, for the trajectory.
 */
export type CallOutcome = ToolOutcome & { refusal?: BudgetRefusal; trajectory?: TrajectoryStep[] }

/** Makes one call with its events; never throws (a failure is the call's outcome). */
export async function callTool(frame: Frame, step: number, job: Job): Promise<CallOutcome> {
  const { run } = frame
  const { call, key } = job
  run.emit({ type: 'tool.call', path: key, callId: call.id, name: call.name, args: call.args })
  const started = run.clock.now()
  let outcome: CallOutcome
  try {
    outcome = await runOne(frame, step, job)
  } catch (error) {
    outcome = frame.stopped
      ? toolFailure('ABORTED', `tool "${call.name}" was stopped because the agent is stopping`)
      : toolFailure('INTERNAL', `tool "${call.name}" could not be run: ${thrownMessage(error)}`)
  }
  if (outcome.ok === false && outcome.fatal) {
    run.stop(
      new StopSignal({
        status: 'error',
        stopReason: 'TOOL_FATAL',
        error: withFields(outcome.error, { details: { path: key } }),
      }),
    )
  }
  run.emit(resultEvent(key, call, outcome, run.clock.now() - started))
  return outcome
}

/**
 * Counts one tool call against the budget: at once, or through the shared ledger for durable
 * runs (a promise then).
 */
export function takeToolCall(
  frame: Frame,
  key: string,
  now: number,
): BudgetRefusal | undefined | Promise<BudgetRefusal | undefined> {
  const { run, budget } = frame
  const ledger = run.ledger?.charged(key) === false ? run.ledger : undefined
  return ledger ? ledger.update(budget, key, () => budget.takeToolCall(now)) : budget.takeToolCall(now)
}

// Not async: a tool's call is the promise `executeTool` makes, raced against the agent's stop.
function runOne(frame: Frame, step: number, job: Job): Promise<CallOutcome> {
  const { call, tool, key } = job
  if (!tool)
    return Promise.resolve(
      unknownTool(call.name, frame.agent.plan ? [PLAN_TOOL_NAME] : [...frame.prepared.tools.keys()]),
    )
  if (tool.kind !== 'baton.tool') {
    // A tool's arguments are checked in executeTool; a delegation's and a plan's here.
    const bad = prototypeKey(call.args)
    if (bad)
      return Promise.resolve(
        toolFailure(
          'INVALID_ARGUMENTS',
          `invalid arguments for tool "${tool.name}": ${prototypeKeyProblem(bad)}`,
        ),
      )
  }
  if (tool.kind === 'baton.delegation') return delegate(frame, step, job.k, call, tool, key)
  if (tool.kind === 'baton.plan') return runPlan(frame, step, call, key, tool)
  const ctx = new CallContext(frame, key, call.id, call.name, step)
  // A tool that ignores its signal is abandoned when the agent stops, not awaited; the call
  // waits on the frame only while it runs, so finished calls leave nothing behind.
  const toolRun: ToolRun = { effects: frame.run.effects, ctx, agent: frame }
  if (!tool.needsApproval) return executeTool(tool, call, toolRun)
  toolRun.approve = approver(frame, tool, key, call)
  // Waiting for an approval is abandoned too when the agent stops.
  return frame.race(executeTool(tool, call, toolRun))
}

/** What a tool's `run` gets as `ctx`. A class: an object literal with a getter would stay in dictionary mode. */
class CallContext implements ToolContext {
  readonly signal: AbortSignal
  readonly path: string
  private scoped: ScopedMemory | undefined
  // The context as made here: a tool's timeout hands the tool a copy with its own signal, and
  // the call has one relay whichever of them asks.
  private readonly base: CallContext = this
  private relayed: CallRelay | undefined

  constructor(
    private readonly frame: Frame,
    readonly step: string,
    readonly callId: string,
    private readonly tool: string,
    private readonly stepNumber: number,
  ) {
    this.signal = frame.signal
    this.path = frame.path
  }

  // Built on first use: only MCP tools whose server asks something use it.
  get relay(): CallRelay {
    const { base } = this
    base.relayed ??= new CallRelay(base.frame, base.step, base.callId, base.tool, base.stepNumber)
    return base.relayed
  }

  // Built on first use: most tools never touch memory.
  get memory(): ScopedMemory {
    this.scoped ??= agentMemory(this.frame, this.step)
    return this.scoped
  }

  // A bound function: tools destructure it (`run: (input, { progress }) => …`).
  readonly progress = (data: unknown): void => {
    // Progress of a call its stopped agent abandoned is not the run's any more.
    if (this.frame.stopped) return
    this.frame.run.emit({ type: 'tool.progress', path: this.step, callId: this.callId, data })
  }
}

function approver(frame: Frame, tool: Tool, key: string, call: ToolCall) {
  return async (input: unknown, ctx: ToolContext): Promise<boolean | undefined> => {
    // Its own copy: what the check changes is not what the approval request shows.
    const needs = await needsApproval(tool, copyPlain(input), ctx)
    if (!needs) return true
    // A `needsApproval` that settled after its agent stopped: nobody is asked about a dead call.
    if (frame.stopped) throw stoppedError(frame, `the approval of tool "${tool.name}"`)
    frame.run.emit({ type: 'approval.request', path: key, callId: call.id, name: tool.name, args: input })
    // A decision of the run: a replay makes it as the recording says.
    const approve = frame.run.approve
    const decision = await frame.run.effects.decision(
      'approval',
      key,
      async (): Promise<Decision | undefined> => {
        const answer =
          approve && (await approve({ path: key, callId: call.id, tool: tool.name, args: input }))
        if (answer === undefined || answer === null) return undefined
        const at = new Date(frame.run.clock.now()).toISOString()
        if (typeof answer === 'boolean') return { approved: answer, at }
        // Anything else is not taken for a yes or a no (a string "no" is truthy): the call does not run.
        if (typeof answer !== 'object' || typeof answer.approved !== 'boolean')
          throw new BatonError(
            'INVALID_OPTIONS',
            `approve answered ${shownValue(answer)} for tool "${tool.name}"; answer true, false, { approved: true | false, by? }, or undefined to leave the call waiting`,
          )
        const decided: Decision = { approved: answer.approved, at }
        if (typeof answer.by === 'string' && answer.by) decided.by = answer.by
        return decided
      },
    )
    if (decision === undefined) return undefined
    // Answered after its agent stopped: the call will not run, and the run has moved on.
    if (frame.stopped) throw stoppedError(frame, `the approval of tool "${tool.name}"`)
    const event: BatonEvent = {
      type: 'approval.decision',
      path: key,
      callId: call.id,
      name: tool.name,
      approved: decision.approved,
      at: decision.at ?? new Date(frame.run.clock.now()).toISOString(),
    }
    if (decision.by) event.by = decision.by
    frame.run.emit(event)
    return decision.approved
  }
}

/**
 * The tool's `needsApproval` answer. One that throws, or answers anything but true or false, is
 * not taken for a yes or a no: the call fails, naming the tool.
 */
async function needsApproval(tool: Tool, input: unknown, ctx: ToolContext): Promise<boolean> {
  const check = tool.needsApproval
  if (typeof check !== 'function') return check
  let answer: unknown
  try {
    answer = await check(input, ctx)
  } catch (error) {
    throw new BatonError(
      'TOOL_ERROR',
      `tool "${tool.name}": needsApproval threw, so the call was not made: ${thrownMessage(error)}`,
    )
  }
  if (typeof answer !== 'boolean')
    throw new BatonError(
      'TOOL_ERROR',
      `tool "${tool.name}": needsApproval answered ${shownValue(answer)}, not true or false, so the call was not made`,
    )
  return answer
}

/** An approval as recorded: a replay takes it from the transcript (older ones say only yes or no). */
interface Decision {
  approved: boolean
  by?: string
  at?: string
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
