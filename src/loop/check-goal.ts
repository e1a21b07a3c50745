import { BatonError, thrownMessage, toErrorInfo } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import {
  checkedScore,
  type GoalCheck,
  isScorer,
  parseOutput,
  type ScoreContext,
  shownValue,
} from '../goal/index.js'
import { formatIssues } from '../schema/index.js'
import { agentMemory } from './agent-memory.js'
import type { Frame } from './frame.js'
import { type AgentOutcome, stoppedOutcome } from './outcome.js'
import { sideCall } from './side-call.js'
import type { LoopState } from './state.js'
import { CONTINUE, type StepResult, stopWith } from './step-result.js'

/**
 * The final answer is done only when it was not cut off (`cutOff`: the model stopped at its
 * output limit), it parses against the output schema, and every goal check passes. A failure is
 * feedback for the model, recorded in the state: the stop conditions end the agent as
 * `goal_failed` once `maxGoalAttempts` is used up.
 */
export async function checkGoal(
  frame: Frame,
  state: LoopState,
  step: number,
  text: string,
  cutOff = false,
): Promise<StepResult> {
  const { agent, path } = frame
  const key = `${path}/${step}/goal`
  const attempt = state.goalAttempts + 1
  let output: unknown = text
  let feedback: string | undefined
  let check = 'output'
  if (cutOff) {
    check = 'length'
    feedback =
      'your answer was cut off at the output token limit before it ended. Give the whole answer again, shorter.'
  } else if (agent.output) {
    let parsed: Awaited<ReturnType<typeof parseOutput>>
    try {
      parsed = await parseOutput(text, agent.output)
    } catch (error) {
      // The schema itself failed (a refine or transform that throws): not the model's to fix.
      return stopWith({
        status: 'error',
        stopReason: 'GOAL_CHECK_FAILED',
        error: { code: 'GOAL_CHECK_FAILED', message: `the output schema threw: ${thrownMessage(error)}` },
      })
    }
    if (parsed.success) output = parsed.data
    else feedback = parsed.issues ? `${parsed.problem}\n${formatIssues(parsed.issues)}` : parsed.problem
  }
  const { emit } = frame.run
  let score: number | undefined
  for (let i = 0; feedback === undefined && i < agent.goal.length; i++) {
    const goal = agent.goal[i]!
    check = isScorer(goal) ? goal.name : `goal[${i}]`
    try {
      // A goal check that ignores the agent's signal is abandoned when the agent stops.
      const verdict = await frame.race(runCheck(goal, output, text, frame, state, `${key}/${i}`, step))
      if (verdict.outcome) return stopWith(verdict.outcome)
      feedback = verdict.feedback
      score = verdict.score
    } catch (error) {
      const stopped = stoppedOutcome(frame)
      if (stopped) return stopWith(stopped)
      const info = toErrorInfo(error)
      // A check that returned what is not a verdict is said so; any other failure was thrown.
      const message = `${check} ${info.code === 'GOAL_CHECK_FAILED' ? '' : 'threw: '}${info.message}`
      return stopWith({
        status: 'error',
        stopReason: 'GOAL_CHECK_FAILED',
        error: { code: 'GOAL_CHECK_FAILED', message },
      })
    }
  }
  if (feedback === undefined) {
    if (agent.output || agent.goal.length)
      emit({ type: 'goal.check', path: key, check: 'all', passed: true, attempt })
    return stopWith({ status: 'done', stopReason: 'goal', output })
  }
  state.goalAttempts = attempt
  state.goalFailure = { check, feedback, output }
  const event: BatonEvent = { type: 'goal.check', path: key, check, passed: false, attempt, feedback }
  if (score !== undefined) event.score = score
  emit(event)
  // The last attempt gets no feedback: the stop conditions end the agent.
  if (attempt < agent.maxGoalAttempts)
    state.push({
      role: 'user',
      content: `Your final answer was not accepted: ${feedback}\n\nKeep working and give a corrected final answer.`,
    })
  return CONTINUE
}

interface Verdict {
  feedback?: string
  score?: number
  outcome?: AgentOutcome
}

async function runCheck(
  goal: GoalCheck,
  output: unknown,
  text: string,
  frame: Frame,
  state: LoopState,
  key: string,
  step: number,
): Promise<Verdict> {
  const memory = agentMemory(frame, key)
  if (!isScorer(goal)) {
    const result: unknown = await goal(output, { task: frame.task, text, path: frame.path, memory })
    if (result === true) return {}
    if (result !== false && typeof result !== 'string')
      throw new BatonError(
        'GOAL_CHECK_FAILED',
        `returned ${shownValue(result)}, not a verdict: a goal function returns true (the answer is done), or false or a string (feedback for the model)`,
      )
    return { feedback: typeof result === 'string' && result.trim() ? result : 'the goal check did not pass' }
  }
  let refused: AgentOutcome | undefined
  let calls = 0
  const ctx: ScoreContext = {
    signal: frame.signal,
    generate: async (model, request) => {
      const resolved = await frame.run.resolveModel(model)
      const result = await sideCall(frame, resolved, request, `${key}/${calls++}/model`, step)
      if ('outcome' in result) {
        refused = result.outcome
        throw new Error(result.outcome.error?.message ?? 'budget exceeded')
      }
      return result
    },
  }
  const { inputTokens, outputTokens, costUsd, steps, toolCalls } = frame.budget.used
  const usage = { inputTokens, outputTokens, costUsd, steps, toolCalls }
  try {
    const score = checkedScore(
      await goal.score({ task: frame.task, output, text, trajectory: state.trajectory, usage }, ctx),
      goal.name,
    )
    return score.pass
      ? { score: score.score }
      : { feedback: score.reason || `${goal.name} did not pass (score ${score.score})`, score: score.score }
  } catch (error) {
    if (refused) return { outcome: refused }
    throw error
  }
}
