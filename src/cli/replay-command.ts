/**
 * `baton replay <transcript>` and `baton run <module> --resume <transcript>`: the library's
 * `replayStream()`, so the CLI shows the same live log as `baton run`.
 */
import { existsSync, realpathSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { Agent } from '../agent/index.js'
import type { BudgetLimits, PriceTable } from '../budget/index.js'
import type { Model } from '../model/index.js'
import { type ReplayOptions, type ReplayResult, replayStream } from '../replay/index.js'
import type { RunStream } from '../run/index.js'
import type { Transcript, TranscriptHeader } from '../transcript/index.js'
import { UsageError } from './args.js'

export interface AgainOptions {
  /** Fail on the first divergence (replay default), or go on live from it. */
  strict: boolean
  /** Replay only: run the tools for real. */
  liveTools?: boolean
  /** Default: each recorded step is answered as the recorded model answered it. */
  model?: Model | string
  record?: string
  prices?: PriceTable
  /** Resume only: a new budget, replacing the recorded limits field by field. */
  budget?: BudgetLimits
  signal?: AbortSignal
  /** Stream the recorded answers as they are written out again (for the live tree). */
  deltas?: boolean
  /** The run as a trace (`--otel`). */
  tracer?: ReplayOptions['tracer']
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
    // No model is called for a recorded step, so the model the module names now is not compared
    // with the recorded one unless --model asks for a model.
    ...(options.model ? { model: options.model } : { recordedModels: true }),
    ...(options.prices ? { prices: options.prices } : {}),
    ...(options.record ? { record: options.record } : {}),
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.tracer ? { tracer: options.tracer } : {}),
    deltas: options.deltas === true,
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

/**
 * The agent to replay `transcript` through: `--agent`, else the module its header names. A
 * transcript is data someone may have sent, and importing a module runs its code: the module it
 * names is loaded only when it lies inside the working directory (a relative path that does not
 * climb out, no symlink leading out), and `say` tells which module is loaded.
 */
export function replayTarget(
  transcript: Transcript,
  given: { module: string; exportName: string | undefined } | undefined,
  say: (line: string) => void,
  cwd = process.cwd(),
): { module: string; exportName: string | undefined } {
  if (given) return given
  const named = recordedSource(transcript.header)
  if (!named) {
    throw new UsageError(
      `${transcript.path} does not name the module of its agent "${transcript.header.agent.name}"; pass --agent <agent-module>[#export]`,
    )
  }
  const outside = outsideOf(cwd, named.module)
  if (outside) {
    throw new UsageError(
      `${transcript.path} names the agent module ${JSON.stringify(named.module)}, ${outside}; a transcript's module is loaded only from inside the working directory: pass --agent <agent-module>[#export] if you trust it`,
    )
  }
  say(`loading agent module ${named.module} named by the transcript (--agent <module> to choose another)`)
  return named
}

/** Why `module` is not a path inside `cwd` (after following symlinks), or undefined when it is. */
export function outsideOf(cwd: string, module: string): string | undefined {
  if (isAbsolute(module) || /^[a-zA-Z]:|^[\\/]/.test(module)) return 'an absolute path'
  const inside = (base: string, path: string) => {
    const from = relative(base, path)
    return from !== '' && from !== '..' && !from.startsWith(`..${sep}`) && !isAbsolute(from)
  }
  const file = resolve(cwd, module)
  if (!inside(resolve(cwd), file)) return 'which is outside the working directory'
  // A missing module is reported as not found when it is loaded.
  if (existsSync(file) && !inside(realpathSync(cwd), realpathSync(file)))
    return 'which leads outside the working directory through a symbolic link'
  return undefined
}
