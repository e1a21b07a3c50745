/**
 * @module run
 * `run()` and `stream()`: the one place a run is driven. The agent loop yields events; this
 * stamps them (`seq`, `t`), records them, and turns the root outcome into a `RunResult`.
 */
import type { Agent } from '../agent/index.js'
import { Budget, type BudgetLimits, DEFAULT_PRICES } from '../budget/index.js'
import { liveEffects } from '../effects/index.js'
import { BatonError } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import type { Task } from '../goal/index.js'
import { type AgentOutcome, agentLoop, createFrame, type RunContext, StopSignal } from '../loop/index.js'
import { errorOutcome } from '../loop/outcome.js'
import { Memory } from '../memory/index.js'
import { resolveModel } from '../model/resolve-model.js'
import type { Model } from '../model/types.js'
import { formatIssues } from '../schema/index.js'
import { agentTree, TRANSCRIPT_VERSION, TranscriptWriter } from '../transcript/index.js'
import { VERSION } from '../version.js'
import { agentsOf, checkRun } from './check-run.js'
import type { RunOptions, RunResult, RunStream } from './types.js'

/** Limits that apply when neither the agent nor the run sets them: no run is unbounded by default. */
export const DEFAULT_BUDGET: BudgetLimits = { maxSteps: 100, maxDepth: 5 }

/**
 * Runs an agent on a task and returns how it ended. Failures inside the run are results
 * (status `error`, transcript intact); only bad arguments throw.
 *
 * @example
 * const result = await run(agent, 'Plan a two-day trip to Lisbon', { record: 'runs/lisbon.jsonl' })
 * console.log(result.status, result.output, result.usage.costUsd)
 */
export async function run<O>(agent: Agent<O>, task: Task, options: RunOptions = {}): Promise<RunResult<O>> {
  const events = stream(agent, task, options)
  for await (const _ of events);
  return events.result
}

/**
 * Runs an agent and yields every event as it happens; `result` settles when the run ends.
 * Breaking out of the iteration aborts the run.
 *
 * @example
 * const events = stream(agent, task)
 * for await (const event of events) if (event.type === 'tool.call') console.log(event.name)
 * const result = await events.result
 */
export function stream<O>(agent: Agent<O>, task: Task, options: RunOptions = {}): RunStream<O> {
  checkRun(agent, task, options)
  let settle!: (result: RunResult<O>) => void
  let fail!: (error: unknown) => void
  const result = new Promise<RunResult<O>>((resolve, reject) => {
    settle = resolve
    fail = reject
  })
  result.catch(() => {})
  const events = drive(agent, task, options, settle as (result: RunResult) => void, fail)
  return { result, [Symbol.asyncIterator]: () => events }
}

async function* drive(
  agent: Agent,
  task: Task,
  options: RunOptions,
  settle: (result: RunResult) => void,
  fail: (error: unknown) => void,
): AsyncGenerator<BatonEvent> {
  const effects = options.effects ?? liveEffects(options.clock ? { clock: options.clock } : {})
  const { clock } = effects
  const startedAt = clock.now()
  const runId = effects.id('run')
  const controller = new AbortController()
  const onAbort = () =>
    controller.abort(
      new StopSignal({
        status: 'aborted',
        stopReason: 'signal',
        error: { code: 'ABORTED', message: 'the run was aborted by its signal' },
      }),
    )
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })

  const memory = new Memory(() => clock.now())
  const limits = { ...DEFAULT_BUDGET, ...agent.budget, ...options.budget }
  const budget = new Budget('root', limits, startedAt)
  let writer: TranscriptWriter | undefined
  let seq = 0
  const stamp = (event: BatonEvent): BatonEvent => {
    const t = clock.now() - startedAt
    writer?.write(event, seq, t)
    event.seq = seq++
    event.t = t
    return event
  }
  let loop: AsyncGenerator<BatonEvent, AgentOutcome> | undefined
  let finished = false
  let outcome: AgentOutcome = {
    status: 'aborted',
    stopReason: 'consumer',
    error: { code: 'ABORTED', message: 'the consumer stopped reading the run events' },
  }
  try {
    try {
      await checkTaskSchema(agent, task)
    } catch (error) {
      fail(error)
      finished = true
      throw error
    }
    try {
      const models = await resolveModels(agent, options.model)
      if (options.record) {
        writer = new TranscriptWriter(options.record, {
          type: 'header',
          version: TRANSCRIPT_VERSION,
          baton: VERSION,
          runId,
          startedAt: new Date(startedAt).toISOString(),
          task,
          agent: agentTree(agent, models.get(agent)!.id),
          budget: limits,
        })
      }
      const run: RunContext = {
        effects,
        clock,
        memory,
        prices: options.prices ? { ...DEFAULT_PRICES, ...options.prices } : DEFAULT_PRICES,
        approve: options.approve,
        models,
        vars: options.vars ?? {},
        delegations: new Map(),
        stop: (reason) => controller.abort(reason),
      }
      yield stamp({ type: 'run.start', path: 'root', runId, agent: agent.name, task })
      loop = agentLoop(createFrame(run, agent, 'root', budget, controller.signal, task))
      for (;;) {
        const next = await loop.next()
        if (next.done) {
          outcome = next.value
          break
        }
        yield stamp(next.value)
      }
    } catch (error) {
      outcome = errorOutcome(error)
    }
    const result = resultOf(outcome, budget, memory, clock.now() - startedAt, runId, writer && options.record)
    const end = stamp({
      type: 'run.end',
      path: 'root',
      status: result.status,
      stopReason: result.stopReason,
      output: result.output,
      usage: result.usage,
      ...(result.error ? { error: result.error } : {}),
    })
    finished = true
    settle(result)
    yield end
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    if (!finished) {
      // The consumer stopped early: stop the work, and still end the transcript and the result.
      controller.abort(new StopSignal(outcome))
      await loop?.return(outcome)
      const result = resultOf(
        outcome,
        budget,
        memory,
        clock.now() - startedAt,
        runId,
        writer && options.record,
      )
      stamp({
        type: 'run.end',
        path: 'root',
        status: result.status,
        stopReason: result.stopReason,
        output: undefined,
        usage: result.usage,
        ...(result.error ? { error: result.error } : {}),
      })
      settle(result)
    }
    writer?.close()
  }
}

function resultOf(
  outcome: AgentOutcome,
  budget: Budget,
  memory: Memory,
  wallMs: number,
  runId: string,
  transcript: string | undefined,
): RunResult {
  const { used } = budget
  const result: RunResult = {
    status: outcome.status,
    stopReason: outcome.stopReason,
    output: outcome.output,
    usage: { ...used, wallMs },
    memory: memory.list(),
    runId,
  }
  if (transcript) result.transcript = transcript
  if (outcome.error) result.error = outcome.error
  if (outcome.pending) result.pending = outcome.pending
  return result
}

async function resolveModels(root: Agent, override: Model | string | undefined): Promise<Map<Agent, Model>> {
  const models = new Map<Agent, Model>()
  for (const agent of agentsOf(root)) {
    models.set(agent, await resolveModel(agent === root && override !== undefined ? override : agent.model))
  }
  return models
}

async function checkTaskSchema(agent: Agent, task: Task): Promise<void> {
  if (!agent.input) return
  if (typeof task === 'string') {
    throw new BatonError(
      'INVALID_TASK',
      `run: agent "${agent.name}" takes a JSON object task (it has an input schema), got a string`,
    )
  }
  const checked = await agent.input.validate(task)
  if (!checked.success) {
    throw new BatonError(
      'INVALID_TASK',
      `run: the task does not match the input schema of agent "${agent.name}":\n${formatIssues(checked.issues)}`,
    )
  }
}
