/**
 * @module replay
 * Record once, test forever: `replay` re-runs a transcript through the same agent definition
 * with no network, `resume` replays a crashed, stopped or paused run and goes on live, and
 * `fork` re-runs it from a step with a different model, prompt or tool.
 */
import type { Agent } from '../agent/index.js'
import type { BudgetLimits } from '../budget/index.js'
import { BatonError } from '../errors/index.js'
import type { Model } from '../model/types.js'
import { run } from '../run/run.js'
import type { RunOptions, RunResult } from '../run/types.js'
import { readTranscript, type Transcript } from '../transcript/index.js'
import { Recording } from './recording.js'
import { type Divergence, type ReplayPolicy, replayEffects } from './replay-effects.js'

export interface ReplayOptions {
  /** Fail on the first divergence (default), or go on live from it (needs a model that can answer). */
  strict?: boolean
  /** Run the tools for real instead of reusing their recorded results. */
  liveTools?: boolean
  /** The model for steps that go live (lenient replays); default: the agents' own. */
  model?: Model | string
  /** Write the replay's own transcript here. */
  record?: string
  signal?: AbortSignal
  approve?: RunOptions['approve']
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

/**
 * Replays a transcript: model answers (and, by default, tool results) come from the recording,
 * and each request is checked against the recorded one. Makes no model calls unless lenient.
 *
 * @example
 * const result = await replay('runs/lisbon.jsonl', agent)
 * if (result.status === 'error') console.error(result.error?.message) // names the step and the diff
 */
export function replay<O>(
  transcript: string | Transcript,
  agent: Agent<O>,
  options: ReplayOptions = {},
): Promise<ReplayResult<O>> {
  const strict = options.strict ?? true
  return again(transcript, agent, options, 'replay', {
    onMissing: strict ? 'error' : 'live',
    onDivergence: strict ? 'error' : 'live',
    liveTools: options.liveTools ?? false,
  })
}

/**
 * Resumes a run that crashed, ran out of budget or paused for approval: its recorded prefix
 * replays (completed model calls are not paid for again), then it goes on live. By default the
 * new, complete transcript replaces the old one.
 */
export function resume<O>(
  transcript: string | Transcript,
  agent: Agent<O>,
  options: ResumeOptions = {},
): Promise<ReplayResult<O>> {
  const record = options.record ?? (typeof transcript === 'string' ? transcript : undefined)
  return again(transcript, agent, { ...options, ...(record ? { record } : {}) }, 'resume', {
    onMissing: 'live',
    onDivergence: options.strict === false ? 'live' : 'error',
    liveTools: false,
  })
}

/** Re-runs a transcript from root step `from` on: earlier steps come from the recording as they are. */
export function fork<O>(
  transcript: string | Transcript,
  agent: Agent<O>,
  options: ForkOptions,
): Promise<ReplayResult<O>> {
  if (!Number.isInteger(options.from) || options.from < 1) {
    throw new BatonError(
      'INVALID_OPTIONS',
      `fork: from must be a root step number (1 or more), got ${String(options.from)}`,
    )
  }
  const liveFrom = (key: string) => Number(/^root\/(\d+)\//.exec(key)?.[1] ?? 0) >= options.from
  return again(transcript, agent, options, 'fork', {
    onMissing: 'live',
    onDivergence: 'ignore',
    liveTools: options.liveTools ?? false,
    liveFrom,
  })
}

async function again<O>(
  transcript: string | Transcript,
  agent: Agent<O>,
  options: ReplayOptions & { budget?: BudgetLimits },
  mode: 'replay' | 'resume' | 'fork',
  policy: ReplayPolicy,
): Promise<ReplayResult<O>> {
  const recording = new Recording(typeof transcript === 'string' ? readTranscript(transcript) : transcript)
  const { header } = recording
  if (header.agent.name !== agent.name) {
    throw new BatonError(
      'TRANSCRIPT',
      `${recording.transcript.path}:1: this transcript was recorded for agent "${header.agent.name}", not "${agent.name}"`,
      { details: { path: recording.transcript.path, line: 1 } },
    )
  }
  const effects = replayEffects(recording, policy)
  const runOptions: RunOptions = {
    effects,
    budget: { ...header.budget, ...options.budget },
    from: { runId: header.runId, mode },
  }
  if (header.prices) runOptions.prices = header.prices
  if (header.vars) runOptions.vars = header.vars
  if (options.model) runOptions.model = options.model
  if (options.record) runOptions.record = options.record
  if (options.signal) runOptions.signal = options.signal
  if (options.approve) runOptions.approve = options.approve
  const result = await run(agent, header.task, runOptions)
  return { ...result, divergences: effects.divergences, live: { ...effects.live } }
}
