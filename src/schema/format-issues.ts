import type { SchemaIssue } from './types.js'

/** `a.b[0]`, or `(root)` for the value itself. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)'
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part
    else out += `[${JSON.stringify(part)}]`
  }
  return out
}

/**
 * How many issues a message shows: a hostile schema or argument can produce thousands, and a
 * model fixes the first ones first.
 */
export const MAX_ISSUES = 20

/**
 * One line per issue, path first, so a model can fix exactly what is wrong; at most
 * `MAX_ISSUES`, then a line saying how many were left out.
 */
export function formatIssues(issues: readonly SchemaIssue[]): string {
  const lines = issues.slice(0, MAX_ISSUES).map((issue) => `- at ${formatPath(issue.path)}: ${issue.message}`)
  const left = issues.length - MAX_ISSUES
  if (left > 0) lines.push(`- … and ${left} more issue${left === 1 ? '' : 's'} not shown`)
  return lines.join('\n')
}
