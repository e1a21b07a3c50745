export {
  HEAD,
  historyProblem,
  isStub,
  recentFrom,
  type StubbedResult,
  stubResults,
  summaryMessage,
  summaryRequest,
} from './compact.js'
export { ContextMeter } from './meter.js'
export {
  type ContextInfo,
  type ContextOptions,
  type ContextPolicy,
  type ContextPolicyFn,
  checkContext,
  SUMMARY_INSTRUCTIONS,
} from './policy.js'
export { type ContextWindowTable, DEFAULT_CONTEXT_WINDOWS, windowIn, windowsProblem } from './windows.js'
