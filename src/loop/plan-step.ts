/**
 * A plan the planning model made (plan mode's `plan` tool), run by the plan executor: each task
 * is an ordinary call of the loop (its budget counted before it starts, its approval, its
 * events, the effects door, so transcripts, replay and resume work as for any call), keyed by
 * the plan's structure: task `fetch` of plan call `c1` at step 2 is `…/2/tool/c1.fetch`, a
 * nested plan's task `c1.facts.people`. A plan that cannot run goes back to the model with every
 * problem, as bad arguments do; its results go back as one tool result, task by task.
 */
import { delegationToolName, type PlanTool } from '../agent/index.js'
import type { BudgetRefusal } from '../budget/index.js'
import type { PendingApproval } from '../events/index.js'
import type { TrajectoryStep } from '../goal/index.js'
import type { ToolCall } from '../model/types.js'
import { withFields } from '../objects.js'
import { type CheckedPlan, checkPlan, executePlan, type FilledTask, type TaskResult } from '../plan/index.js'
import { formatIssues } from '../schema/index.js'
import { toolFailure } from '../tool/index.js'
import { type CallOutcome, callTool, takeToolCall } from './call-tool.js'
import { type EarlyTask, takeEarlyTasks } from './early-plan.js'
import type { Frame } from './frame.js'

/** The plans each agent has run, and the step of its last one. */
const made = new WeakMap<Frame, { count: number; step: number }>()

export async function runPlan(
  frame: Frame,
  step: number,
  call: ToolCall,
  key: string,
  tool: PlanTool,
): Promise<CallOutcome> {
  // The tasks that started while the plan was written: adopted if the plan holds them unchanged.
  const early = takeEarlyTasks(frame, step, call.id)
  const adopted = new Set<string>()
  try {
    return await planStep(frame, step, call, key, tool, early, adopted)
  } finally {
    // The others ran for nothing (idempotent, so harmless): the step waits for them all the same.
    await Promise.all([...early].filter(([id]) => !adopted.has(id)).map(([, task]) => task.outcome))
  }
}

async function planStep(
  frame: Frame,
  step: number,
  call: ToolCall,
  key: string,
  tool: PlanTool,
  early: ReadonlyMap<string, EarlyTask>,
  adopted: Set<string>,
): Promise<CallOutcome> {
  const { run, prepared } = frame
  const before = made.get(frame) ?? { count: 0, step: 0 }
  if (before.step === step)
    return toolFailure('INVALID_PLAN', 'one plan per answer: put every task in one plan')
  if (before.count > tool.maxReplans)
    return toolFailure(
      'PLAN_LIMIT',
      `no more plans: this agent may make ${tool.maxReplans + 1} (the first and ${tool.maxReplans} more); answer with the results you have`,
    )
  if (call.argsText !== undefined)
    return toolFailure(
      'INVALID_PLAN',
      `the plan is not valid JSON: ${JSON.stringify(call.argsText.slice(0, 200))}`,
    )
  const scope = {
    tools: new Set<string>(),
    agents: new Set<string>(),
    outputs: new Map<string, { schema: Record<string, unknown>; strips: boolean }>(),
  }
  for (const callable of prepared.tools.values())
    if (callable.kind === 'baton.tool') {
      scope.tools.add(callable.name)
      if (callable.output)
        scope.outputs.set(callable.name, {
          schema: callable.output.jsonSchema as Record<string, unknown>,
          // A zod schema parses the result and keeps only what it names.
          strips: callable.output.kind !== 'json-schema',
        })
    } else if (callable.kind === 'baton.delegation') scope.agents.add(callable.agent.name)
  const check = checkPlan(call.args, scope)
  if (!check.ok)
    return toolFailure(
      'INVALID_PLAN',
      `the plan cannot run; fix these and send it again:\n- ${check.problems.join('\n- ')}`,
    )
  made.set(frame, { count: before.count + 1, step })

  const { checked } = check
  const tasks = flatten(checked, '')
  run.emit({
    type: 'plan.start',
    path: key,
    callId: call.id,
    tasks: tasks.map(({ path, ...task }) => ({ id: path, ...task })),
  })
  // Each delegation's place among this step's delegations to its sub-agent, in the plan's order.
  const ks = new Map<string, number>()
  const counts = new Map<string, number>()
  for (const task of tasks)
    if (task.kind === 'agent') {
      const k = counts.get(task.name) ?? 0
      counts.set(task.name, k + 1)
      ks.set(task.path, k)
    }
  let refusal: BudgetRefusal | undefined
  const pending: PendingApproval[] = []
  /** The tasks that were called, for the trajectory (in the plan's order, after the plan's call). */
  const ran = new Map<string, TrajectoryStep>()
  frame.expectListeners(Math.min(tasks.length, frame.agent.toolConcurrency))
  const results = await executePlan(
    checked,
    async (task: FilledTask, path: string): Promise<TaskResult> => {
      const id = `${call.id}.${path.replaceAll('/', '.')}`
      const taskKey = `${frame.path}/${step}/tool/${id}`
      const name = 'tool' in task ? task.tool : delegationToolName(task.agent)
      const args = 'tool' in task ? task.args : { task: task.task }
      const started = early.get(path)
      let outcome: CallOutcome
      if (started && 'tool' in task && started.tool === task.tool && sameValue(started.args, args)) {
        // Started while the plan was being written: this is that call.
        adopted.add(path)
        outcome = await started.outcome
        if (outcome.ok === false && outcome.refusal) refusal ??= outcome.refusal
      } else {
        refusal ??= await takeToolCall(frame, taskKey, run.clock.now())
        if (refusal)
          return {
            status: 'failed',
            error: {
              code: 'BUDGET_EXCEEDED',
              message: `the budget allows no more tool calls (${refusal.limit})`,
            },
          }
        outcome = await callTool(frame, step, {
          call: { id, name, args },
          tool: prepared.tools.get(name),
          key: taskKey,
          k: ks.get(path) ?? 0,
        })
      }
      ran.set(path, { path: frame.path, kind: 'tool' in task ? 'tool' : 'agent', name, args, ok: outcome.ok })
      if (outcome.ok)
        return { status: 'done', value: outcome.truncated ? outcome.value : parsed(outcome.content) }
      if (outcome.pending) pending.push(...outcome.pending)
      // The issues say what to fix (bad arguments, a result off its schema), as for any call.
      const { issues } = outcome.error
      const message = issues?.length
        ? `${outcome.error.message}\n${formatIssues(issues)}`
        : outcome.error.message
      return { status: 'failed', error: { code: outcome.error.code, message } }
    },
    { concurrency: frame.agent.toolConcurrency },
  )
  // In the plan's order, whatever order the tasks ended in: the next request must not depend on timing.
  const report: Record<string, unknown> = {}
  for (const { path } of tasks) {
    const result = results.get(path)
    if (!result) continue
    report[path] =
      result.status === 'done'
        ? { result: result.value }
        : result.status === 'failed'
          ? { error: result.error.message, code: result.error.code }
          : { skipped: result.error.message }
  }
  const content = JSON.stringify(report)
  const value = Object.fromEntries(
    tasks.flatMap(({ path }) => (results.has(path) ? [[path, results.get(path)]] : [])),
  )
  const trajectory = tasks.flatMap((task) => ran.get(task.path) ?? [])
  if (pending.length)
    return withFields(
      toolFailure('AWAITING_APPROVAL', `${pending.length} task(s) of the plan need approval`),
      {
        pending,
        trajectory,
      },
    )
  const outcome: CallOutcome = { ok: true, value, content, truncated: false, trajectory }
  if (refusal) outcome.refusal = refusal
  return outcome
}

interface FlatTask {
  /** `fetch`, or `facts/people` in a nested plan. */
  path: string
  kind: 'tool' | 'agent' | 'plan'
  /** The tool's or sub-agent's name; a nested plan's id. */
  name: string
  /** The paths of the tasks it waits for. */
  needs: string[]
}

/** Every task of the plan, nested ones after their plan's task, in the plan's order. */
function flatten(checked: CheckedPlan, prefix: string): FlatTask[] {
  const out: FlatTask[] = []
  for (const task of checked.plan.tasks) {
    const path = prefix + task.id
    const needs = [...(checked.needs.get(task.id) ?? [])].map((id) => prefix + id)
    if ('tool' in task) out.push({ path, kind: 'tool', name: task.tool, needs })
    else if ('agent' in task) out.push({ path, kind: 'agent', name: task.agent, needs })
    else {
      out.push({ path, kind: 'plan', name: task.id, needs })
      out.push(...flatten(checked.nested.get(task.id)!, `${path}/`))
    }
  }
  return out
}

/** Whether two JSON values are the same (a task's arguments as started and as planned). */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** A result as a value: JSON that parses is its value, any other text stays text. */
function parsed(content: string): unknown {
  try {
    return JSON.parse(content)
  } catch {
    return content
  }
}
