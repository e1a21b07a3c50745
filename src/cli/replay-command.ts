/**
 * `baton replay <transcript>` and `baton run <module> --resume <transcript>`: the library's
 * `replayStream()`, so the CLI shows the same live log as `baton run`.
 */
import type { Agent } from '../agent/index.js'
import type { BudgetLimits } from '../budget/index.js'
import { type ReplayResult, replayStream } from '../replay/index.js'
import type { RunStream } from '../run/index.js'
import type { Transcript, TranscriptHeader } from '../transcript/index.js'
import { UsageError } from './args.js'

export interface AgainOptions {
  /** Fail on the first divergence (replay default), or go on live from it. */
  strict: boolean
  /** Replay only: run the tools for real. */
  liveTools?: boolean
  model?: string
  record?: string
  /** Resume only: a new budget, replacing the recorded limits field by field. */
  budget?: BudgetLimits
  signal?: AbortSignal
}

/** A replay or resume under way: its events, and its result with the divergences. */
export interface Again {
  events: RunStream
  /** The run's result with the divergences and live call counts, as `replay()` returns it. */
  result: Promise<ReplayResult>
}

/** Starts replaying (or resuming) `transcript` through `agent`, exactly as `replay()`/`resume()` do. */
export function startAgain(
  transcript: Transcript,
  agent: Agent,
  mode: 'replay' | 'resume',
  options: AgainOptions,
): Again {
  const again = replayStream(transcript, agent, mode, {
    strict: options.strict,
    ...(options.liveTools ? { liveTools: true } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.record ? { record: options.record } : {}),
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  })
  return again as Again
}

/**
 * The agent module a transcript names in its header (`source: { module, export? }`: the module
 * path relative to the directory `baton run` ran in, and the export when one was named), or
 * undefined when it names none.
 */
export function recordedSource(
  header: TranscriptHeader,
): { module: string; exportName: string | undefined } | undefined {
  const source: unknown = header.source
  if (typeof source !== 'object' || source === null) return undefined
  const { module, export: exportName } = source as { module?: unknown; export?: unknown }
  if (typeof module !== 'string' || module === '') return undefined
  return { module, exportName: typeof exportName === 'string' ? exportName : undefined }
}

/** The agent to replay `transcript` through: `--agent`, else the module its header names. */
export function replayTarget(
  transcript: Transcript,
  given: { module: string; exportName: string | undefined } | undefined,
): { module: string; exportName: string | undefined } {
  const target = given ?? recordedSource(transcript.header)
  if (!target) {
    throw new UsageError(
      `${transcript.path} does not name the module of its agent "${transcript.header.agent.name}"; pass --agent <agent-module>[#export]`,
    )
  }
  return target
}
