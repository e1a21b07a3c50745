/**
 * Step keys name every effect of a run by its place in the run's structure:
 * `root/3/model`, `root/3/tool/call_1`, `root/2/agent:researcher#0/4/model`, a scorer's judge
 * `root/5/goal/0/0/model`, a compaction `root/6/compact` and its summary `root/6/compact/model`,
 * what an MCP server asked during a tool call: `root/3/tool/call_1/elicit/0`,
 * `root/3/tool/call_1/sample/0` and its model call `root/3/tool/call_1/sample/0/model`, and the
 * tools a live tool set offers `root/4/tools`.
 */

const STEP_SUFFIX = /\/\d+\/(model|tools|tool\/[^/]+(\/(elicit|sample)(\/.*)?)?|goal(\/.*)?|compact(\/.*)?)$/

/** The agent path of a step key: `root/2/agent:a#0/3/tool/c1` → `root/2/agent:a#0`. */
export function agentPathOf(key: string): string {
  return key.replace(STEP_SUFFIX, '')
}

/**
 * Whether a model call's key is a call beside the agent's own steps (a scorer's judge, a
 * compaction's summary, an MCP server's sampling request): it has a request of its own, not the
 * agent's history.
 */
export function isSideCall(key: string): boolean {
  return key.includes('/goal/') || key.includes('/compact/') || key.includes('/sample/')
}
