/**
 * Why an agent's loop stops, decided in one place. After each step the loop asks these small
 * predicates in order; the first that returns an outcome ends the agent. The steps themselves
 * only record facts (a stall noticed, a goal check failed) in the loop state.
 *
 * Budget limits are not among them: the budget tree refuses a model call or a tool call before
 * it is made (it is shared with concurrent siblings, so only the call itself can ask).
 */
import type { StepInfo, StopWhen } from '../agent/stop-when.js'
import { BatonError, thrownMessage } from '../errors/index.js'
import { shownValue } from '../goal/index.js'
import type { AssistantMessage, ToolMessage } from '../model/types.js'
import type { Frame } from './frame.js'
import { type AgentOutcome, stoppedOutcome } from './outcome.js'
import type { LoopState } from './state.js'

/** What the conditions look at after a step. */
export interface AfterStep {
  readonly frame: Frame
  readonly state: LoopState
  readonly step: number
  readonly message: AssistantMessage
}

export type StopCondition = (after: AfterStep) => AgentOutcome | undefined

/** The run, an ancestor or the agent's own deadline stopped it (its signal says how). */
const stopped: StopCondition = ({ frame }) => stoppedOutcome(frame)

/** A stall was noticed: the same call repeated too often, or too many steps without progress. */
const stalled: StopCondition = ({ state }) => {
  const stall = state.stalled
  return (
    stall && {
      status: 'stalled',
      stopReason: stall.reason,
      error: { code: 'STALLED', message: stall.message },
    }
  )
}

/** The final answer failed its checks as many times as the agent allows. */
const goalAttemptsUsed: StopCondition = ({ frame, state }) => {
  const failure = state.goalFailure
  if (!failure || state.goalAttempts < frame.agent.maxGoalAttempts) return undefined
  return {
    status: 'goal_failed',
    stopReason: failure.check === 'output' ? 'output' : 'goal',
    output: failure.output,
    error: {
      code: 'GOAL_FAILED',
      message: `the final answer failed ${failure.check} ${state.goalAttempts} time(s); last feedback: ${failure.feedback}`,
    },
  }
}

/** The user's own conditions (`defineAgent({ stopWhen })`). */
const userStopWhen: StopCondition = ({ frame, state, step, message }) => {
  const conditions = frame.agent.stopWhen
  if (conditions.length === 0) return undefined
  const info: StepInfo = {
    path: frame.path,
    step,
    message,
    toolResults: toolResultsAfter(state, message),
    usage: {
      steps: frame.budget.used.steps,
      toolCalls: frame.budget.used.toolCalls,
      costUsd: frame.budget.used.costUsd,
    },
  }
  for (const [i, condition] of conditions.entries()) {
    const verdict = checkedVerdict(condition, info, i)
    if (verdict === true || (typeof verdict === 'string' && verdict !== ''))
      return {
        status: 'done',
        stopReason: verdict === true ? 'stopWhen' : `stopWhen:${verdict}`,
        output: message.content,
      }
  }
  return undefined
}

/**
 * A user's stop condition, asked: its own failure, or an answer that is not one (a promise, a
 * number, an object), is an error naming it rather than a silent "go on". Conditions are asked
 * between steps, synchronously.
 */
function checkedVerdict(condition: StopWhen, info: StepInfo, i: number): boolean | string | undefined {
  const where = `stopWhen[${i}]`
  let verdict: unknown
  try {
    verdict = condition(info)
  } catch (error) {
    throw new BatonError('INTERNAL', `${where} threw: ${thrownMessage(error)}`, {
      cause: error,
      details: { name: (error as Error)?.name ?? typeof error, in: where },
    })
  }
  if (verdict === undefined || typeof verdict === 'boolean' || typeof verdict === 'string') return verdict
  // A promise is never awaited: its failure must not become an unhandled rejection.
  if (verdict instanceof Promise) verdict.catch(() => {})
  throw new BatonError(
    'INVALID_DEFINITION',
    `${where} returned ${verdict instanceof Promise ? 'a promise' : shownValue(verdict)}: a stop condition is checked between steps, synchronously, and returns true, false, undefined or a reason (a string)`,
    { details: { in: where } },
  )
}

/** In order: what stops the agent from outside first, then what its own loop noticed. */
export const STOP_CONDITIONS: readonly StopCondition[] = [stopped, stalled, goalAttemptsUsed, userStopWhen]

/** The outcome of the first condition that holds after a step, or undefined to go on. */
export function stopAfter(after: AfterStep): AgentOutcome | undefined {
  for (const condition of STOP_CONDITIONS) {
    const outcome = condition(after)
    if (outcome) return outcome
  }
  return undefined
}

/** The tool results that answered `message`'s calls (they follow it in the history). */
function toolResultsAfter(state: LoopState, message: AssistantMessage): ToolMessage[] {
  const at = state.history.lastIndexOf(message)
  return state.history.slice(at + 1).filter((m): m is ToolMessage => m.role === 'tool')
}
