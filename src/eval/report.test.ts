import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defineAgent } from '../agent/index.js'
import { defineScorer } from '../goal/index.js'
import { scriptedModel } from '../testing/index.js'
import { compareToBaseline } from './baseline.js'
import { defineEval } from './define-eval.js'
import { renderHtml } from './html-report.js'
import {
  byCase,
  type CaseResult,
  type EvalReport,
  type EvalResult,
  mergeReports,
  parseReport,
  readReport,
  summarize,
} from './report.js'
import { runEval } from './runner.js'

async function sampleReport(): Promise<EvalReport> {
  const definition = defineEval({
    name: 'html',
    agent: () =>
      defineAgent({
        name: 'a',
        instructions: 'x',
        model: scriptedModel([{ text: '<b>bold</b> & "quoted"' }]),
      }),
    cases: [
      { name: 'ok', input: 'go' },
      { name: 'bad', input: 'go' },
    ],
    scorers: [
      defineScorer('tag', () => ({
        pass: false,
        score: 0.25,
        reason: 'expected </td><script>alert(1)</script>',
      })),
    ],
  })
  return runEval(definition, { mode: 'live' })
}

/** A report made of rows, for baseline tests. */
function reportOf(rows: Partial<CaseResult>[], name = 'e'): EvalReport {
  const results = rows.map((row, i) => ({
    case: `c${i}`,
    trial: 1,
    pass: true,
    score: 1,
    scores: [],
    status: 'done' as const,
    stopReason: 'goal' as const,
    inputTokens: 10,
    outputTokens: 10,
    costUsd: 0.01,
    latencyMs: 5,
    steps: 4,
    toolCalls: 1,
    ...row,
  }))
  const summary = summarize(results)
  return {
    version: 1,
    baton: '0',
    createdAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1,
    summary,
    evals: [{ name, mode: 'replay', trials: 1, summary, cases: byCase(results), results }],
  }
}

describe('JSON report', () => {
  it('round-trips through JSON and a file, and refuses other versions', async () => {
    const report = await sampleReport()
    expect(report.version).toBe(1)
    expect(report.summary).toMatchObject({ cases: 2, runs: 2, passed: 0, passRate: 0, score: 0.25 })
    const text = JSON.stringify(report)
    expect(parseReport(text)).toEqual(report)
    const dir = mkdtempSync(join(tmpdir(), 'baton-report-'))
    try {
      const file = join(dir, 'report.json')
      writeFileSync(file, text)
      expect(readReport(file)).toEqual(report)
      writeFileSync(file, JSON.stringify({ ...report, version: 2 }))
      expect(() => readReport(file)).toThrow(
        `${file}: eval report version 2 is not supported (this Baton reads version 1)`,
      )
      expect(() => readReport(join(dir, 'none.json'))).toThrow(
        /none\.json: cannot read the eval report: no such file$/,
      )
      expect(() => readReport(dir)).toThrow(/: cannot read the eval report: it is a directory$/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(() => parseReport('{"version":1}', 'x.json')).toThrow(
      'x.json: not an eval report (what runEval returns or readReport reads: { evals: [{ results }] }), got object',
    )
    // What takes a report refuses what is not one, by name, before reading into it.
    expect(() => renderHtml(5 as never)).toThrow(/^renderHtml: not an eval report .*got number 5$/)
    expect(() => compareToBaseline(report, { evals: [{}] } as never)).toThrow(
      /^compareToBaseline: baseline: not an eval report/,
    )
  })

  it('refuses a report whose fields are missing or of the wrong kind, naming the field', () => {
    const good = reportOf([{}, {}])
    const broken = (edit: (report: EvalReport) => void) => {
      const copy = JSON.parse(JSON.stringify(good)) as EvalReport
      edit(copy)
      return JSON.stringify(copy)
    }
    const cases: [(report: EvalReport) => void, string][] = [
      [
        (r) => delete (r.evals[0] as Partial<EvalResult>).cases,
        'evals[0].cases must be an array, got undefined',
      ],
      [
        (r) => ((r.evals[0]!.cases[1] as unknown as Record<string, unknown>).costUsd = 'cheap'),
        'evals[0].cases[1].costUsd must be a number, got the string "cheap"',
      ],
      [
        (r) => ((r.evals[0]!.cases[0] as unknown as Record<string, unknown>).steps = null),
        'evals[0].cases[0].steps must be a number, got null',
      ],
      [
        (r) => ((r.evals[0]!.results[1] as unknown as Record<string, unknown>).pass = 'yes'),
        'evals[0].results[1].pass must be a boolean, got the string "yes"',
      ],
      [
        (r) => (r.evals[0]!.results[0]!.scores = [{ name: 'x', pass: true } as never]),
        'evals[0].results[0].scores[0].score must be a number, got undefined',
      ],
      [(r) => delete (r as Partial<EvalReport>).summary, 'summary must be an object, got undefined'],
    ]
    for (const [edit, problem] of cases) {
      const text = broken(edit)
      expect(() => parseReport(text, 'b.json')).toThrow(`b.json: not a well-formed eval report: ${problem}`)
      expect(() => compareToBaseline(good, JSON.parse(text))).toThrow(
        `compareToBaseline: baseline: not a well-formed eval report: ${problem}`,
      )
      expect(() => renderHtml(JSON.parse(text))).toThrow(
        `renderHtml: not a well-formed eval report: ${problem}`,
      )
    }
  })

  it('merges the reports of several evals', () => {
    const merged = mergeReports([reportOf([{}, { pass: false }], 'one'), reportOf([{}], 'two')])
    expect(merged.evals.map((e) => e.name)).toEqual(['one', 'two'])
    expect(merged.summary).toMatchObject({
      cases: 3,
      runs: 3,
      passed: 2,
      passedAtK: 2,
      passRate: 2 / 3,
      score: 1,
    })
  })
})

describe('pass^k', () => {
  // Two trials each: "steady" passes both, "flaky" one, "broken" none.
  const trials = (): EvalReport => {
    const rows = (name: string, passes: boolean[]) =>
      passes.map((pass, i) => ({ ...reportOf([{ pass }]).evals[0]!.results[0]!, case: name, trial: i + 1 }))
    const results = [
      ...rows('steady', [true, true]),
      ...rows('flaky', [false, true]),
      ...rows('broken', [false, false]),
    ]
    const summary = summarize(results)
    return {
      version: 1,
      baton: '0',
      createdAt: '2025-01-01T00:00:00.000Z',
      durationMs: 1,
      summary,
      evals: [{ name: 'k', mode: 'replay', trials: 2, summary, cases: byCase(results), results }],
    }
  }

  it('counts the cases whose every trial passed, beside pass@k', () => {
    const report = trials()
    expect(report.evals[0]!.cases.map((c) => [c.case, c.passAtK, c.passAllK])).toEqual([
      ['steady', true, true],
      ['flaky', true, false],
      ['broken', false, false],
    ])
    expect(report.summary).toMatchObject({ passedAtK: 2, passAtK: 2 / 3, passedAllK: 1, passAllK: 1 / 3 })
    expect(mergeReports([report, trials()]).summary).toMatchObject({ passedAllK: 2, passAllK: 1 / 3 })
    const html = renderHtml(report)
    expect(html).toContain('<th>pass^2</th>')
    expect(html).toContain('pass^k (cases)')
  })

  it('reads a report written before pass^k, and refuses one whose pass^k is not a number', () => {
    const old = JSON.parse(JSON.stringify(trials()))
    delete old.summary.passedAllK
    delete old.summary.passAllK
    for (const e of old.evals) {
      delete e.summary.passedAllK
      delete e.summary.passAllK
      for (const c of e.cases) delete c.passAllK
    }
    const read = parseReport(JSON.stringify(old))
    expect(read.summary.passAllK).toBeUndefined()
    expect(renderHtml(read)).toContain('<th>pass^2</th>')
    expect(mergeReports([read, trials()]).summary.passedAllK).toBe(1)
    const bad = trials() as unknown as { summary: Record<string, unknown> }
    bad.summary.passAllK = 'most'
    expect(() => parseReport(JSON.stringify(bad))).toThrow(
      'summary.passAllK must be a number, got the string "most"',
    )
  })
})

describe('HTML report', () => {
  it('is one self-contained page that escapes every text', async () => {
    const html = renderHtml(await sampleReport())
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain('<style>')
    expect(html).not.toMatch(/<script|<link|\bsrc=|\bhref=|https?:/i)
    expect(html).toContain('&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('<td>bad</td>')
    expect(html).toContain('pass rate')
    expect(html.match(/<tr>/g)).toHaveLength(3)
  })

  it('shows pass@k by case when there are trials, and each eval of a merged report', () => {
    const one = reportOf([{}, { pass: false, failure: 'exact: expected "a", got "b"' }], 'one')
    one.evals[0]!.trials = 3
    const html = renderHtml(mergeReports([one, reportOf([{}], 'two')]))
    expect(html).toContain('<th>pass@3</th>')
    expect(html).toContain('<h2>two <small')
    expect(html).toContain('exact: expected &quot;a&quot;, got &quot;b&quot;')
  })
})

describe('compareToBaseline', () => {
  it('flags a case that passed and now fails', () => {
    const result = compareToBaseline(reportOf([{}, {}]), reportOf([{}, {}]))
    expect(result).toEqual({ regressed: false, regressions: [], missing: [], added: [] })
    const failing = compareToBaseline(reportOf([{}, { pass: false }]), reportOf([{}, {}]))
    expect(failing.regressed).toBe(true)
    expect(failing.regressions).toEqual([
      {
        eval: 'e',
        case: 'c1',
        kind: 'failing',
        before: true,
        after: false,
        message: 'e/c1: passed in the baseline, fails now',
      },
    ])
  })

  it('flags cost and steps that rose past the thresholds, and only those', () => {
    // c2 rose by exactly 20%: not more than the threshold.
    const now = reportOf([{ costUsd: 0.0125 }, { costUsd: 0.011, steps: 6 }, { steps: 6 }])
    const before = reportOf([{}, {}, { steps: 5 }])
    const result = compareToBaseline(now, before)
    expect(result.regressions.map((r) => [r.case, r.kind])).toEqual([
      ['c0', 'cost'],
      ['c1', 'steps'],
    ])
    expect(result.regressions[0]!.message).toBe(
      'e/c0: cost rose from $0.010000 to $0.012500 (+25%), more than the 20% allowed',
    )
    expect(result.regressions[1]!.message).toBe(
      'e/c1: steps rose from 4 to 6 (+50%), more than the 20% allowed',
    )
    const lenient = compareToBaseline(now, before, { costIncrease: 0.3, stepsIncrease: 0.6 })
    expect(lenient.regressed).toBe(false)
  })

  it('refuses thresholds that are not fractions of 0 or more', () => {
    const report = reportOf([{}])
    for (const [thresholds, shown] of [
      [
        { costIncrease: '0.1' },
        'costIncrease must be a fraction of 0 or more (0.2 allows a 20% rise), got the string "0.1"',
      ],
      [
        { stepsIncrease: Number.NaN },
        'stepsIncrease must be a fraction of 0 or more (0.2 allows a 20% rise), got number NaN',
      ],
      [
        { costIncrease: -1 },
        'costIncrease must be a fraction of 0 or more (0.2 allows a 20% rise), got number -1',
      ],
    ] as const)
      expect(() => compareToBaseline(report, report, thresholds as never)).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTIONS',
          message: `compareToBaseline: thresholds.${shown}`,
        }),
      )
  })

  it('lists cases that appeared or disappeared without calling them regressions', () => {
    const result = compareToBaseline(reportOf([{}]), reportOf([{}, {}]))
    expect(result).toMatchObject({ regressed: false, missing: ['e/c1'], added: [] })
  })
})
