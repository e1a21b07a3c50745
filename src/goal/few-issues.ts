import type { SchemaIssue } from '../schema/index.js'

/** How many schema issues a message lists before it only counts the rest. */
export const MAX_ISSUES = 20

/**
 * The first `MAX_ISSUES` issues, and one more that counts the rest: a value wrong in thousands
 * of places would otherwise make feedback (and an error message) of megabytes.
 */
export function fewIssues(issues: readonly SchemaIssue[]): SchemaIssue[] {
  if (issues.length <= MAX_ISSUES) return [...issues]
  const rest = issues.length - MAX_ISSUES
  return [
    ...issues.slice(0, MAX_ISSUES),
    { path: [], message: `and ${rest} more problems (fix those above first)` },
  ]
}
