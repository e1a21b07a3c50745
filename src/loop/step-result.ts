import type { AgentOutcome } from './outcome.js'

/**
 * How a step of an agent's loop ended: go on to the next step (the stop conditions are asked
 * first), or stop with an outcome the step itself decided (an approval to wait for, a budget
 * refusal, a fatal tool error, a refusal, a final answer accepted).
 */
export type StepResult =
  | { readonly next: 'continue' }
  | { readonly next: 'stop'; readonly outcome: AgentOutcome }

export const CONTINUE: StepResult = { next: 'continue' }

export function stopWith(outcome: AgentOutcome): StepResult {
  return { next: 'stop', outcome }
}
