export { type JudgeOptions, judge } from './judge.js'
export { parseOutput } from './parse-output.js'
export { checkedScore, defineScorer, isScorer, shownValue } from './scorer.js'
export type {
  GoalCheck,
  GoalContext,
  GoalFn,
  Score,
  ScoreContext,
  ScoreInput,
  Scorer,
  Task,
  TrajectoryStep,
} from './types.js'
