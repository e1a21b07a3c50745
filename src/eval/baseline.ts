import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import { type CaseSummary, checkReport, type EvalReport } from './report.js'

export interface BaselineThresholds {
  /** A case's mean cost may rise by this fraction before it counts as a regression. Default 0.2. */
  costIncrease?: number
  /** A case's mean steps may rise by this fraction before it counts as a regression. Default 0.2. */
  stepsIncrease?: number
}

/** One case that got worse than in the baseline. */
export interface Regression {
  eval: string
  case: string
  /** `failing`: passed (pass@k) in the baseline, fails now; `cost` / `steps`: rose past the threshold. */
  kind: 'failing' | 'cost' | 'steps'
  before: number | boolean
  after: number | boolean
  message: string
}

export interface BaselineComparison {
  /** True when there is at least one regression (`baton eval --baseline` then exits 1). */
  regressed: boolean
  regressions: Regression[]
  /** Cases (`eval/case`) in the baseline that this report does not have. */
  missing: string[]
  /** Cases (`eval/case`) in this report that the baseline does not have. */
  added: string[]
}

/**
 * Compares a report with a baseline report, case by case: a case that passed and now fails,
 * or whose mean cost or steps rose by more than the thresholds, is a regression.
 *
 * @example
 * const { regressed, regressions } = compareToBaseline(report, readReport('baseline.json'))
 */
export function compareToBaseline(
  report: EvalReport,
  baseline: EvalReport,
  thresholds: BaselineThresholds = {},
): BaselineComparison {
  checkReport(report, 'compareToBaseline: report')
  checkReport(baseline, 'compareToBaseline: baseline')
  if (typeof thresholds !== 'object' || thresholds === null)
    throw new BatonError(
      'INVALID_OPTIONS',
      `compareToBaseline: thresholds must be an object { costIncrease?, stepsIncrease? }, got ${describe(thresholds)}`,
    )
  const costIncrease = threshold(thresholds.costIncrease, 'costIncrease')
  const stepsIncrease = threshold(thresholds.stepsIncrease, 'stepsIncrease')
  const before = casesOf(baseline)
  const now = casesOf(report)
  const regressions: Regression[] = []
  for (const [id, after] of now) {
    const was = before.get(id)
    if (!was) continue
    const at = { eval: id.slice(0, id.indexOf('/')), case: after.case }
    if (was.passAtK && !after.passAtK)
      regressions.push({
        ...at,
        kind: 'failing',
        before: true,
        after: false,
        message: `${id}: passed in the baseline, fails now`,
      })
    if (rose(was.costUsd, after.costUsd, costIncrease))
      regressions.push({
        ...at,
        kind: 'cost',
        before: was.costUsd,
        after: after.costUsd,
        message: `${id}: cost rose from $${was.costUsd.toFixed(6)} to $${after.costUsd.toFixed(6)}${change(was.costUsd, after.costUsd)}, more than the ${pct(costIncrease)} allowed`,
      })
    if (rose(was.steps, after.steps, stepsIncrease))
      regressions.push({
        ...at,
        kind: 'steps',
        before: was.steps,
        after: after.steps,
        message: `${id}: steps rose from ${round(was.steps)} to ${round(after.steps)}${change(was.steps, after.steps)}, more than the ${pct(stepsIncrease)} allowed`,
      })
  }
  return {
    regressed: regressions.length > 0,
    regressions,
    missing: [...before.keys()].filter((id) => !now.has(id)),
    added: [...now.keys()].filter((id) => !before.has(id)),
  }
}

/** A threshold given, checked (a string or NaN would compare as never rising). */
function threshold(value: unknown, field: keyof BaselineThresholds): number {
  if (value === undefined) return 0.2
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new BatonError(
      'INVALID_OPTIONS',
      `compareToBaseline: thresholds.${field} must be a fraction of 0 or more (0.2 allows a 20% rise), got ${describe(value)}`,
      { details: { field } },
    )
  return value
}

function casesOf(report: EvalReport): Map<string, CaseSummary> {
  const out = new Map<string, CaseSummary>()
  for (const result of report.evals) for (const c of result.cases) out.set(`${result.name}/${c.case}`, c)
  return out
}

// From zero, any rise is past every threshold.
function rose(before: number, after: number, allowed: number): boolean {
  return after > before * (1 + allowed) + 1e-12
}

function change(before: number, after: number): string {
  return before > 0 ? ` (+${pct((after - before) / before)})` : ''
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1)
}
