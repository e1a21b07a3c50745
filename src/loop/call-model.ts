import { costOf } from '../budget/index.js'
import { BatonError, toErrorInfo } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import type { ModelRequest, ModelResponse, ToolCall } from '../model/types.js'
import type { Frame } from './frame.js'
import { type AgentOutcome, budgetOutcome, StopSignal, stoppedOutcome } from './outcome.js'
import type { LoopState } from './state.js'

// Failures that are not the provider's, named as they are in the stop reason.
const OWN_STOP_REASONS = new Set(['SCRIPT_EXHAUSTED', 'REPLAY_DIVERGENCE', 'REPLAY_MISSING'])

export type ModelTurn = { ok: true; response: ModelResponse } | { ok: false; outcome: AgentOutcome }

/**
 * One model call: asks every budget on the way to the root first (clipping `maxTokens` to
 * what is left), records only the new messages and the request hash, calls the model through
 * the effects door, and charges the usage up the tree.
 */
export async function callModel(frame: Frame, state: LoopState, step: number): Promise<ModelTurn> {
  const { run, budget, agent, prepared } = frame
  const key = `${frame.path}/${step}/model`
  const grant = budget.beforeModelCall(
    run.clock.now(),
    Math.ceil(state.chars / 4),
    frame.price,
    agent.maxOutputTokens,
  )
  if ('limit' in grant) {
    run.emit({ type: 'budget.exceeded', path: key, ...grant })
    return { ok: false, outcome: budgetOutcome(grant) }
  }
  const request: ModelRequest = {
    messages: state.history.slice(),
    tools: prepared.specs as ModelRequest['tools'],
    path: frame.path,
  }
  if (grant.maxTokens !== undefined) request.maxTokens = grant.maxTokens
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
    if (grant.maxTokens !== undefined) requestEvent.maxTokens = grant.maxTokens
    run.emit(requestEvent)
  }

  const started = run.clock.now()
  let response: ModelResponse
  try {
    const effect = {
      key,
      model: frame.model,
      request,
      options: frame.callOptions(key),
      fresh,
      hash,
      specHash: prepared.specHash,
    }
    response = checkResponse(await run.effects.model(effect), step)
  } catch (error) {
    budget.settleModelCall(grant, undefined, 0)
    const stopped = stoppedOutcome(frame.signal)
    if (stopped) {
      // The call was cut short by the run stopping: say so, so no request is left open.
      if (stopped.error) run.emit({ type: 'model.error', path: key, error: stopped.error })
      return { ok: false, outcome: stopped }
    }
    const info = toErrorInfo(error)
    const replayed = info.code === 'REPLAY_DIVERGENCE' || info.code === 'REPLAY_MISSING'
    run.emit({ type: 'model.error', path: key, error: info })
    const outcome: AgentOutcome = {
      status: 'error',
      stopReason: OWN_STOP_REASONS.has(info.code) ? info.code : 'MODEL_ERROR',
      error: info,
    }
    // A replay that left its recording ends the whole run, not just this agent.
    if (replayed) run.stop(new StopSignal(outcome))
    return { ok: false, outcome }
  }
  const costUsd = response.costUsd ?? (frame.price ? costOf(frame.price, response.usage) : 0)
  budget.settleModelCall(grant, response.usage, costUsd)
  if (run.observed) {
    run.emit({
      type: 'model.response',
      path: key,
      message: response.message,
      usage: response.usage,
      costUsd,
      finishReason: response.finishReason,
      durationMs: run.clock.now() - started,
    })
  }
  return { ok: true, response }
}

/** Checks the shape of what a model returned and gives every tool call a unique id. */
function checkResponse(response: ModelResponse, step: number): ModelResponse {
  if (typeof response !== 'object' || response === null || response.message?.role !== 'assistant') {
    throw new BatonError('MODEL_ERROR', 'the model returned a response without an assistant message')
  }
  const usage = response.usage ?? { inputTokens: 0, outputTokens: 0 }
  const calls = response.message.toolCalls
  const single = calls?.length === 1 && typeof calls[0]!.id === 'string' && calls[0]!.id !== ''
  if (calls?.length && !single) {
    const seen = new Set<string>()
    let fixed: ToolCall[] | undefined
    calls.forEach((call, i) => {
      if (typeof call.id === 'string' && call.id !== '' && !seen.has(call.id)) {
        seen.add(call.id)
        return
      }
      // Some servers omit or repeat ids; results must still link to exactly one call.
      fixed ??= calls.slice()
      const id = `call_${step}_${i}`
      seen.add(id)
      fixed[i] = { ...call, id }
    })
    if (fixed) return { ...response, usage, message: { ...response.message, toolCalls: fixed } }
  }
  return response.usage ? response : { ...response, usage }
}
