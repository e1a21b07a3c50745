import { randomUUID } from 'node:crypto'
import {
  type Clock,
  callModelEffect,
  type DecisionKind,
  type Effects,
  type ModelEffect,
  type RecordedToolResult,
  systemClock,
  type ToolAnswer,
  type ToolEffect,
} from '../effects/index.js'
import { BatonError, isErrorCode } from '../errors/index.js'
import type { ModelFallbackEvent, ModelRouteEvent } from '../events/index.js'
import { deltasOf } from '../model/stream-call.js'
import type { ModelResponse } from '../model/types.js'
import { withFields } from '../objects.js'
import { describeDivergence } from './diff.js'
import { agentPathOf, type Recording } from './recording.js'

/** A step where a replay and its recording parted. */
export interface Divergence {
  step: string
  message: string
}

export interface ReplayPolicy {
  /** What to do when the recording has no answer for a step: fail, or call the model / tool live. */
  onMissing: 'error' | 'live'
  /** What to do when a request differs from the recorded one. `ignore` keeps using the recording. */
  onDivergence: 'error' | 'live' | 'ignore'
  /** Run tools for real instead of reusing their recorded results. */
  liveTools: boolean
  /** A recorded step is answered whatever model the agent names now (no model is called). */
  recordedModels?: boolean
  /** Steps that go live whatever the recording holds (a fork's tail). */
  liveFrom?: (key: string) => boolean
  /**
   * A tool call the recording shows started but not finished (its process died during it):
   * `run` runs it again; `report` runs it again only when the tool is idempotent, and otherwise
   * answers the model that the call was interrupted. Default `run`.
   */
  inFlightTools?: 'run' | 'report'
  /**
   * The recorded model failure that ended the run (a rate limit, a network error) is made again
   * live instead of failing the same way (a resume). Failures the run got over still replay.
   */
  retryEndingFailure?: boolean
}

export interface ReplayEffects extends Effects {
  /** Every divergence met (a lenient replay goes on after them). */
  readonly divergences: Divergence[]
  /** Model calls and tool calls made live. */
  readonly live: { model: number; tool: number }
  /**
   * Step keys of recorded answers (model answers, model failures, tool results) the run never
   * asked for, leaving out those of agents that went live (their recording was set aside): a
   * run that stopped before the end of its recording has some.
   */
  unreached(): string[]
}

// Recorded errors that only say the run stopped around the call: there is nothing to replay.
const CUT_SHORT = new Set(['ABORTED', 'BUDGET_EXCEEDED', 'REPLAY_DIVERGENCE', 'REPLAY_MISSING'])

/**
 * Effects that answer from a recording, step key by step key, checking every request against
 * it. Time and ids are the caller's (`clock`, `ids`), as they are for live effects.
 */
export function replayEffects(
  recording: Recording,
  policy: ReplayPolicy,
  world: { clock?: Clock; ids?: (kind: string) => string } = {},
): ReplayEffects {
  const divergences: Divergence[] = []
  const live = { model: 0, tool: 0 }
  // Agents whose history left the recording: everything under them runs live.
  const livePaths: string[] = []
  const isLive = (key: string) =>
    policy.liveFrom?.(key) === true || livePaths.some((p) => key === p || key.startsWith(`${p}/`))
  // Every step key the run asked for, answered from the recording or live.
  const reached = new Set<string>()
  const retried = policy.retryEndingFailure ? endingFailure(recording) : undefined
  const goLive = (effect: ModelEffect): Promise<ModelResponse> => {
    live.model++
    return callModelEffect(effect)
  }
  const missing = (key: string, what: string) =>
    new BatonError(
      'REPLAY_MISSING',
      `${key}: the recording has no ${what} for this step (${recording.transcript.path})${stopNote(recording, key)}`,
      {
        details: { step: key, path: recording.transcript.path },
      },
    )

  return {
    spec: 'baton.effects.v3',
    clock: world.clock ?? systemClock,
    divergences,
    live,
    unreached: () => recordedAnswers(recording).filter((key) => !reached.has(key) && !isLive(key)),
    id: world.ids ?? ((kind) => `${kind}_${randomUUID()}`),
    async decision(kind, key, decide) {
      const recorded = isLive(key) ? undefined : recordedDecision(recording, kind, key)
      return (recorded !== undefined ? recorded : await decide()) as Awaited<ReturnType<typeof decide>>
    },

    async model(effect) {
      const { key } = effect
      reached.add(key)
      if (isLive(key)) return goLive(effect)
      const request = recording.requests.get(key)
      const response = recording.responses.get(key)
      const error = recording.errors.get(key)
      const answered =
        response !== undefined || (error !== undefined && !CUT_SHORT.has(error.error.code) && key !== retried)
      if (!request || !answered) {
        if (policy.onMissing === 'live') {
          livePaths.push(agentPathOf(key))
          return goLive(effect)
        }
        throw missing(key, 'model answer')
      }
      const otherModel = !policy.recordedModels && request.model !== effect.model.id
      const otherRequest = request.hash !== '' && request.hash !== effect.hash
      if (policy.onDivergence !== 'ignore' && (otherRequest || otherModel)) {
        const modelLine = `the model changed: the recording used ${request.model}, this run ${effect.model.id}`
        const message = !otherRequest
          ? `${key}: ${modelLine}`
          : otherModel
            ? `${describeDivergence(recording, request, effect)}\n(also, ${modelLine})`
            : describeDivergence(recording, request, effect)
        divergences.push({ step: key, message })
        if (policy.onDivergence === 'error') {
          throw new BatonError('REPLAY_DIVERGENCE', message, { details: { step: key } })
        }
        livePaths.push(agentPathOf(key))
        return goLive(effect)
      }
      if (response) {
        const { message, usage, finishReason, costUsd, model } = response
        const answer: ModelResponse = { message, usage, finishReason, costUsd }
        // The model that answered in the recording answers again, chosen as it was then.
        if (model !== undefined) answer.model = model
        retell(recording.routing.get(key), effect)
        // A reader of the answer as it is written sees the recorded one, written out again.
        if (effect.onDelta) for (const delta of deltasOf(answer)) effect.onDelta(delta)
        return answer
      }
      // The recorded call failed for good: the replay fails the same way, with the same code.
      retell(recording.routing.get(key), effect)
      const failure = error!.error
      // A code this Baton does not know (a newer Baton's, a hand edit) must not leak out as one.
      if (!isErrorCode(failure.code)) {
        throw new BatonError('MODEL_ERROR', failure.message, {
          details: withFields(failure.details ?? {}, { recordedCode: failure.code, replayed: true }),
        })
      }
      throw new BatonError(failure.code, failure.message, {
        details: withFields(failure.details ?? {}, { replayed: true }),
      })
    },

    async tool(effect: ToolEffect): Promise<ToolAnswer> {
      const { key } = effect
      reached.add(key)
      if (policy.liveTools || isLive(key)) {
        live.tool++
        return { from: 'tool', value: await effect.run() }
      }
      const result = recording.toolResults.get(key)
      if (!result) {
        if (policy.inFlightTools === 'report' && !effect.idempotent && recording.startedTools.has(key))
          return interrupted(effect)
        if (policy.onMissing === 'live') {
          live.tool++
          return { from: 'tool', value: await effect.run() }
        }
        throw missing(key, 'tool result')
      }
      // What the tool wrote to memory is part of what it did: the loop writes it again.
      const memoryWrites = (recording.toolWrites.get(key) ?? []).map(({ key, value }) => ({ key, value }))
      const { isError, content, value, truncated, error } = result
      const recorded: RecordedToolResult = { isError, content }
      if (value !== undefined) recorded.value = value
      if (truncated !== undefined) recorded.truncated = truncated
      const memoryKey = truncated ? recording.resultKeys.get(key) : undefined
      if (memoryKey !== undefined) recorded.memoryKey = memoryKey
      if (error !== undefined) recorded.error = error
      const asked = recording.toolRequests.get(key)
      return asked
        ? { from: 'recording', result: recorded, memoryWrites, asked }
        : { from: 'recording', result: recorded, memoryWrites }
    },
  }
}

/**
 * Why a recording may have no answer where the replay asks for one: the recorded run was stopped
 * there by a wall-clock deadline, which a replay (as fast as the recording answers) never meets,
 * or it was aborted with work in flight, and an abort is not in the recording to replay.
 */
function stopNote(recording: Recording, key: string): string {
  for (const event of recording.transcript.events) {
    if (event.type !== 'budget.exceeded' || event.limit !== 'maxWallMs') continue
    if (key.startsWith(`${event.at}/`))
      return `: the recorded run was stopped by maxWallMs (${event.max} ms) at ${event.at}, and wall time does not replay`
  }
  const end = recording.transcript.events.at(-1)
  if (end?.type === 'run.end' && end.status === 'aborted')
    return `: the recorded run was aborted (${end.error?.message ?? end.stopReason}) before this step, and an abort does not replay`
  return ''
}

/**
 * The step key of the model failure that ended the recorded run, if one did: the last
 * `model.error` of a run whose `run.end` reports the same error (earlier failures were got over).
 */
function endingFailure(recording: Recording): string | undefined {
  const { events } = recording.transcript
  const end = events.at(-1)
  if (end?.type !== 'run.end' || end.status !== 'error' || !end.error) return undefined
  const last = events.findLast((event) => event.type === 'model.error')
  if (last?.type !== 'model.error') return undefined
  const same = last.error.code === end.error.code && last.error.message === end.error.message
  return same ? last.path : undefined
}

/** The step keys the recording holds an answer for: what a replay of all of it asks for. */
function recordedAnswers(recording: Recording): string[] {
  const keys = [...recording.responses.keys(), ...recording.toolResults.keys()]
  for (const [key, event] of recording.errors) if (!CUT_SHORT.has(event.error.code)) keys.push(key)
  return keys
}

/** Tells the caller the routing choices and fallbacks the recording made for a call, in order. */
function retell(
  events: readonly (ModelRouteEvent | ModelFallbackEvent)[] | undefined,
  effect: ModelEffect,
): void {
  if (!events) return
  const { onRoute, onFallback } = effect.options
  for (const event of events) {
    if (event.type === 'model.route') {
      const { model, reason } = event
      onRoute?.(reason === undefined ? { model } : { model, reason })
    } else {
      const { from, to, code, status, message } = event
      onFallback?.(status === undefined ? { from, to, code, message } : { from, to, code, status, message })
    }
  }
}

/** The answer for a call that was under way when its process died, to a tool that may not run twice. */
function interrupted(effect: ToolEffect): ToolAnswer {
  const message = `the call to tool "${effect.name}" was interrupted (the process running it stopped) and may or may not have happened; it is not idempotent, so it was not run again. Check its effects before calling it again.`
  return {
    from: 'recording',
    result: { isError: true, content: `Error: ${message}`, error: { code: 'TOOL_INTERRUPTED', message } },
    memoryWrites: [],
  }
}

/** A decision the recording holds for step `key`, or undefined when it holds none. */
function recordedDecision(recording: Recording, kind: DecisionKind, key: string): unknown {
  if (kind === 'delegation-key') return recording.delegationKeys.get(key)
  if (kind === 'elicitation') {
    const answer = recording.elicitations.get(key)
    if (!answer) return undefined
    return answer.action === 'accept'
      ? { action: answer.action, content: answer.content ?? {} }
      : { action: answer.action }
  }
  if (kind === 'tools') {
    const offered = recording.toolOffers.get(key)
    if (offered) return offered.tools
    // A recorded step with no change offered what the step before it did.
    return recording.requests.has(`${key.slice(0, -'/tools'.length)}/model`) ? null : undefined
  }
  const decided = recording.approvals.get(key)
  if (decided) {
    const { approved, by, at } = decided
    return by === undefined ? { approved, at } : { approved, by, at }
  }
  const result = recording.toolResults.get(key)
  // A call that has a recorded result was approved, unless the result says it was refused.
  return result ? { approved: result.error?.code !== 'APPROVAL_DENIED' } : undefined
}
