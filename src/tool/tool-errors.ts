import type { ErrorCode } from '../errors/index.js'
import { formatIssues, MAX_ISSUES, type SchemaIssue } from '../schema/index.js'
import type { ToolErrorInfo, ToolFailure } from './types.js'

/** Builds a failed outcome whose `content` tells the model exactly what went wrong. */
export function toolFailure(
  code: ErrorCode,
  message: string,
  issues?: SchemaIssue[],
  fatal = false,
): ToolFailure {
  // The error keeps as many issues as the model is shown: thousands would swell the transcript.
  const error: ToolErrorInfo = issues
    ? { code, message, issues: issues.slice(0, MAX_ISSUES) }
    : { code, message }
  if (issues && issues.length > MAX_ISSUES) error.issuesLeftOut = issues.length - MAX_ISSUES
  const detail = issues?.length ? `\n${formatIssues(issues)}` : ''
  const hint = code === 'INVALID_ARGUMENTS' ? '\nFix the arguments and call the tool again.' : ''
  return { ok: false, error, content: `Error: ${message}${detail}${hint}`, fatal }
}

export function unknownTool(name: string, available: readonly string[]): ToolFailure {
  const list = available.length
    ? `Available tools: ${available.join(', ')}.`
    : 'No tools are available to you.'
  return toolFailure('UNKNOWN_TOOL', `unknown tool "${name}". ${list}`)
}
