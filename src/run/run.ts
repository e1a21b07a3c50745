/**
 * @module run
 * `run()` and `stream()`: the one place a run is driven. The agent loop emits events; this
 * stamps them (`seq`, `t`), records them, hands them to the stream's reader, and turns the
 * root outcome into a `RunResult`.
 */

import type { Meter, Tracer } from '@opentelemetry/api'
import type { Agent } from '../agent/index.js'
import { Budget, type BudgetLimits } from '../budget/index.js'
import { liveEffects, systemClock } from '../effects/index.js'
import { BatonError } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import type { Task } from '../goal/index.js'
import { type AgentOutcome, agentLoop, createFrame, StopSignal } from '../loop/index.js'
import { onAbort } from '../loop/on-abort.js'
import { errorOutcome } from '../loop/outcome.js'
import { Stopper } from '../loop/stopper.js'
import { Memory } from '../memory/index.js'
import type { Model } from '../model/types.js'
import { layered, withFields } from '../objects.js'
import type { Tracing } from '../otel/trace.js'
import { resolveModel } from '../providers/resolve.js'
import { formatIssues } from '../schema/index.js'
import { runSigner } from '../transcript/chain.js'
import { agentTree, TRANSCRIPT_VERSION, TranscriptWriter } from '../transcript/index.js'
import { VERSION } from '../version.js'
import { agentsOf, checkRun } from './check-run.js'
import { runContext } from './context.js'
import { EventQueue } from './event-queue.js'
import { foldMismatch, RunFold } from './fold.js'
import { RunReader } from './run-reader.js'
import { heartbeatOf, rootText, serverSentEvents, serverSentResponse } from './stream-ends.js'
import type { InternalRunOptions, RunOptions, RunResult, RunStream } from './types.js'

const defaultEffects = liveEffects()

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
export function run<O>(agent: Agent<O>, task: Task, options: RunOptions = {}): Promise<RunResult<O>> {
  try {
    checkRun(agent, task, options)
  } catch (error) {
    return Promise.reject(error)
  }
  // Nobody reads the events: they are recorded (when asked) and not kept.
  return start(agent, task, options, undefined).result as Promise<RunResult<O>>
}

/**
 * Runs an agent and yields every event as it happens; `result` settles when the run ends,
 * whether or not the events are read. Breaking out of the iteration aborts the run.
 *
 * @example
 * const events = stream(agent, task)
 * for await (const event of events) if (event.type === 'tool.call') console.log(event.name)
 * const result = await events.result
 */
export function stream<O>(agent: Agent<O>, task: Task, options: RunOptions = {}): RunStream<O> {
  checkRun(agent, task, options)
  return streamRun(agent, task, options)
}

/** `stream()` for Baton's own callers, which also say what goes into the header (`from`, `source`). */
export function streamRun<O>(agent: Agent<O>, task: Task, options: InternalRunOptions): RunStream<O> {
  checkRun(agent, task, options, true)
  const queue = new EventQueue()
  const started = start(agent, task, options, queue)
  // Heartbeats of server-sent events go by the run's clock (a test's fake clock included).
  const clock = options.effects?.clock ?? options.clock ?? systemClock
  started.result.catch(() => {})
  // The events go to one reader, in one form: a second would silently get what the first left.
  let taken: string | undefined
  const take = (form: string): AsyncIterable<BatonEvent> => {
    if (taken !== undefined)
      throw new BatonError(
        'INVALID_OPTIONS',
        `stream: the events were already taken by ${taken}; they are read once, in one form (iterate the stream, or text(), toResponse() or toReadableStream()). The run's result is in .result; stream() again runs the agent again`,
        { details: { taken, asked: form } },
      )
    taken = form
    const reader = new RunReader(queue, started.stopper, started.done)
    return { [Symbol.asyncIterator]: () => reader }
  }
  return {
    result: started.result as Promise<RunResult<O>>,
    [Symbol.asyncIterator]: () => take('iterating the stream')[Symbol.asyncIterator](),
    text: () => rootText(take('text()')),
    toReadableStream: (sse) => {
      const beat = heartbeatOf(sse, 'toReadableStream')
      return serverSentEvents(take('toReadableStream()'), clock, beat)
    },
    toResponse: (init, sse) => {
      const beat = heartbeatOf(sse, 'toResponse')
      return serverSentResponse(take('toResponse()'), clock, beat, init)
    },
  }
}

interface Started {
  result: Promise<RunResult>
  /** Stops the run (every agent's signal aborts with the reason). */
  stopper: Stopper
  /** Settles when the run has fully ended (transcript closed). */
  done: Promise<void>
}

function start(
  agent: Agent,
  task: Task,
  options: InternalRunOptions,
  queue: EventQueue | undefined,
): Started {
  const stopper = new Stopper()
  let settle!: (result: RunResult) => void
  let fail!: (error: unknown) => void
  const result = new Promise<RunResult>((resolve, reject) => {
    settle = resolve
    fail = reject
  })
  // Whatever escapes the run (a clock or an effects object of the caller's that throws) rejects
  // its result and ends its events: it never becomes an unhandled rejection of the process.
  const done = execute(agent, task, options, stopper, queue, settle, fail).catch((error: unknown) => {
    fail(error)
    if (queue && !queue.closed) queue.close(error)
  })
  return { result, stopper, done }
}

async function execute(
  agent: Agent,
  task: Task,
  options: InternalRunOptions,
  stopper: Stopper,
  queue: EventQueue | undefined,
  settle: (result: RunResult) => void,
  fail: (error: unknown) => void,
): Promise<void> {
  const effects = options.effects ?? (options.clock ? liveEffects({ clock: options.clock }) : defaultEffects)
  const { clock } = effects
  const startedAt = clock.now()
  const runId = effects.id('run')
  try {
    if (agent.input) await checkTaskSchema(agent, task)
  } catch (error) {
    fail(error)
    queue?.close(error)
    return
  }
  const abortRun = () =>
    stopper.stop(
      new StopSignal({
        status: 'aborted',
        stopReason: 'signal',
        error: { code: 'ABORTED', message: abortMessage(options.signal) },
      }),
    )
  // One listener on the caller's signal however many runs share it, gone when the run ends.
  const unlink = options.signal ? onAbort(options.signal, abortRun) : undefined

  const memory = new Memory(() => clock.now())
  const limits = layered(DEFAULT_BUDGET, agent.budget, options.budget)
  const budget = new Budget('root', limits, startedAt)
  let writer: TranscriptWriter | undefined
  const fold = new RunFold(agent, startedAt, runId)
  // The run as a trace, when a tracer is given (loaded only then).
  let tracing: Tracing | undefined
  let seq = 0
  // Time since the start, never going back: a system clock set back mid-run (NTP, a laptop
  // waking up) must not give events an earlier or negative `t`, nor the run a negative wallMs.
  let elapsedMs = 0
  const elapsed = (): number => {
    elapsedMs = Math.max(elapsedMs, clock.now() - startedAt)
    return elapsedMs
  }
  const keepDeltas = options.recordDeltas === true
  const record = (event: BatonEvent, t: number): void => {
    if (!writer) return
    try {
      writer.write(event, seq, t)
    } catch (error) {
      // A transcript that cannot be written ends the run: it would not say what happened.
      const broken = writer
      writer = undefined
      void broken.close()
      stopper.stop(
        new StopSignal({
          status: 'error',
          stopReason: 'TRANSCRIPT',
          error: {
            code: 'TRANSCRIPT',
            message: `cannot write the transcript: ${(error as Error).message}`,
          },
        }),
      )
    }
  }
  const emit = (event: BatonEvent): void => {
    const t = elapsed()
    // Deltas take no place in the run's order: a transcript is the same, streamed or not.
    const delta = event.type === 'model.delta' || event.type === 'model.restart'
    if (!delta || keepDeltas) record(event, t)
    event.seq = delta ? seq : seq++
    event.t = t
    if (!delta) {
      fold.add(event)
      if (tracing) traced(tracing, event)
    }
    queue?.push(event)
  }
  // The caller's tracer or meter failing ends the run, naming it: the trace would be wrong.
  const traced = (to: Tracing, event: BatonEvent): void => {
    try {
      to.add(event)
    } catch (error) {
      tracing = undefined
      stopper.stop(new StopSignal(errorOutcome(observerFailed(options, error))))
    }
  }
  let outcome: AgentOutcome
  try {
    if (options.tracer || options.meter)
      tracing = await (await import('../otel/trace.js'))
        .startTracing(options.tracer as Tracer | undefined, startedAt, runId, {
          ...(options.traceContent === undefined ? {} : { content: options.traceContent }),
          ...(options.meter ? { meter: options.meter as Meter } : {}),
        })
        .catch((error: unknown) => {
          throw observerFailed(options, error)
        })
    const models = resolveModelsNow(agent, options.model) ?? (await resolveModels(agent, options.model))
    if (options.record) {
      const signer = runSigner(options.sign)
      writer = new TranscriptWriter(
        options.record,
        {
          type: 'header',
          version: TRANSCRIPT_VERSION,
          baton: VERSION,
          runId,
          startedAt: new Date(startedAt).toISOString(),
          task,
          agent: agentTree(agent, models),
          budget: limits,
          ...(options.prices ? { prices: options.prices } : {}),
          ...(options.contextWindows ? { contextWindows: options.contextWindows } : {}),
          ...(options.vars ? { vars: options.vars } : {}),
          ...(options.from ? { from: options.from } : {}),
          ...(options.source ? { source: options.source } : {}),
          ...(signer ? { signer: signer.header } : {}),
        },
        (error) => stopper.stop(new StopSignal(errorOutcome(error))),
        options.transcriptIo,
        // A reader is handed each event as it happens: a slow step it sees must be on disk.
        // Without one, a step's lines wait for the next idle moment and go out in one write.
        { eager: queue !== undefined, ...(signer ? { signer } : {}) },
      )
    }
    const run = runContext({
      effects,
      clock,
      memory,
      resolveModel,
      models,
      stop: (reason) => stopper.stop(reason),
      emit,
      observed:
        writer !== undefined || queue !== undefined || tracing !== undefined || options.effects !== undefined,
      deltas: (queue !== undefined && options.deltas !== false) || keepDeltas,
      options,
    })
    emit({ type: 'run.start', path: 'root', runId, agent: agent.name, task })
    outcome = await agentLoop(createFrame(run, agent, 'root', budget, stopper, task))
  } catch (error) {
    outcome = errorOutcome(error)
  }
  unlink?.()
  // What sub-agents elsewhere spent since the root's last call.
  if (options.ledger) await options.ledger.refresh(budget).catch(() => {})
  // A run too quick to notice that its transcript could not be created must still say so.
  const unwritable = await writer?.ready()
  if (unwritable) {
    outcome = errorOutcome(unwritable)
    writer = undefined
  }
  const end: BatonEvent = {
    type: 'run.end',
    path: 'root',
    status: outcome.status,
    stopReason: outcome.stopReason,
    output: outcome.output,
    usage: withFields(budget.used, { wallMs: elapsed() }),
  }
  if (outcome.error) end.error = outcome.error
  emit(end)
  // The result is what the events say, as it is for a transcript read back.
  const result = fold.result()!
  // A transcript that went to a file: its path (a durable run's lines are in its database).
  if (writer && options.record && !options.transcriptIo) result.transcript = options.record
  // The last lines are written on close: a disk that fails then still fails the run.
  const lost = await writer?.close()
  if (lost && result.status !== 'error') {
    Object.assign(result, errorOutcome(lost))
    delete result.transcript
  }
  // A self-check (the test suite turns it on): the transcript says what the run returned.
  if (result.transcript && process.env.BATON_CHECK_FOLD === '1') {
    const problem = foldMismatch(result)
    if (problem) {
      fail(new BatonError('INTERNAL', problem))
      queue?.close()
      return
    }
  }
  settle(result)
  queue?.close()
}

/** An error of the caller's tracer or meter, named as the option that gave it. */
function observerFailed(options: RunOptions, error: unknown): BatonError {
  const which =
    options.tracer && options.meter
      ? 'options.tracer or options.meter'
      : options.tracer
        ? 'options.tracer'
        : 'options.meter'
  const name = error instanceof Error ? error.name : typeof error
  const message = error instanceof Error ? error.message : String(error)
  return new BatonError('INTERNAL', `run: ${which} threw: ${message}`, {
    cause: error,
    details: { name, in: which },
  })
}

/** The models of the tree when every one is already a Model object (no provider to load). */
function resolveModelsNow(root: Agent, override: Model | string | undefined): Map<Agent, Model> | undefined {
  const models = new Map<Agent, Model>()
  for (const agent of agentsOf(root)) {
    const model = override ?? agent.model
    if (typeof model === 'string') return undefined
    models.set(agent, model)
  }
  return models
}

async function resolveModels(root: Agent, override: Model | string | undefined): Promise<Map<Agent, Model>> {
  const models = new Map<Agent, Model>()
  // One override is resolved once: every agent shares the model (and its connection pool).
  const shared = override === undefined ? undefined : await resolveModel(override)
  for (const agent of agentsOf(root)) {
    models.set(agent, shared ?? (await resolveModel(agent.model)))
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

function abortMessage(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason
  const why =
    reason instanceof Error && reason.name !== 'AbortError'
      ? reason.message
      : typeof reason === 'string'
        ? reason
        : ''
  return why ? `the run was aborted by its signal: ${why}` : 'the run was aborted by its signal'
}
