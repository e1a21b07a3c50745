/**
 * Workflows written in code: a fixed pipeline of tools and sub-agents (sequence, parallel steps,
 * branches on a result, a bounded loop) run by the same executor as a model's plans. A workflow
 * is an agent in plan mode whose planner is code, not a model: each round, its `plan` function
 * gets the results so far and returns the next plan, or the output. So a workflow runs wherever
 * an agent does (`run`, `stream`, `baton run`, evals, sub-agent of another agent, durable
 * workers), with budgets, transcripts, replay and resume, and costs no tokens.
 */
import { defineAgent, MAX_REPLANS, MAX_TOOL_CONCURRENCY } from '../agent/define-agent.js'
import type { Agent } from '../agent/index.js'
import type { BudgetLimits } from '../budget/index.js'
import { BatonError, thrownMessage } from '../errors/index.js'
import type { Message, Model, ModelRequest, ModelResponse } from '../model/types.js'
import { describe } from '../schema/index.js'
import { unknownKey } from '../schema/known-keys.js'
import type { InferSchema, SchemaInput } from '../schema/types.js'
import type { Tool } from '../tool/index.js'
import type { Plan, TaskResult } from './types.js'

/** What a workflow's `plan` function is told each round. */
export interface WorkflowRound<T = unknown> {
  /** The task the workflow was given (of its `input` schema's type when it has one). */
  task: T
  /** 0 for the first plan, then 1, 2… */
  round: number
  /** The results of the last round's plan, by task id (`facts/people` in a nested plan); empty in round 0. */
  results: Record<string, TaskResult>
  /** Every earlier round's results, oldest first. */
  rounds: Record<string, TaskResult>[]
}

/** What a round decides: the next plan, or the workflow's output. */
export type WorkflowStep = Plan | { output: unknown }

/** The type of a workflow's task: its `input` schema's, or unknown. */
export type WorkflowTask<I> = I extends SchemaInput ? InferSchema<I> : unknown

export interface WorkflowConfig<I extends SchemaInput | undefined = undefined> {
  /** Letters, digits, `_` and `-`, as an agent's. */
  name: string
  /** What it does (a parent agent chooses sub-agents by it). */
  description?: string
  /**
   * The task's schema (zod, any Standard Schema, or JSON Schema): a task that does not match it
   * is refused before the workflow starts, a parent agent is told its shape, and `plan` gets
   * the task with its type.
   */
  input?: I
  tools?: Tool[]
  agents?: Agent[]
  budget?: BudgetLimits
  /**
   * The plan: one plan (run once; the output is its last task's result unless `output` says),
   * or a function that decides each round from the results so far: a branch is an `if` on
   * them, a loop returns plans until it is done (at most `maxRounds`).
   */
  plan: Plan | ((round: WorkflowRound<WorkflowTask<I>>) => WorkflowStep | Promise<WorkflowStep>)
  /** A one-plan workflow's output, from its results. Default: its last task's result. */
  output?: (results: Record<string, TaskResult>) => unknown
  /** Plans a workflow may run. Default 10. */
  maxRounds?: number
  /** How many tasks run at once. Default 16. */
  concurrency?: number
}

const WORKFLOW_KEYS: ReadonlySet<string> = new Set([
  'name',
  'description',
  'input',
  'tools',
  'agents',
  'budget',
  'plan',
  'output',
  'maxRounds',
  'concurrency',
])

/** Defines a workflow: an agent whose plans are written in code. */
export function defineWorkflow<I extends SchemaInput | undefined = undefined>(
  config: WorkflowConfig<I>,
): Agent {
  const where = `workflow "${config?.name}"`
  if (typeof config !== 'object' || config === null)
    throw new BatonError('INVALID_DEFINITION', 'defineWorkflow: expected a workflow definition object')
  const unknown = unknownKey(Object.keys(config), WORKFLOW_KEYS, 'workflow option', {
    steps: 'plan',
    rounds: 'maxRounds',
  })
  if (unknown)
    throw new BatonError('INVALID_DEFINITION', `${where}: ${unknown.key} ${unknown.problem}`, {
      details: { field: unknown.key },
    })
  const { plan } = config
  if (typeof plan !== 'function' && (typeof plan !== 'object' || plan === null))
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: plan must be a plan { tasks: [...] } or a function that returns one`,
    )
  const maxRounds = config.maxRounds ?? 10
  if (!Number.isInteger(maxRounds) || maxRounds < 1)
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: maxRounds must be a whole number of 1 or more, got ${describe(maxRounds)}`,
    )
  if (maxRounds > MAX_REPLANS + 1)
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: maxRounds must be a whole number from 1 to ${MAX_REPLANS + 1}, got ${describe(maxRounds)}`,
    )
  const { concurrency, output } = config
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1))
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: concurrency must be a whole number of 1 or more, got ${describe(concurrency)}`,
    )
  if (concurrency !== undefined && concurrency > MAX_TOOL_CONCURRENCY)
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: concurrency must be a whole number from 1 to ${MAX_TOOL_CONCURRENCY}, got ${describe(concurrency)}`,
    )
  if (output !== undefined && typeof output !== 'function')
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: output must be a function of the results, got ${describe(output)}`,
    )
  if (output !== undefined && typeof plan === 'function')
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: output applies to a one-plan workflow; a plan function returns { output } itself`,
    )
  // The task was checked against `input` (when given) before the workflow started.
  const decide: (round: WorkflowRound) => WorkflowStep | Promise<WorkflowStep> =
    typeof plan === 'function'
      ? (plan as (round: WorkflowRound) => WorkflowStep | Promise<WorkflowStep>)
      : ({ round, results }: WorkflowRound): WorkflowStep =>
          round === 0
            ? plan
            : { output: output ? outputOf(where, output, results) : lastResult(plan, results) }
  return defineAgent({
    name: config.name,
    description: config.description ?? `Workflow ${config.name}`,
    instructions: `Workflow ${config.name}: its plans are written in code.`,
    model: workflowModel(config.name, decide),
    tools: config.tools ?? [],
    agents: config.agents ?? [],
    ...(config.budget ? { budget: config.budget } : {}),
    ...(config.input ? { input: config.input } : {}),
    plan: { maxReplans: maxRounds - 1 },
    ...(concurrency !== undefined ? { toolConcurrency: concurrency } : {}),
    // Its answer is its output as JSON: any JSON value.
    output: {},
    stall: false,
  }) as Agent
}

/** The model of a workflow: its code, answering each round with a plan or the output. */
function workflowModel(
  name: string,
  decide: (round: WorkflowRound) => WorkflowStep | Promise<WorkflowStep>,
): Model {
  return {
    spec: 'baton.model.v1',
    id: `workflow:${name}`,
    async generate(request: ModelRequest): Promise<ModelResponse> {
      const rounds = planResults(request.messages, name)
      const task = taskOf(request.messages.find((message) => message.role === 'user')?.content ?? '')
      const round = rounds.length
      let step: WorkflowStep
      try {
        step = await decide({ task, round, results: rounds.at(-1) ?? {}, rounds: rounds.slice(0, -1) })
      } catch (error) {
        if (error instanceof BatonError) throw error
        throw new BatonError(
          'INTERNAL',
          `workflow "${name}": its plan function threw in round ${round}: ${thrownMessage(error)}`,
          { cause: error, details: { name: (error as Error)?.name } },
        )
      }
      const usage = { inputTokens: 0, outputTokens: 0 }
      if (step !== null && typeof step === 'object' && 'output' in step && !('tasks' in step)) {
        let content: string
        try {
          content = JSON.stringify(step.output ?? null)
        } catch (error) {
          throw new BatonError(
            'INTERNAL',
            `workflow "${name}": its output in round ${round} cannot be sent as JSON: ${(error as Error).message}`,
            { cause: error },
          )
        }
        return { message: { role: 'assistant', content }, finishReason: 'stop', usage }
      }
      return {
        message: {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: `round_${rounds.length + 1}`, name: 'plan', args: step }],
        },
        finishReason: 'tool-calls',
        usage,
      }
    },
  }
}

/** Each round's results, from the plan results in the conversation; a plan that could not run is a bug. */
function planResults(messages: readonly Message[], name: string): Record<string, TaskResult>[] {
  const rounds: Record<string, TaskResult>[] = []
  for (const message of messages) {
    if (message.role !== 'tool' || message.toolName !== 'plan') continue
    if (message.isError)
      throw new BatonError(
        'INVALID_DEFINITION',
        `workflow "${name}": its plan of round ${rounds.length} cannot run: ${message.content}`,
      )
    const report = JSON.parse(message.content) as Record<
      string,
      { result?: unknown; error?: string; code?: string; skipped?: string }
    >
    rounds.push(
      Object.fromEntries(
        Object.entries(report).map(([id, entry]): [string, TaskResult] => [
          id,
          'result' in entry
            ? { status: 'done', value: entry.result }
            : 'skipped' in entry
              ? { status: 'skipped', error: { code: 'PLAN_SKIPPED', message: String(entry.skipped) } }
              : {
                  status: 'failed',
                  error: { code: entry.code ?? 'TOOL_ERROR', message: String(entry.error) },
                },
        ]),
      ),
    )
  }
  return rounds
}

/** A one-plan workflow's output, from its `output` function; its failure names the workflow. */
function outputOf(
  where: string,
  output: (results: Record<string, TaskResult>) => unknown,
  results: Record<string, TaskResult>,
): unknown {
  try {
    return output(results)
  } catch (error) {
    throw new BatonError('INTERNAL', `${where}: its output function threw: ${thrownMessage(error)}`, {
      cause: error,
    })
  }
}

/** The result of a plan's last task (its value, or its error as the output). */
function lastResult(plan: Plan, results: Record<string, TaskResult>): unknown {
  const last = plan.tasks.at(-1)
  const result = last && results[last.id]
  if (!result) return null
  return result.status === 'done' ? result.value : { error: result.error.message }
}

/**
 * The task as it was given: the object the brief is the JSON of (an object task is sent as its
 * JSON), or the brief's text (a task of `"42"` stays that string).
 */
function taskOf(brief: string): unknown {
  try {
    const value: unknown = JSON.parse(brief)
    return value !== null && typeof value === 'object' ? value : brief
  } catch {
    return brief
  }
}
