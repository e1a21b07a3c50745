/**
 * @module eval
 * Evals: cases run through an agent and graded by scorers (the same scorers that serve as
 * goal checks), offline from recorded cassettes by default, with JSON and HTML reports and a
 * baseline comparison for CI.
 */
export {
  type BaselineComparison,
  type BaselineThresholds,
  compareToBaseline,
  type Regression,
} from './baseline.js'
export { cassettePath, DEFAULT_CASSETTE_DIR, scoresPath } from './cassettes.js'
export {
  type AgentFactory,
  defineEval,
  type Eval,
  type EvalCase,
  type EvalConfig,
  isEval,
} from './define-eval.js'
export { renderHtml } from './html-report.js'
export {
  type CaseResult,
  type CaseSummary,
  type EvalMode,
  type EvalReport,
  type EvalResult,
  type EvalSummary,
  mergeReports,
  parseReport,
  readReport,
  type ScorerResult,
} from './report.js'
export { type EvalProgress, type RunEvalOptions, runEval } from './runner.js'
export * from './scorers/index.js'
