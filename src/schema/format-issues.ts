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

/** One line per issue, path first, so a model can fix exactly what is wrong. */
export function formatIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => `- at ${formatPath(issue.path)}: ${issue.message}`).join('\n')
}
