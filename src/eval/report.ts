import { BatonError, type ErrorInfo } from '../errors/index.js'
import type { RunStatus, StopReason } from '../events/index.js'
import { fileProblem, readTextFile } from '../files/read-text.js'
import { describe } from '../schema/index.js'
import { VERSION } from '../version.js'

/** `replay` answers from cassettes (offline), `record` runs live and writes them, `live` runs live. */
export type EvalMode = 'replay' | 'record' | 'live'

/** One scorer's verdict on one run. */
export interface ScorerResult {
  name: string
  pass: boolean
  score: number
  reason?: string
}

/** One run of one case (one trial). */
export interface CaseResult {
  case: string
  /** From 1. */
  trial: number
  /** The run ended `done`, nothing failed around it, and every scorer passed. */
  pass: boolean
  /** The mean of the scorer scores, in [0, 1]. */
  score: number
  scores: ScorerResult[]
  status: RunStatus
  /** The run's stop reason; a case that could not run says why with an error code. */
  stopReason: StopReason
  /** What went wrong: the run's error, a missing or divergent cassette, a scorer that threw. */
  error?: ErrorInfo
  /** Why the case failed, in one line (absent when it passed). */
  failure?: string
  inputTokens: number
  outputTokens: number
  costUsd: number
  /** Wall time of this run and its scoring, in this mode. */
  latencyMs: number
  steps: number
  toolCalls: number
  /** The cassette replayed or recorded. */
  cassette?: string
}

/** A case over its trials. */
export interface CaseSummary {
  case: string
  trials: number
  /** Trials that passed. */
  passed: number
  /** pass@k: at least one of the k trials passed. */
  passAtK: boolean
  /**
   * pass^k: every one of the k trials passed — how reliably the agent does it, not whether it
   * can (τ-bench). Absent from reports written before Baton reported it.
   */
  passAllK?: boolean
  /** Means over the trials. */
  score: number
  costUsd: number
  steps: number
  latencyMs: number
}

export interface EvalSummary {
  cases: number
  /** Runs: cases × trials. */
  runs: number
  /** Runs that passed. */
  passed: number
  /** passed / runs: the per-trial pass rate. */
  passRate: number
  /** Cases with at least one passing trial. */
  passedAtK: number
  /** passedAtK / cases. */
  passAtK: number
  /** Cases whose every trial passed (pass^k); absent from reports written before. */
  passedAllK?: number
  /** passedAllK / cases. */
  passAllK?: number
  /** The mean score over runs. */
  score: number
  inputTokens: number
  outputTokens: number
  costUsd: number
  meanLatencyMs: number
}

/** One eval's results. */
export interface EvalResult {
  name: string
  mode: EvalMode
  trials: number
  summary: EvalSummary
  cases: CaseSummary[]
  /** Every run, by case then trial. */
  results: CaseResult[]
}

/** What `runEval` returns and `baton eval` writes as JSON: one or more evals, versioned. */
export interface EvalReport {
  version: 1
  /** The Baton version that made it. */
  baton: string
  createdAt: string
  durationMs: number
  summary: EvalSummary
  evals: EvalResult[]
}

export const REPORT_VERSION = 1

/** Totals and rates over runs. */
export function summarize(results: readonly CaseResult[]): EvalSummary {
  const cases = byCase(results)
  const passed = results.filter((r) => r.pass).length
  const passedAtK = cases.filter((c) => c.passAtK).length
  const passedAllK = cases.filter((c) => c.passAllK).length
  return {
    cases: cases.length,
    runs: results.length,
    passed,
    passRate: ratio(passed, results.length),
    passedAtK,
    passAtK: ratio(passedAtK, cases.length),
    passedAllK,
    passAllK: ratio(passedAllK, cases.length),
    score: mean(results.map((r) => r.score)),
    inputTokens: sum(results.map((r) => r.inputTokens)),
    outputTokens: sum(results.map((r) => r.outputTokens)),
    costUsd: sum(results.map((r) => r.costUsd)),
    meanLatencyMs: mean(results.map((r) => r.latencyMs)),
  }
}

/** The summary of several evals (case names are only unique within an eval). */
function combine(summaries: readonly EvalSummary[]): EvalSummary {
  const total = (field: keyof EvalSummary) => sum(summaries.map((s) => s[field] ?? 0))
  const runs = total('runs')
  const cases = total('cases')
  const byRuns = (field: 'score' | 'meanLatencyMs') =>
    ratio(sum(summaries.map((s) => s[field] * s.runs)), runs)
  return {
    cases,
    runs,
    passed: total('passed'),
    passRate: ratio(total('passed'), runs),
    passedAtK: total('passedAtK'),
    passAtK: ratio(total('passedAtK'), cases),
    passedAllK: total('passedAllK'),
    passAllK: ratio(total('passedAllK'), cases),
    score: byRuns('score'),
    inputTokens: total('inputTokens'),
    outputTokens: total('outputTokens'),
    costUsd: total('costUsd'),
    meanLatencyMs: byRuns('meanLatencyMs'),
  }
}

/** Each case over its trials, in the order the cases first appear. */
export function byCase(results: readonly CaseResult[]): CaseSummary[] {
  const groups = new Map<string, CaseResult[]>()
  for (const result of results) {
    const group = groups.get(result.case) ?? []
    group.push(result)
    groups.set(result.case, group)
  }
  return [...groups].map(([name, runs]) => ({
    case: name,
    trials: runs.length,
    passed: runs.filter((r) => r.pass).length,
    passAtK: runs.some((r) => r.pass),
    passAllK: runs.every((r) => r.pass),
    score: mean(runs.map((r) => r.score)),
    costUsd: mean(runs.map((r) => r.costUsd)),
    steps: mean(runs.map((r) => r.steps)),
    latencyMs: mean(runs.map((r) => r.latencyMs)),
  }))
}

/** Combines reports (several eval files run together) into one. */
export function mergeReports(reports: readonly EvalReport[]): EvalReport {
  const evals = reports.flatMap((r) => r.evals)
  return {
    version: REPORT_VERSION,
    baton: VERSION,
    createdAt: reports[0]?.createdAt ?? new Date().toISOString(),
    durationMs: Math.max(0, ...reports.map((r) => r.durationMs)),
    summary: combine(evals.map((e) => e.summary)),
    evals,
  }
}

/** Reads a JSON eval report (e.g. a baseline), refusing anything that is not one of version 1. */
export function readReport(path: string): EvalReport {
  let text: string
  try {
    text = readTextFile(path)
  } catch (error) {
    throw new BatonError('INVALID_OPTIONS', `${path}: cannot read the eval report: ${fileProblem(error)}`, {
      cause: error,
      details: { path },
    })
  }
  return parseReport(text, path)
}

/**
 * Throws unless `value` is an eval report (what runEval returns, or readReport reads), down to
 * every field that the HTML page and the baseline comparison read; the error names the field
 * (`evals[0].cases[2].costUsd must be a number, got the string "cheap"`).
 */
export function checkReport(value: unknown, where: string): asserts value is EvalReport {
  const report = value as Partial<EvalReport>
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray(report.evals) ||
    report.evals.some((e) => typeof e !== 'object' || e === null || !Array.isArray(e.results))
  )
    throw new BatonError(
      'INVALID_OPTIONS',
      `${where}: not an eval report (what runEval returns or readReport reads: { evals: [{ results }] }), got ${describe(value)}`,
    )
  const problem = reportProblem(report as EvalReport)
  if (problem) throw new BatonError('INVALID_OPTIONS', `${where}: not a well-formed eval report: ${problem}`)
}

type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object'

const SUMMARY: Record<Exclude<keyof EvalSummary, 'passedAllK' | 'passAllK'>, Kind> = {
  cases: 'number',
  runs: 'number',
  passed: 'number',
  passRate: 'number',
  passedAtK: 'number',
  passAtK: 'number',
  score: 'number',
  inputTokens: 'number',
  outputTokens: 'number',
  costUsd: 'number',
  meanLatencyMs: 'number',
}
// Fields a report of an earlier Baton lacks.
const OPTIONAL_SUMMARY = { passedAllK: 'number', passAllK: 'number' } as const
const CASE: Record<Exclude<keyof CaseSummary, 'passAllK'>, Kind> = {
  case: 'string',
  trials: 'number',
  passed: 'number',
  passAtK: 'boolean',
  score: 'number',
  costUsd: 'number',
  steps: 'number',
  latencyMs: 'number',
}
const RESULT: Partial<Record<keyof CaseResult, Kind>> = {
  case: 'string',
  trial: 'number',
  pass: 'boolean',
  score: 'number',
  scores: 'array',
  status: 'string',
  stopReason: 'string',
  inputTokens: 'number',
  outputTokens: 'number',
  costUsd: 'number',
  latencyMs: 'number',
  steps: 'number',
  toolCalls: 'number',
}
const OPTIONAL_RESULT: Partial<Record<keyof CaseResult, Kind>> = {
  failure: 'string',
  cassette: 'string',
  error: 'object',
}
const SCORE: Record<string, Kind> = { name: 'string', pass: 'boolean', score: 'number' }

/** The first field of a report that is missing or of the wrong kind, said as `<path> must be …`. */
function reportProblem(report: EvalReport): string | undefined {
  return (
    fields(report, { baton: 'string', createdAt: 'string', durationMs: 'number', summary: 'object' }, '') ??
    fields(report.summary, SUMMARY, 'summary.') ??
    fields(report.summary, OPTIONAL_SUMMARY, 'summary.', true) ??
    first(report.evals, (result, i) => {
      const at = `evals[${i}].`
      return (
        fields(
          result,
          { name: 'string', mode: 'string', trials: 'number', summary: 'object', cases: 'array' },
          at,
        ) ??
        fields(result.summary, SUMMARY, `${at}summary.`) ??
        fields(result.summary, OPTIONAL_SUMMARY, `${at}summary.`, true) ??
        first(
          result.cases,
          (c, j) =>
            fields(c, CASE, `${at}cases[${j}].`) ??
            fields(c, { passAllK: 'boolean' }, `${at}cases[${j}].`, true),
        ) ??
        first(
          result.results,
          (r, j) =>
            fields(r, RESULT, `${at}results[${j}].`) ??
            fields(r, OPTIONAL_RESULT, `${at}results[${j}].`, true) ??
            first(r.scores, (s, k) => {
              const path = `${at}results[${j}].scores[${k}].`
              return fields(s, SCORE, path) ?? fields(s, { reason: 'string' }, path, true)
            }),
        )
      )
    })
  )
}

function first<T>(items: readonly T[], problem: (item: T, i: number) => string | undefined) {
  for (const [i, item] of items.entries()) {
    const found = problem(item, i)
    if (found) return found
  }
  return undefined
}

function fields(value: unknown, kinds: object, at: string, optional = false): string | undefined {
  const path = at.endsWith('.') ? at.slice(0, -1) : at
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `${path || 'the report'} must be an object, got ${describe(value)}`
  for (const [key, kind] of Object.entries(kinds) as [string, Kind][]) {
    const field = (value as Record<string, unknown>)[key]
    if (optional && field === undefined) continue
    const ok =
      kind === 'array'
        ? Array.isArray(field)
        : kind === 'object'
          ? typeof field === 'object' && field !== null && !Array.isArray(field)
          : kind === 'number'
            ? typeof field === 'number' && Number.isFinite(field)
            : typeof field === kind
    if (!ok)
      return `${at}${key} must be ${kind === 'array' || kind === 'object' ? 'an' : 'a'} ${kind}, got ${describe(field)}`
  }
  return undefined
}

/** Parses a JSON eval report; `where` names it in errors. */
export function parseReport(text: string, where = '<report>'): EvalReport {
  let data: Partial<EvalReport>
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new BatonError('INVALID_OPTIONS', `${where}: not JSON: ${(error as Error).message}`)
  }
  checkReport(data, where)
  if (data.version !== REPORT_VERSION)
    throw new BatonError(
      'INVALID_OPTIONS',
      `${where}: eval report version ${JSON.stringify(data.version)} is not supported (this Baton reads version ${REPORT_VERSION})`,
    )
  return data as EvalReport
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0)
}

function mean(values: readonly number[]): number {
  return values.length ? sum(values) / values.length : 0
}

function ratio(a: number, b: number): number {
  return b ? a / b : 0
}
