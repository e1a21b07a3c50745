import { BatonError } from '../errors/index.js'
import { onAbort } from '../loop/on-abort.js'
import type { Model } from '../model/types.js'
import { describe } from '../schema/index.js'
import { VERSION } from '../version.js'
import { DEFAULT_CASSETTE_DIR } from './cassettes.js'
import { type Eval, isEval, MAX_TRIALS } from './define-eval.js'
import {
  byCase,
  type CaseResult,
  type EvalMode,
  type EvalReport,
  REPORT_VERSION,
  summarize,
} from './report.js'
import { runCase } from './run-case.js'
import { abortIfStalled } from './stall.js'

export interface RunEvalOptions {
  /** `replay` (default): offline, from cassettes; `record`: live, writes cassettes; `live`: no cassettes. */
  mode?: EvalMode
  /** Runs at once (cases × trials). Default: the eval's, else 4. */
  concurrency?: number
  /** Runs per case, for pass@k. Default: the eval's, else 1. */
  trials?: number
  /** Default `evals/cassettes`: a case's cassette is `<dir>/<eval>/<case>.jsonl`. */
  cassetteDir?: string
  /** Told when each run starts and ends (for a live view). */
  onProgress?: (event: EvalProgress) => void
  /** Aborting it stops the runs in flight (they end `aborted`) and the ones not started. */
  signal?: AbortSignal
  /** Puts every agent on this model (record and live modes: re-record the cassettes with a real model). */
  model?: Model | string
}

export type EvalProgress =
  | { type: 'case.start'; eval: string; case: string; trial: number }
  | { type: 'case.end'; eval: string; result: CaseResult }

const MODES = new Set<EvalMode>(['replay', 'record', 'live'])
export const DEFAULT_EVAL_CONCURRENCY = 4

/**
 * Runs every case of an eval (× trials), concurrently up to a limit, scores each run and
 * returns the report. In replay mode no model is called: a missing or divergent cassette is a
 * failed case that says why.
 *
 * @example
 * const report = await runEval(supportDeskEval, { mode: 'replay' })
 * console.log(report.summary.passRate)
 */
export async function runEval<O>(definition: Eval<O>, options: RunEvalOptions = {}): Promise<EvalReport> {
  if (!isEval(definition))
    throw new BatonError(
      'INVALID_OPTIONS',
      `runEval: expected an eval made by defineEval, got ${describe(definition)}`,
    )
  if (typeof options !== 'object' || options === null)
    throw new BatonError('INVALID_OPTIONS', `runEval: options must be an object, got ${describe(options)}`)
  const mode = options.mode ?? 'replay'
  if (!MODES.has(mode)) bad('mode', '"replay", "record" or "live"', mode)
  const trials = count('trials', options.trials ?? definition.trials ?? 1, MAX_TRIALS)
  const concurrency = count(
    'concurrency',
    options.concurrency ?? definition.concurrency ?? DEFAULT_EVAL_CONCURRENCY,
  )
  const cassetteDir = options.cassetteDir ?? DEFAULT_CASSETTE_DIR
  if (typeof cassetteDir !== 'string' || cassetteDir === '')
    bad('cassetteDir', 'a directory path', cassetteDir)

  const startedAt = new Date()
  const started = performance.now()
  const jobs = definition.cases.flatMap((item) =>
    Array.from({ length: trials }, (_, k) => ({ item, trial: k + 1 })),
  )
  const results: CaseResult[] = new Array(jobs.length)
  // A progress listener that throws ends the eval with its error, once the runs in flight have
  // stopped: none goes on unseen after runEval has rejected.
  const halt = new AbortController()
  let thrown: { error: unknown } | undefined
  const progress = (event: EvalProgress): void => {
    if (!options.onProgress || thrown) return
    try {
      options.onProgress(event)
    } catch (error) {
      thrown = { error }
      halt.abort(error)
    }
  }
  await pool(jobs.length, concurrency, async (i) => {
    if (thrown) return
    const { item, trial } = jobs[i]!
    progress({ type: 'case.start', eval: definition.name, case: item.name, trial })
    if (thrown) return
    // Each run has its own signal: the caller's abort stops every run, a run that can never
    // finish (a scorer whose promise never settles) stops alone.
    const stop = new AbortController()
    const unhalt = onAbort(halt.signal, (reason) => stop.abort(reason))
    const unlink = options.signal ? onAbort(options.signal, (reason) => stop.abort(reason)) : undefined
    const unwatch = abortIfStalled(stop)
    let result: CaseResult
    try {
      result = await runCase(definition, item, trial, {
        mode,
        cassetteDir,
        signal: stop.signal,
        ...(options.model ? { model: options.model } : {}),
      })
    } finally {
      unwatch()
      unlink?.()
      unhalt()
    }
    results[i] = result
    progress({ type: 'case.end', eval: definition.name, result })
  })
  if (thrown) throw thrown.error
  const summary = summarize(results)
  return {
    version: REPORT_VERSION,
    baton: VERSION,
    createdAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    summary,
    evals: [{ name: definition.name, mode, trials, summary, cases: byCase(results), results }],
  }
}

/** Runs `task(0..count-1)` with at most `limit` at once. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker))
}

function count(field: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    bad(field, 'a whole number of 1 or more', value)
  if ((value as number) > max) bad(field, `at most ${max}`, value)
  return value as number
}

function bad(field: string, expected: string, value: unknown): never {
  throw new BatonError(
    'INVALID_OPTIONS',
    `runEval: options.${field} must be ${expected}, got ${describe(value)}`,
    {
      details: { field },
    },
  )
}
