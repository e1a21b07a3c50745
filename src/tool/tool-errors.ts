import type { ErrorCode } from '../errors/index.js'
import { formatIssues, type SchemaIssue } from '../schema/index.js'
import type { ToolErrorInfo, ToolFailure } from './types.js'

/** Builds a failed outcome whose `content` tells the model exactly what went wrong. */
export function toolFailure(
  code: ErrorCode,
  message: string,
  issues?: SchemaIssue[],
  fatal = false,
): ToolFailure {
  const error: ToolErrorInfo = issues ? { code, message, issues } : { code, message }
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
