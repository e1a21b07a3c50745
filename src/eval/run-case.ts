import { existsSync } from 'node:fs'
import { isAgent } from '../agent/index.js'
import { BatonError, type ErrorInfo, toErrorInfo } from '../errors/index.js'
import type { StopReason } from '../events/index.js'
import { checkedScore, type ScoreInput } from '../goal/index.js'
import { raceAbort } from '../loop/on-abort.js'
import { stableStringify } from '../loop/stable-stringify.js'
import type { Model } from '../model/types.js'
import { type ReplayOptions, replay } from '../replay/index.js'
import { run } from '../run/index.js'
import type { RunOptions, RunResult } from '../run/types.js'
import { describe } from '../schema/index.js'
import { readTranscript } from '../transcript/index.js'
import { safeStringify } from '../transcript/safe-json.js'
import { cassettePath, scoresPath } from './cassettes.js'
import type { Eval, EvalCase } from './define-eval.js'
import type { CaseResult, EvalMode, ScorerResult } from './report.js'
import { scorerAnswers } from './scorer-answers.js'
import { show } from './scorers/show.js'
import { isStall } from './stall.js'

export interface CaseRunOptions {
  mode: EvalMode
  cassetteDir: string
  signal: AbortSignal | undefined
  /** Overrides the eval's model (record and live modes: re-record with a real model). */
  model?: Model | string
}

const RECORD_HINT = 're-record it with `baton eval --mode record` if the change is intended'

/** Runs one trial of one case (from its cassette, or live) and scores it. Never throws. */
export async function runCase<O>(
  definition: Eval<O>,
  item: EvalCase<O>,
  trial: number,
  options: CaseRunOptions,
): Promise<CaseResult> {
  const started = performance.now()
  const { mode, cassetteDir, signal } = options
  const model = options.model ?? definition.model
  const which = `case "${item.name}"${trial > 1 ? ` (trial ${trial})` : ''}`
  const cassette = mode === 'live' ? undefined : cassettePath(cassetteDir, definition.name, item.name, trial)
  let result: RunResult<O> | undefined
  // What went wrong around the run (cassette, scorers), as opposed to inside it.
  let error: ErrorInfo | undefined
  try {
    const agent = definition.agent({ case: item.name, trial })
    if (!isAgent(agent))
      throw new BatonError(
        'INVALID_DEFINITION',
        `${which}: the eval's agent function must return an agent made by defineAgent, got ${describe(agent)}`,
      )
    if (mode === 'replay') {
      const path = cassette!
      if (!existsSync(path))
        throw new BatonError(
          'REPLAY_MISSING',
          `${which}: no cassette at ${path}; record it with \`baton eval --mode record\``,
          {
            details: { path },
          },
        )
      const transcript = readTranscript(path)
      if (stableStringify(transcript.header.task) !== stableStringify(item.input))
        throw new BatonError(
          'REPLAY_DIVERGENCE',
          `${which}: the cassette ${path} was recorded for another input: recorded ${show(transcript.header.task)}, the case now has ${show(item.input)}; ${RECORD_HINT}`,
          { details: { path } },
        )
      // A model override is never called in a strict replay; it prices the recorded usage.
      const replayOptions: ReplayOptions = { strict: true }
      if (model) replayOptions.model = model
      if (signal) replayOptions.signal = signal
      const replayed = await replay(transcript, agent, replayOptions)
      result = replayed
      error = cassetteError(replayed.error, which, path)
    } else {
      const runOptions: RunOptions = {}
      if (cassette) runOptions.record = cassette
      if (definition.budget) runOptions.budget = definition.budget
      if (model) runOptions.model = model
      if (item.vars) runOptions.vars = item.vars
      if (signal) runOptions.signal = signal
      result = await run(agent, item.input, runOptions)
    }
  } catch (thrown) {
    const info = toErrorInfo(thrown)
    error = info.message.startsWith(which) ? info : { ...info, message: `${which}: ${info.message}` }
  }

  const scores: ScorerResult[] = []
  const answers = scorerAnswers(mode, scoresPath(cassetteDir, definition.name, item.name, trial), signal)
  // A run that left its cassette proves nothing: its scores would grade another run.
  if (result && !error) {
    const input = scoreInput(item, result)
    const ctx = { generate: answers.generate, signal: signal ?? new AbortController().signal }
    for (const scorer of [...definition.scorers, ...(item.scorers ?? [])]) {
      try {
        // Raced with the signal: a scorer that ignores it cannot hold the eval past an abort.
        const work = Promise.resolve().then(() => scorer.score(input, ctx))
        const verdict = checkedScore(await raceAbort(work, signal), scorer.name)
        const score: ScorerResult = { name: scorer.name, pass: verdict.pass, score: verdict.score }
        if (verdict.reason) score.reason = verdict.reason
        scores.push(score)
      } catch (thrown) {
        const info = toErrorInfo(thrown)
        const stopped = signal?.aborted === true && thrown === signal.reason
        // A verdict that is not a score is said so, a scorer stopped by the abort too; any other
        // failure was thrown.
        const what =
          info.code === 'GOAL_CHECK_FAILED' || isStall(thrown)
            ? info.message
            : stopped
              ? 'was stopped before it finished: the eval was aborted'
              : `threw: ${info.message}`
        scores.push({ name: scorer.name, pass: false, score: 0, reason: what })
        // A run that ended otherwise already says why it failed; the abort stopped its scorers too.
        if (!stopped || result.status === 'done')
          error ??= {
            ...info,
            code: stopped ? 'ABORTED' : info.code,
            message: `${which}: scorer "${scorer.name}" ${what}`,
          }
      }
    }
  }
  try {
    answers.save()
  } catch (thrown) {
    error ??= toErrorInfo(thrown)
  }

  const status = result?.status ?? 'error'
  const stopReason: StopReason = result?.stopReason ?? error?.code ?? 'INTERNAL'
  const pass = status === 'done' && !error && scores.every((s) => s.pass)
  const usage = result?.usage
  const row: CaseResult = {
    case: item.name,
    trial,
    pass,
    score: scores.length ? scores.reduce((a, s) => a + s.score, 0) / scores.length : pass ? 1 : 0,
    scores,
    status,
    stopReason,
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    costUsd: usage?.costUsd ?? 0,
    latencyMs: Math.round(performance.now() - started),
    steps: usage?.steps ?? 0,
    toolCalls: usage?.toolCalls ?? 0,
  }
  const problem = error ?? result?.error
  if (problem) row.error = jsonSafe(problem)
  if (!pass) row.failure = error?.message ?? failureOf(row)
  if (cassette) row.cassette = cassette
  return row
}

function scoreInput<O>(item: EvalCase<O>, result: RunResult<O>): ScoreInput<O> {
  const { output, usage } = result
  const input: ScoreInput<O> = {
    task: item.input,
    output: output as O,
    // The answer as text: the final text, or the structured output as JSON.
    text: typeof output === 'string' ? output : output === undefined ? '' : JSON.stringify(output),
    trajectory: result.trajectory,
    usage: {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costUsd: usage.costUsd,
      steps: usage.steps,
      toolCalls: usage.toolCalls,
    },
  }
  if (item.expected !== undefined) input.expected = item.expected
  return input
}

/** A replay that left its cassette, said as: which case, which step, and how. */
function cassetteError(error: ErrorInfo | undefined, which: string, path: string): ErrorInfo | undefined {
  if (error?.code !== 'REPLAY_DIVERGENCE' && error?.code !== 'REPLAY_MISSING') return undefined
  const step = typeof error.details?.step === 'string' ? error.details.step : undefined
  const how =
    step && error.message.startsWith(`${step}: `) ? error.message.slice(step.length + 2) : error.message
  const message =
    error.code === 'REPLAY_DIVERGENCE'
      ? `${which}: the cassette ${path} diverges at step ${step ?? '?'}: ${how}\n(${RECORD_HINT})`
      : `${which}: the cassette ${path} has no answer for step ${step ?? '?'}: ${how}\n(${RECORD_HINT})`
  return { ...error, message, details: { ...error.details, path } }
}

/** Why a case that ran failed: how the run ended, or the first scorer that did not pass. */
function failureOf(row: CaseResult): string {
  if (row.status !== 'done')
    return `the run ended ${row.status} (${row.stopReason})${row.error ? `: ${row.error.message}` : ''}`
  const failed = row.scores.find((s) => !s.pass)
  return failed ? `${failed.name}: ${failed.reason ?? `score ${failed.score}`}` : 'failed'
}

/**
 * An error as the report can hold it: the report is JSON, and details come from anywhere (a
 * scorer's or a tool's own error), so BigInts become strings and cycles markers.
 */
function jsonSafe(error: ErrorInfo): ErrorInfo {
  if (error.details === undefined) return error
  let details: Record<string, unknown> | undefined
  try {
    details = JSON.parse(safeStringify(error.details)) as Record<string, unknown>
  } catch {
    // A getter that throws: the code and the message still say what went wrong.
    details = undefined
  }
  const { details: _, ...rest } = error
  return details === undefined ? rest : { ...rest, details }
}
