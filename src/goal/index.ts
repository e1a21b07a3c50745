export { type JudgeOptions, judge } from './judge.js'
export { parseOutput } from './parse-output.js'
export { defineScorer, isScorer } from './scorer.js'
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
