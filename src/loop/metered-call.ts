import { type BudgetRefusal, type CostTicket, costOf, type ModelPrice } from '../budget/index.js'
import type { ModelEffect } from '../effects/index.js'
import { BatonError, toErrorInfo } from '../errors/index.js'
import { type BatonEvent, isSideCall } from '../events/index.js'
import type { ModelDelta } from '../model/stream-call.js'
import type { Model, ModelResponse, ToolCall, Usage } from '../model/types.js'
import { withFields } from '../objects.js'
import { describe } from '../schema/index.js'
import { stoppedError } from './agent-memory.js'
import { fitArgs } from './deep-args.js'
import { earlyPlanStarter } from './early-plan.js'
import type { Frame } from './frame.js'
import { stoppedOutcome } from './outcome.js'

/** One model call to make on an agent's budget. */
export interface MeteredCall {
  /** The step key, e.g. `root/3/model` or `root/4/goal/0/0/model`. */
  key: string
  /** The agent's step, for ids given to tool calls that came without one. */
  step: number
  model: Model
  price: ModelPrice | undefined
  /** About how long the input is. */
  inputTokens: number
  /** What the call asks for before the budget clips it. */
  maxTokens: number | undefined
  /** The effect to perform, once the budget has granted the call with `maxTokens` clipped. */
  effect(maxTokens: number | undefined): ModelEffect
}

export type Metered = { ok: true; response: ModelResponse } | { ok: false; refusal: BudgetRefusal }

/**
 * One model call on an agent's budget, the same for the agent's own steps and for its goal
 * scorers' calls: gets room from every budget up the tree (waiting first when the model has no
 * price, see `UnpricedCosts`), performs the call through the effects door raced against the
 * agent's stop (a model that ignores its signal is abandoned, not awaited), and charges what it
 * cost. A failed call has its `model.error` emitted and its error thrown.
 */
export async function meteredCall(frame: Frame, call: MeteredCall): Promise<Metered> {
  const { run, budget } = frame
  // A stopped agent makes no more calls: work it abandoned (a scorer that ignored its signal)
  // must not add requests, refusals or errors after its end.
  if (frame.stopped) throw stoppedError(frame, `the model call at ${call.key}`)
  let ticket: CostTicket | undefined
  // Priced models and runs without a cost limit never wait here: the hot path stays synchronous.
  if (!call.price && frame.costLimited) {
    for (;;) {
      const admitted = run.costs.admit(call.model.id)
      if (!(admitted instanceof Promise)) {
        ticket = admitted
        break
      }
      await frame.race(admitted)
    }
  }
  // One reading of the clock for the budget's deadline check and the call's duration.
  const started = run.clock.now()
  const ask = () => budget.beforeModelCall(started, call.inputTokens, call.price, call.maxTokens, ticket?.usd)
  // A shared ledger (a durable run's agents on several workers) checks and holds for all of them.
  const ledger = run.ledger?.charged(call.key) === false ? run.ledger : undefined
  const grant = ledger ? await ledger.update(budget, call.key, ask) : ask()
  if ('limit' in grant) {
    if (ticket) run.costs.settle(call.model.id, ticket, undefined, false)
    run.emit({ type: 'budget.exceeded', path: call.key, ...grant })
    return { ok: false, refusal: grant }
  }
  const effect = call.effect(grant.maxTokens)
  // Deltas of a call that was abandoned (its agent stopped) must not trail after its end.
  let streaming = run.deltas
  // In plan mode, tasks that need nothing start while the plan is being written.
  const early = frame.agent.plan && !isSideCall(call.key) ? earlyPlanStarter(frame, call.step) : undefined
  if (streaming || early)
    effect.onDelta = (delta) => {
      if (streaming) run.emit(deltaEvent(call.key, delta))
      early?.(delta)
    }
  let response: ModelResponse
  try {
    response = checkResponse(await frame.race(run.effects.model(effect)), call.step)
  } catch (error) {
    streaming = false
    if (ledger) await ledger.update(budget, call.key, () => budget.settleModelCall(grant, undefined, 0))
    else budget.settleModelCall(grant, undefined, 0)
    if (ticket) run.costs.settle(call.model.id, ticket, undefined, false)
    // A call cut short by the agent stopping says why it stopped, so no request is left open.
    const stopped = stoppedOutcome(frame)
    const info = stopped ? stopped.error : toErrorInfo(error)
    if (info) run.emit({ type: 'model.error', path: call.key, error: info })
    throw error
  }
  streaming = false
  const reported = response.costUsd
  const usable = reported !== undefined && Number.isFinite(reported) && reported >= 0
  // A chain or a router is priced as the model that answered.
  const answered =
    response.model !== undefined && response.model !== call.model.id ? response.model : undefined
  const price = answered ? frame.priceOf(answered) : call.price
  const costUsd = usable ? reported : price ? costOf(price, response.usage) : 0
  if (ledger)
    await ledger.update(budget, call.key, () => budget.settleModelCall(grant, response.usage, costUsd))
  else budget.settleModelCall(grant, response.usage, costUsd)
  if (ticket) {
    if (run.costs.settle(call.model.id, ticket, usable ? reported : undefined, true)) {
      run.emit({
        type: 'budget.warning',
        path: frame.path,
        message: `model "${call.model.id}" has no known price and does not report what its calls cost: they count as $0 against maxCostUsd. Give its price on the agent (defineAgent({ prices })) or with the \`prices\` run option`,
      })
    }
  }
  run.emit({
    type: 'model.response',
    path: call.key,
    message: response.message,
    usage: response.usage,
    costUsd,
    finishReason: response.finishReason,
    durationMs: run.clock.now() - started,
    ...(answered ? { model: answered } : {}),
  })
  return { ok: true, response }
}

/** The event for one delta of the call at `key`. */
function deltaEvent(key: string, delta: ModelDelta): BatonEvent {
  switch (delta.type) {
    case 'text-delta':
      return { type: 'model.delta', path: key, kind: 'text', text: delta.text }
    case 'reasoning-delta':
      return { type: 'model.delta', path: key, kind: 'reasoning', reasoning: delta.text }
    case 'tool-call-delta': {
      const { index, id, name, argsDelta } = delta
      const toolCall: { index: number; id?: string; name?: string; argsDelta: string } = { index, argsDelta }
      if (id !== undefined) toolCall.id = id
      if (name !== undefined) toolCall.name = name
      return { type: 'model.delta', path: key, kind: 'tool-call', toolCall }
    }
    case 'restart':
      return { type: 'model.restart', path: key }
  }
}

/** Checks the shape of what a model returned and gives every tool call a unique id. */
function checkResponse(given: ModelResponse, step: number): ModelResponse {
  if (typeof given !== 'object' || given === null || given.message?.role !== 'assistant') {
    throw new BatonError('MODEL_ERROR', 'the model returned a response without an assistant message')
  }
  // A custom model may leave out what a transcript line must hold (its reader checks every
  // line): the text, the finish reason, the token counts. They are filled in as recorded.
  let response = complete(given)
  const usage = response.usage
  let calls = response.message.toolCalls
  if (calls !== undefined) checkCalls(calls)
  // Arguments nested deeper than a transcript holds are cut as it cuts them (see deep-args.ts).
  if (calls?.some((call) => fitArgs(call.args) !== call.args)) {
    calls = calls.map((call) => {
      const args = fitArgs(call.args)
      return args === call.args ? call : withFields(call, { args })
    })
    response = withFields(response, { message: withFields(response.message, { toolCalls: calls }) })
  }
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
      fixed[i] = withFields(call, { id })
    })
    if (fixed)
      return withFields(response, { usage, message: withFields(response.message, { toolCalls: fixed }) })
  }
  return response
}

/** Refuses a list of tool calls that is not one: a hole (`[a, , b]`) or a call that is not an object. */
function checkCalls(calls: unknown): void {
  if (!Array.isArray(calls))
    throw new BatonError(
      'MODEL_ERROR',
      `the model returned toolCalls that are not an array (${describe(calls)})`,
    )
  for (let i = 0; i < calls.length; i++) {
    if (!(i in calls))
      throw new BatonError(
        'MODEL_ERROR',
        `the model returned toolCalls with a hole at index ${i} (an empty slot)`,
      )
    const call: unknown = calls[i]
    if (typeof call !== 'object' || call === null || typeof (call as ToolCall).name !== 'string')
      throw new BatonError(
        'MODEL_ERROR',
        `the model returned toolCalls[${i}] that is not a tool call ({ id, name, args }), got ${describe(call)}`,
      )
  }
}

const OPTIONAL_COUNTS = ['cachedInputTokens', 'reasoningTokens', 'cacheWriteTokens'] as const

const count = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0)

/** The response with its text, finish reason and token counts present (the same object when they are). */
function complete(response: ModelResponse): ModelResponse {
  const { message, usage, finishReason } = response
  const whole =
    typeof message.content === 'string' &&
    typeof finishReason === 'string' &&
    typeof usage === 'object' &&
    usage !== null &&
    count(usage.inputTokens) === usage.inputTokens &&
    count(usage.outputTokens) === usage.outputTokens &&
    OPTIONAL_COUNTS.every((key) => usage[key] === undefined || count(usage[key]) === usage[key])
  if (whole) return response
  const calls = Array.isArray(message.toolCalls) && message.toolCalls.length > 0
  const counted: Usage = withFields(usage ?? {}, {
    inputTokens: count(usage?.inputTokens),
    outputTokens: count(usage?.outputTokens),
  })
  // A count that is not one (NaN, negative, a string) is not known: left out, never written as null.
  for (const key of OPTIONAL_COUNTS)
    if (counted[key] !== undefined && count(counted[key]) !== counted[key]) delete counted[key]
  return withFields(response, {
    message: typeof message.content === 'string' ? message : withFields(message, { content: '' }),
    usage: counted,
    finishReason: typeof finishReason === 'string' ? finishReason : calls ? 'tool-calls' : 'stop',
  })
}
