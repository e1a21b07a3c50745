/**
 * @module replay
 * Record once, test forever: `replay` re-runs a transcript through the same agent definition
 * with no network, `resume` replays a crashed, stopped or paused run and goes on live, and
 * `fork` re-runs it from a step with a different model, prompt or tool.
 */
import { existsSync } from 'node:fs'
import { type Agent, isAgent } from '../agent/index.js'
import type { BudgetLimits, PriceTable } from '../budget/index.js'
import type { Clock, Effects } from '../effects/index.js'
import { BatonError } from '../errors/index.js'
import type { Model } from '../model/types.js'
import { layered, withFields } from '../objects.js'
import { streamRun } from '../run/run.js'
import type { InternalRunOptions, RunOptions, RunResult, RunStream } from '../run/types.js'
import { describe } from '../schema/index.js'
import { givenTranscript } from '../transcript/given.js'
import type { Transcript } from '../transcript/index.js'
import type { TranscriptIo } from '../transcript/writer.js'
import { checkGiven } from './check-given.js'
import { checkReplayOptions } from './check-options.js'
import { Recording } from './recording.js'
import { type Divergence, type ReplayEffects, type ReplayPolicy, replayEffects } from './replay-effects.js'
import { resumeFile } from './resume-file.js'

export interface ReplayOptions {
  /** Fail on the first divergence (default), or go on live from it (needs a model that can answer). */
  strict?: boolean
  /** Run the tools for real instead of reusing their recorded results. */
  liveTools?: boolean
  /** The model for steps that go live (lenient replays); default: the agents' own. */
  model?: Model | string
  /**
   * Answer each recorded step as the recorded model did, whatever model the agent names now
   * (default false: a changed model is a divergence). A step that goes live uses the agent's model.
   */
  recordedModels?: boolean
  /** Model prices over the recorded ones (USD per million tokens), as the `prices` run option. */
  prices?: PriceTable
  /** Write the replay's own transcript here. */
  record?: string
  signal?: AbortSignal
  approve?: RunOptions['approve']
  /**
   * Answers the MCP servers' requests for input the recording does not answer: a resume of a
   * run that paused for one gives the answer here (as `approve` gives a decision).
   */
  elicit?: RunOptions['elicit']
  /** The clock of the run that replays (e.g. `fakeClock()`); the system clock by default. */
  clock?: Clock
  /** Makes the replay's own ids (its run id), as `liveEffects({ ids })`; random by default. */
  ids?: (kind: string) => string
  /** The replay's own run as a trace, as the `tracer` run option. */
  tracer?: RunOptions['tracer']
  /** Message contents on its spans, as the `traceContent` run option. */
  traceContent?: boolean
  /** Its model calls' metrics, as the `meter` run option. */
  meter?: RunOptions['meter']
}

export interface ResumeOptions extends Omit<ReplayOptions, 'liveTools'> {
  /** A new budget for the run, replacing the recorded limits field by field. */
  budget?: BudgetLimits
}

export interface ForkOptions extends ReplayOptions {
  /** The root step from which the run goes live (steps before it are taken from the recording). */
  from: number
  budget?: BudgetLimits
}

/** A run's result, and where a replay met its recording's limits. */
export interface ReplayResult<O = unknown> extends RunResult<O> {
  /** Steps where the replay and the recording parted (a strict replay stops at the first). */
  divergences: Divergence[]
  /** How many model and tool calls were made live. */
  live: { model: number; tool: number }
}

/** A replay, resume or fork under way: its events as they happen, and its result. */
export interface ReplayStream<O = unknown> {
  events: RunStream<O>
  result: Promise<ReplayResult<O>>
}

export type ReplayMode = 'replay' | 'resume' | 'fork'

/**
 * Replays a transcript: model answers (and, by default, tool results) come from the recording,
 * and each request is checked against the recorded one. Makes no model calls unless lenient.
 *
 * @example
 * const result = await replay('runs/lisbon.jsonl', agent)
 * if (result.status === 'error') console.error(result.error?.message) // names the step and the diff
 */
export async function replay<O>(
  transcript: string | Transcript,
  agent: Agent<O>,
  options: ReplayOptions = {},
): Promise<ReplayResult<O>> {
  checkReplayOptions('replay', options)
  return finish(replayStream(transcript, agent, 'replay', withFields(options, { deltas: false })))
}

/**
 * Resumes a run that crashed, ran out of budget or paused for approval: its recorded prefix
 * replays (completed model calls are not paid for again), then it goes on live. By default the
 * new, complete transcript replaces the old one, once the resume got past the recorded prefix.
 */
export async function resume<O>(
  transcript: string | Transcript,
  agent: Agent<O>,
  options: ResumeOptions = {},
): Promise<ReplayResult<O>> {
  checkReplayOptions('resume', options)
  return finish(replayStream(transcript, agent, 'resume', withFields(options, { deltas: false })))
}

/** Re-runs a transcript from root step `from` on: earlier steps come from the recording as they are. */
export async function fork<O>(
  transcript: string | Transcript,
  agent: Agent<O>,
  options: ForkOptions,
): Promise<ReplayResult<O>> {
  checkReplayOptions('fork', options)
  return finish(replayStream(transcript, agent, 'fork', withFields(options, { deltas: false })))
}

async function finish<O>(started: ReplayStream<O>): Promise<ReplayResult<O>> {
  for await (const _ of started.events);
  return started.result
}

/**
 * The one way a transcript is run again, as a stream of events (what `replay`, `resume` and
 * `fork` drain, and what the CLI shows live).
 */
/** What Baton's own callers may also set on a replay (the durable runs). */
export interface InternalReplayOptions extends ReplayOptions {
  budget?: BudgetLimits
  from?: number
  deltas?: boolean
  /** Where the new transcript's lines go (see `InternalRunOptions.transcriptIo`). */
  transcriptIo?: TranscriptIo
  /** Wraps the replay's effects (the durable door waits for the transcript before each effect). */
  door?: (effects: ReplayEffects) => Effects
  /** What a tool call recorded without a result becomes (default: it runs again). */
  inFlightTools?: ReplayPolicy['inFlightTools']
  ledger?: InternalRunOptions['ledger']
  delegations?: InternalRunOptions['delegations']
}

export function replayStream<O>(
  transcript: string | Transcript,
  agent: Agent<O>,
  mode: ReplayMode,
  options: InternalReplayOptions = {},
): ReplayStream<O> {
  if (!isAgent(agent))
    throw new BatonError(
      'INVALID_OPTIONS',
      `${mode}: expected an agent made by defineAgent, got ${describe(agent)}`,
    )
  const recording = new Recording(givenTranscript(transcript, mode, { paths: true }))
  const { header, path } = { header: recording.header, path: recording.transcript.path }
  if (header.agent.name !== agent.name) {
    throw new BatonError(
      'TRANSCRIPT',
      `${path}:1: this transcript was recorded for agent "${header.agent.name}", not "${agent.name}"`,
      {
        details: { path, line: 1 },
      },
    )
  }
  if (mode === 'replay') refuseUnfinished(recording)
  const policy = replayPolicy(mode, options)
  checkGiven(recording, mode, options)
  if (options.inFlightTools) policy.inFlightTools = options.inFlightTools
  const effects = replayEffects(recording, policy, options)
  const runOptions: InternalRunOptions = {
    effects: options.door ? options.door(effects) : effects,
    budget: layered(header.budget ?? {}, options.budget),
    from: {
      runId: header.runId,
      mode,
      ...(recording.transcript.digest ? { digest: recording.transcript.digest } : {}),
    },
  }
  if (header.prices || options.prices) runOptions.prices = layered(header.prices ?? {}, options.prices)
  if (header.contextWindows) runOptions.contextWindows = header.contextWindows
  if (header.vars) runOptions.vars = header.vars
  if (header.source) runOptions.source = header.source
  if (options.model) runOptions.model = options.model
  if (options.signal) runOptions.signal = options.signal
  if (options.approve) runOptions.approve = options.approve
  if (options.elicit) runOptions.elicit = options.elicit
  if (options.tracer) runOptions.tracer = options.tracer
  if (options.traceContent !== undefined) runOptions.traceContent = options.traceContent
  if (options.meter) runOptions.meter = options.meter
  if (options.deltas !== undefined) runOptions.deltas = options.deltas
  if (options.transcriptIo) runOptions.transcriptIo = options.transcriptIo
  if (options.ledger) runOptions.ledger = options.ledger
  if (options.delegations) runOptions.delegations = options.delegations
  const file = resumeFile(
    path,
    mode === 'resume' ? options.record : undefined,
    mode === 'resume' && !options.transcriptIo && existsSync(path),
  )
  if (mode !== 'resume' && options.record) runOptions.record = options.record
  else if (file.record) runOptions.record = file.record
  let events: RunStream<O>
  try {
    events = streamRun(agent, header.task, runOptions)
  } catch (error) {
    file.abandon()
    throw error
  }
  const result = events.result.then(
    (result) => {
      file.settle(result, effects)
      return withFields(result, { divergences: effects.divergences, live: { ...effects.live } })
    },
    (error: unknown) => {
      file.abandon()
      throw error
    },
  )
  result.catch(() => {})
  return { events, result }
}

/** The replay policy of each mode: what a replay, a resume and a fork do where the recording ends or differs. */
export function replayPolicy(mode: ReplayMode, options: ReplayOptions & { from?: number }): ReplayPolicy {
  const strict = options.strict ?? true
  if (mode === 'replay') {
    return {
      onMissing: strict ? 'error' : 'live',
      onDivergence: strict ? 'error' : 'live',
      liveTools: options.liveTools ?? false,
      recordedModels: options.recordedModels === true,
    }
  }
  if (mode === 'resume')
    return {
      onMissing: 'live',
      onDivergence: strict ? 'error' : 'live',
      liveTools: false,
      recordedModels: options.recordedModels === true,
      retryEndingFailure: true,
    }
  const from = options.from
  if (from === undefined || !Number.isInteger(from) || from < 1) {
    throw new BatonError(
      'INVALID_OPTIONS',
      `fork: from must be a root step number (1 or more), got ${String(from)}`,
    )
  }
  const liveFrom = (key: string) => Number(/^root\/(\d+)\//.exec(key)?.[1] ?? 0) >= from
  return { onMissing: 'live', onDivergence: 'ignore', liveTools: options.liveTools ?? false, liveFrom }
}

/** A strict replay needs the whole run: a cut-off or unfinished transcript is for `resume`. */
function refuseUnfinished(recording: Recording): void {
  const { path, events, truncated } = recording.transcript
  const lines = events.length + 1
  if (truncated) {
    throw new BatonError(
      'TRANSCRIPT',
      `${path}:${lines + 1}: the last line is cut off (the run crashed while writing it); resume it instead of replaying it`,
      {
        details: { path, line: lines + 1 },
      },
    )
  }
  if (events.at(-1)?.type !== 'run.end') {
    throw new BatonError(
      'TRANSCRIPT',
      `${path}:${lines}: the run did not end (no run.end line): it crashed or was killed; resume it instead of replaying it`,
      {
        details: { path, line: lines },
      },
    )
  }
}

export type { Divergence, ReplayEffects }
