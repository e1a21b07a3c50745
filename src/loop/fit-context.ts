/**
 * Context that fits, in the loop: before a model call, an agent with a `context` policy has its
 * history compacted when the request would pass the policy's threshold (or when the provider
 * has just refused it as too long). Tier 1 stubs old tool results (kept whole in memory), tier 2
 * summarises older turns by a model call; or the agent's own policy does it. Each compaction is
 * a `context.compact` event, and chains into the request hash: a replay compacts the same way.
 */
import {
  type ContextInfo,
  type ContextPolicy,
  DEFAULT_CONTEXT_WINDOWS,
  HEAD,
  historyProblem,
  recentFrom,
  stubResults,
  summaryMessage,
  summaryRequest,
  windowIn,
} from '../context/index.js'
import { BatonError, type ErrorInfo, toErrorInfo } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import { keySafe, ownContextPrefix } from '../memory/index.js'
import type { Message, Model } from '../model/types.js'
import type { Frame } from './frame.js'
import { type AgentOutcome, stoppedOutcome } from './outcome.js'
import { sideCall } from './side-call.js'
import type { LoopState } from './state.js'

/** The sizes one agent's requests are held to. */
export interface ContextLimits {
  /** Compact when a request would pass this many tokens. */
  threshold: number
  /** The model's window, when known: a request over it cannot be sent. */
  window: number | undefined
}

const limitsByFrame = new WeakMap<Frame, ContextLimits>()

/** The limits of `frame`'s agent: its policy's threshold against its model's window. */
export function contextLimits(frame: Frame, policy: ContextPolicy): ContextLimits {
  const known = limitsByFrame.get(frame)
  if (known) return known
  const window = policy.window ?? windowOf(frame.model, frame.run.contextWindows)
  const where = `agent "${frame.agent.name}": context`
  let threshold: number
  if ('share' in policy.threshold) {
    if (window === undefined)
      throw new BatonError(
        'INVALID_DEFINITION',
        `${where}: the context window of model "${frame.model.id}" is not known, so a share of it cannot be the threshold: give context.window, the contextWindows run option, or context.threshold: { tokens }`,
        { details: { agent: frame.agent.name, field: 'context.window', model: frame.model.id } },
      )
    threshold = Math.floor(policy.threshold.share * window)
  } else {
    threshold = policy.threshold.tokens
    if (window !== undefined && threshold > window)
      throw new BatonError(
        'INVALID_DEFINITION',
        `${where}.threshold is ${threshold} tokens, above the ${window}-token window of model "${frame.model.id}": a request that large cannot be sent`,
        { details: { agent: frame.agent.name, field: 'context.threshold', window } },
      )
  }
  const limits = { threshold, window }
  limitsByFrame.set(frame, limits)
  return limits
}

/** A model's window: the run's table, the model's own word, the shipped table (a chain: its smallest). */
function windowOf(model: Model, table: Readonly<Record<string, number>> | undefined): number | undefined {
  const one = (id: string): number | undefined =>
    (table && windowIn(id, table)) ?? windowIn(id, DEFAULT_CONTEXT_WINDOWS)
  const own = table && windowIn(model.id, table)
  if (own !== undefined) return own
  if (model.contextWindow !== undefined) return model.contextWindow
  if (model.candidates?.length) {
    let smallest: number | undefined
    for (const id of model.candidates) {
      const window = one(id)
      if (window === undefined) return undefined
      smallest = smallest === undefined ? window : Math.min(smallest, window)
    }
    return smallest
  }
  return one(model.id)
}

/**
 * Compacts `state`'s history before step `step` when it must: returns how the agent ends when the
 * history cannot be made to fit, else undefined (compacted or not, the call may go ahead).
 */
export async function fitContext(
  frame: Frame,
  state: LoopState,
  step: number,
  reason: 'threshold' | 'overflow',
): Promise<AgentOutcome | undefined> {
  const policy = frame.agent.context
  const meter = state.context
  if (!policy || !meter) return undefined
  const limits = contextLimits(frame, policy)
  const before = meter.estimate(state.chars)
  if (reason === 'threshold' && before <= limits.threshold) return undefined

  const key = `${frame.path}/${step}/compact`
  const from = recentFrom(state.history, policy.keepTurns)
  let history: readonly Message[] = state.history
  let stubbed: string[] = []
  let summarized = 0
  let summaryError: ErrorInfo | undefined
  if (policy.custom) {
    const info: ContextInfo = {
      tokens: before,
      limit: limits.threshold,
      window: limits.window,
      reason,
      recentFrom: from,
      path: frame.path,
      step,
      estimate: (messages) => meter.estimateOf(messages),
    }
    const own = await ownPolicy(frame, policy, state.history, info)
    if ('outcome' in own) return own.outcome
    history = own.history ?? history
  } else {
    if (policy.stub) {
      const prefix = ownContextPrefix(frame.path)
      const tier1 = stubResults(
        history,
        from,
        policy.stub.minChars,
        (result) => prefix + keySafe(result.toolCallId),
        // A key a stub the history no longer shows still names (a summary took it) stays its.
        (candidate) => frame.run.memory.get(candidate) !== undefined,
      )
      history = tier1.messages
      for (const result of tier1.stubbed) {
        const entry = frame.run.memory.set(result.key, result.content, frame.path, key)
        frame.run.emit({ type: 'memory.write', path: key, key: entry.key, value: entry.value, by: entry.by })
      }
      stubbed = tier1.stubbed.map((result) => result.key)
    }
    const over =
      (reason === 'overflow' && stubbed.length === 0) || meter.estimateOf(history) > limits.threshold
    if (policy.summarize && over && from > HEAD) {
      const summary = await summarize(
        frame,
        policy.summarize,
        history.slice(HEAD, from),
        `${key}/model`,
        step,
      )
      if ('outcome' in summary) return summary.outcome
      if ('text' in summary) {
        const shorter = [...history.slice(0, HEAD), summaryMessage(summary.text), ...history.slice(from)]
        // A summary no shorter than the turns it stands for would only make the request longer.
        if (meter.estimateOf(shorter) < meter.estimateOf(history)) {
          summarized = from - HEAD
          history = shorter
        } else
          summaryError = {
            code: 'MODEL_ERROR',
            message: `the summary (${summary.text.length} characters) is no shorter than the ${from - HEAD} messages it would replace`,
          }
      } else summaryError = summary.error
    }
  }

  const changed = history !== state.history
  const after = changed ? meter.estimateOf(history) : before
  // A summary that failed is recorded too, changed history or not: the run says why it went on.
  if (changed || summaryError) {
    const messages = history.slice()
    const hash = state.compacted(messages, frame.run.observed)
    const event: BatonEvent = {
      type: 'context.compact',
      path: key,
      reason,
      tokensBefore: before,
      tokensAfter: after,
      limit: limits.threshold,
      stubbed,
      summarized,
      messages,
      hash,
    }
    if (limits.window !== undefined) event.window = limits.window
    if (policy.custom) event.custom = true
    if (summaryError) event.summaryError = summaryError
    frame.run.emit(event)
  }
  const tooBig = limits.window !== undefined && after > limits.window
  if (summaryError && (tooBig || (reason === 'overflow' && !changed)))
    return failed(
      'CONTEXT_SUMMARY_FAILED',
      `the summary of the older turns of agent "${frame.agent.name}" failed, and the request does not fit without it (about ${after} tokens): ${summaryError.message}`,
      {
        tokens: after,
        ...(limits.window === undefined ? {} : { window: limits.window }),
        cause: summaryError,
      },
    )
  if (reason === 'overflow' && !changed)
    return failed(
      'CONTEXT_LIMIT',
      `the provider refused the request of agent "${frame.agent.name}" as too long, and its history has nothing left to compact`,
      { tokens: after, ...(limits.window === undefined ? {} : { window: limits.window }) },
    )
  if (limits.window !== undefined && after > limits.window)
    return failed(
      'CONTEXT_LIMIT',
      `the history of agent "${frame.agent.name}" cannot be brought under the ${limits.window}-token window of model "${frame.model.id}": about ${after} tokens after compaction (the instructions, the brief and the last ${policy.keepTurns} turns stay as they are)`,
      { tokens: after, window: limits.window },
    )
  return undefined
}

function failed(
  code: 'CONTEXT_LIMIT' | 'CONTEXT_SUMMARY_FAILED' | 'CONTEXT_POLICY',
  message: string,
  details: Record<string, unknown>,
): AgentOutcome {
  return { status: 'error', stopReason: code, error: { code, message, details } }
}

/** The agent's own policy, asked and checked. */
async function ownPolicy(
  frame: Frame,
  policy: ContextPolicy,
  history: readonly Message[],
  info: ContextInfo,
): Promise<{ history: readonly Message[] | undefined } | { outcome: AgentOutcome }> {
  const where = `the context policy of agent "${frame.agent.name}"`
  let given: readonly Message[] | undefined
  try {
    given = await frame.race(Promise.resolve(policy.custom!(history.slice(), info)))
  } catch (error) {
    const stopped = stoppedOutcome(frame)
    if (stopped) return { outcome: stopped }
    const cause = toErrorInfo(error)
    return { outcome: failed('CONTEXT_POLICY', `${where} threw: ${cause.message}`, { cause }) }
  }
  if (given === undefined) return { history: undefined }
  const problem = historyProblem(history, given as unknown[])
  if (problem)
    return {
      outcome: failed('CONTEXT_POLICY', `${where} returned a history that cannot be sent: ${problem}`, {}),
    }
  return { history: given }
}

/** Tier 2: the older messages summarised by a model call on the agent's budget. */
async function summarize(
  frame: Frame,
  settings: Exclude<ContextPolicy['summarize'], false>,
  older: readonly Message[],
  key: string,
  step: number,
): Promise<{ text: string } | { error: ErrorInfo } | { outcome: AgentOutcome }> {
  try {
    const model = settings.model === undefined ? frame.model : await frame.run.resolveModel(settings.model)
    const request = summaryRequest(older, settings.instructions, settings.maxTokens)
    const answer = await sideCall(frame, model, request, key, step)
    if ('outcome' in answer) return answer
    const text = answer.message.content.trim()
    if (!text) return { error: { code: 'MODEL_ERROR', message: 'the summary came back empty' } }
    return { text }
  } catch (error) {
    const stopped = stoppedOutcome(frame)
    if (stopped) return { outcome: stopped }
    return { error: toErrorInfo(error) }
  }
}
