import type { ModelEffect } from '../effects/index.js'
import { toErrorInfo } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import type { ModelRequest, ModelResponse } from '../model/types.js'
import type { Frame } from './frame.js'
import { meteredCall } from './metered-call.js'
import { type AgentOutcome, budgetOutcome, StopSignal, stoppedOutcome } from './outcome.js'
import type { LoopState } from './state.js'

// Failures that are not the provider's, named as they are in the stop reason.
const OWN_STOP_REASONS = new Set(['SCRIPT_EXHAUSTED', 'REPLAY_DIVERGENCE', 'REPLAY_MISSING'])

export type ModelTurn = { ok: true; response: ModelResponse } | { ok: false; outcome: AgentOutcome }

/**
 * One model call of an agent's loop: asks every budget on the way to the root first (clipping
 * `maxTokens` to what is left), records only the new messages and the request hash, calls the
 * model through the effects door, and charges the usage up the tree.
 */
export async function callModel(frame: Frame, state: LoopState, step: number): Promise<ModelTurn> {
  const key = `${frame.path}/${step}/model`
  try {
    const metered = await meteredCall(frame, {
      key,
      step,
      model: frame.model,
      price: frame.price,
      // Calibrated on the provider's counts when the agent keeps its context in check.
      inputTokens: state.context ? state.context.estimate(state.chars) : Math.ceil(state.chars / 4),
      maxTokens: frame.agent.maxOutputTokens,
      effect: (maxTokens) => stepEffect(frame, state, key, maxTokens),
    })
    return metered.ok ? metered : { ok: false, outcome: budgetOutcome(metered.refusal) }
  } catch (error) {
    const stopped = stoppedOutcome(frame)
    if (stopped) return { ok: false, outcome: stopped }
    const info = toErrorInfo(error)
    const outcome: AgentOutcome = {
      status: 'error',
      stopReason: OWN_STOP_REASONS.has(info.code) ? info.code : 'MODEL_ERROR',
      error: info,
    }
    // A replay that left its recording ends the whole run, not just this agent.
    if (info.code === 'REPLAY_DIVERGENCE' || info.code === 'REPLAY_MISSING')
      frame.run.stop(new StopSignal(outcome))
    return { ok: false, outcome }
  }
}

/** The request of one step: the whole history, the agent's tools, and what is recorded of it. */
function stepEffect(frame: Frame, state: LoopState, key: string, maxTokens: number | undefined): ModelEffect {
  const { run, agent, prepared } = frame
  const request: ModelRequest = {
    messages: state.history.slice(),
    tools: prepared.specs as ModelRequest['tools'],
    path: frame.path,
  }
  if (maxTokens !== undefined) request.maxTokens = maxTokens
  if (agent.output) request.output = { name: `${agent.name}_output`, schema: agent.output.jsonSchema }
  const { fresh, hash } = state.nextRequest(prepared.specHash, run.observed)
  // Unobserved runs (run() without a transcript) skip building the per-step events.
  if (run.observed) {
    const requestEvent: BatonEvent = {
      type: 'model.request',
      path: key,
      model: frame.model.id,
      messages: fresh,
      hash,
      specHash: prepared.specHash,
    }
    if (maxTokens !== undefined) requestEvent.maxTokens = maxTokens
    const left = frame.budget.left(run.clock.now())
    if (Object.keys(left).length) requestEvent.budgetLeft = left
    run.emit(requestEvent)
  }
  return {
    key,
    model: frame.model,
    request,
    options: frame.callOptions(key),
    fresh,
    hash,
    specHash: prepared.specHash,
  }
}
