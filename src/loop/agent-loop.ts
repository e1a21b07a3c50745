/**
 * @module loop
 * The supervisor loop, the same for streaming and non-streaming runs. Each step checks the
 * budget, calls the model, then either dispatches the tool calls (sub-agents included) or
 * checks the final answer against the goal; then the stop conditions decide whether it goes on.
 * Every event goes into the run's one event stream (`run.emit`), which concurrent agents push
 * into and which `stream()` hands to the caller.
 */
import { openPlaceholders } from '../agent/index.js'
import { fillTemplate } from '../agent/instructions.js'
import type { BatonEvent } from '../events/index.js'
import type { MemoryEntry } from '../memory/index.js'
import type { AssistantMessage, ModelResponse } from '../model/types.js'
import { callModel } from './call-model.js'
import { checkGoal } from './check-goal.js'
import { briefOf } from './delegate.js'
import { dispatch } from './dispatch.js'
import { settleEarlyTasks } from './early-plan.js'
import { contextLimits, fitContext } from './fit-context.js'
import type { Frame } from './frame.js'
import { offerTools } from './offer-tools.js'
import { type AgentOutcome, errorOutcome, stoppedOutcome } from './outcome.js'
import { LoopState } from './state.js'
import { type StepResult, stopWith } from './step-result.js'
import { stopAfter } from './stop-conditions.js'

/** Runs one agent (and, through delegations, its sub-agents) to its end and returns how it ended. */
export async function agentLoop(frame: Frame, handed: readonly MemoryEntry[] = []): Promise<AgentOutcome> {
  const { agent, path, run } = frame
  const start: BatonEvent = {
    type: 'agent.start',
    path,
    agent: agent.name,
    model: frame.model.id,
    depth: frame.depth,
    task: frame.task,
  }
  if (frame.memoryKeys?.length) start.memoryKeys = frame.memoryKeys
  run.emit(start)
  const state = new LoopState(frame)
  let outcome: AgentOutcome
  try {
    state.push({ role: 'system', content: instructionsOf(frame) })
    state.push({ role: 'user', content: briefOf(frame.task, handed) })
    outcome = await steps(frame, state)
  } catch (error) {
    outcome = stoppedOutcome(frame) ?? errorOutcome(error)
  } finally {
    frame.dispose()
  }
  // What its sub-agents elsewhere spent since its last call.
  if (run.ledger) await run.ledger.refresh(frame.budget).catch(() => {})
  const end: BatonEvent = {
    type: 'agent.end',
    path,
    agent: agent.name,
    status: outcome.status,
    stopReason: outcome.stopReason,
    output: outcome.output,
    usage: { ...frame.budget.used },
  }
  if (outcome.error) end.error = outcome.error
  run.emit(end)
  return outcome
}

async function steps(frame: Frame, state: LoopState): Promise<AgentOutcome> {
  const early = stoppedOutcome(frame)
  if (early) return early
  const meter = state.context
  // Set after the provider refused a request as too long: the next step compacts, once.
  let overflowed = false
  for (let step = 1; ; step++) {
    // A live tool set (an MCP server's) offers its list as it is now.
    if (frame.agent.toolSets) await offerTools(frame, step)
    if (meter) {
      const unfit = await fitContext(frame, state, step, overflowed ? 'overflow' : 'threshold')
      if (unfit) return unfit
      meter.sending(state.chars)
    }
    const turn = await callModel(frame, state, step)
    let result: StepResult | undefined
    try {
      result = turn.ok ? await answered(frame, state, step, turn.response) : undefined
    } finally {
      // In plan mode, tasks may have started while the answer was written: the step ends when
      // the ones no plan took up have ended too.
      if (frame.agent.plan) await settleEarlyTasks(frame, step)
    }
    if (!turn.ok) {
      if (meter && !overflowed && frame.agent.context?.retryOnOverflow && tooLong(turn.outcome)) {
        overflowed = true
        meter.overflowed(contextLimits(frame, frame.agent.context).window)
        continue
      }
      return turn.outcome
    }
    if (result!.next === 'stop') return result!.outcome
    overflowed = false
    // The one place the loop decides to stop on its own: see stop-conditions.ts.
    const stop = stopAfter({ frame, state, step, message: turn.response.message })
    if (stop) return stop
  }
}

/** What the step does with the model's answer: its tool calls, a refusal, or its final answer. */
function answered(
  frame: Frame,
  state: LoopState,
  step: number,
  response: ModelResponse,
): Promise<StepResult> {
  state.context?.calibrate(response.usage.inputTokens)
  const { message, finishReason } = response
  state.push(message)
  // An answer cut off at the output limit is not a final answer: the model is told to give it
  // whole (a goal attempt). A provider's content filter stopping it is the provider's refusal.
  if (message.toolCalls?.length) return dispatch(frame, state, step, message.toolCalls)
  if (finishReason === 'refusal' || finishReason === 'content-filter')
    return Promise.resolve(stopWith(refusalOutcome(message, finishReason)))
  return checkGoal(frame, state, step, message.content, finishReason === 'length')
}

/** Whether a model call failed because the provider found the request too long for the model. */
function tooLong(outcome: AgentOutcome): boolean {
  return outcome.error?.code === 'MODEL_ERROR' && outcome.error.details?.code === 'CONTEXT_LENGTH'
}

function refusalOutcome(message: AssistantMessage, reason: 'refusal' | 'content-filter'): AgentOutcome {
  const said = message.content || '(no reason given)'
  return {
    status: 'error',
    stopReason: 'refusal',
    error: {
      code: 'MODEL_REFUSAL',
      message:
        reason === 'refusal'
          ? `the model refused: ${said}`
          : `the provider's content filter stopped the answer${message.content ? `; it had written: ${said}` : ''}`,
    },
  }
}

function instructionsOf(frame: Frame): string {
  if (frame.agent.placeholders.length === 0) return frame.agent.instructions
  const text = fillTemplate(frame.agent.instructions, frame.run.vars)
  const open = openPlaceholders(text)
  if (open.length) {
    throw new Error(
      `agent "${frame.agent.name}": instructions use ${open.map((n) => `{{${n}}}`).join(', ')} but no value was given (pass vars to defineAgent or to run)`,
    )
  }
  return text
}
