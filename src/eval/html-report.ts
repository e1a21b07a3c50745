import { VERSION } from '../version.js'
import {
  type CaseResult,
  checkReport,
  type EvalReport,
  type EvalResult,
  type EvalSummary,
  type ScorerResult,
} from './report.js'

/** The policy of a report's page: it has no script, so none may run; nothing is fetched either. */
export const REPORT_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d1d1f;background:#fafafa}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.meta{color:#666;margin-bottom:1rem}
.cards{display:flex;flex-wrap:wrap;gap:.75rem;margin:.5rem 0}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.5rem .9rem;min-width:7rem}
.card b{display:block;font-size:1.2rem}.card span{color:#666;font-size:.8rem}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #ddd}
th,td{padding:.4rem .6rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f2f2f2;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#116329;font-weight:600}.fail{color:#b3261e;font-weight:600}
.why{white-space:pre-wrap;font-family:ui-monospace,Menlo,monospace;font-size:12px;max-width:48rem}
table.k{width:auto;margin-bottom:1rem}details summary{cursor:pointer;color:#555}ul{margin:.25rem 0;padding-left:1.2rem}
`

/**
 * Renders a report as one self-contained HTML page: inline styles, no scripts (its policy lets
 * none run), nothing fetched. It says Baton wrote it, so `baton view` may write over it.
 *
 * @example
 * writeFileSync('eval-report.html', renderHtml(report))
 */
export function renderHtml(report: EvalReport): string {
  checkReport(report, 'renderHtml')
  const title =
    report.evals.length === 1 ? `Eval: ${report.evals[0]!.name}` : `Evals (${report.evals.length})`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CONTENT_SECURITY_POLICY}">
<meta name="generator" content="baton view ${VERSION}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="meta">${esc(`${report.createdAt} · Baton ${report.baton} · ${(report.durationMs / 1000).toFixed(1)} s`)}</div>
${cards(
  report.summary,
  report.evals.some((e) => e.trials > 1),
)}
${report.evals.map((result) => section(result, report.evals.length > 1)).join('\n')}
</body>
</html>
`
}

function cards(summary: EvalSummary, trials: boolean): string {
  const card = (value: string, label: string) =>
    `<div class="card"><b>${esc(value)}</b><span>${esc(label)}</span></div>`
  return `<div class="cards">${[
    card(`${summary.passed}/${summary.runs}`, 'runs passed'),
    card(percent(summary.passRate), 'pass rate'),
    card(`${percent(summary.passAtK)} (${summary.passedAtK}/${summary.cases})`, 'pass@k (cases)'),
    ...(trials && summary.passAllK !== undefined
      ? [card(`${percent(summary.passAllK)} (${summary.passedAllK}/${summary.cases})`, 'pass^k (cases)')]
      : []),
    card(summary.score.toFixed(2), 'mean score'),
    card(`${summary.inputTokens} / ${summary.outputTokens}`, 'tokens in / out'),
    card(dollars(summary.costUsd), 'cost'),
    card(`${Math.round(summary.meanLatencyMs)} ms`, 'mean latency'),
  ].join('')}</div>`
}

const HEAD = [
  'case',
  'trial',
  'pass',
  'score',
  'tokens in/out',
  'cost',
  'latency',
  'steps',
  'tools',
  'failure',
]

function section(result: EvalResult, several: boolean): string {
  return `<h2>${esc(result.name)} <small class="meta">${esc(`${result.mode} · ${result.trials} trial(s)`)}</small></h2>
${several ? cards(result.summary, result.trials > 1) : ''}
${result.trials > 1 ? passAtK(result) : ''}
<table>
<thead><tr>${HEAD.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${result.results.map(row).join('\n')}
</tbody>
</table>`
}

/** Each case over its trials: how many passed, pass@k and pass^k. */
function passAtK(result: EvalResult): string {
  const rows = result.cases.map(
    (c) =>
      `<tr><td>${esc(c.case)}</td><td class="n">${c.passed}/${c.trials}</td>${verdict(c.passAtK)}${verdict(c.passAllK ?? c.passed === c.trials)}<td class="n">${c.score.toFixed(2)}</td></tr>`,
  )
  return `<table class="k"><thead><tr><th>case</th><th>trials passed</th><th>pass@${result.trials}</th><th>pass^${result.trials}</th><th>mean score</th></tr></thead>
<tbody>${rows.join('')}</tbody></table>`
}

function row(r: CaseResult): string {
  const passed = r.scores.filter((s) => s.pass).length
  const scores = r.scores.length
    ? `<details><summary>${passed}/${r.scores.length} scorers passed</summary><ul>${r.scores.map(scoreItem).join('')}</ul></details>`
    : ''
  const cells = [
    `<td>${esc(r.case)}</td>`,
    `<td class="n">${r.trial}</td>`,
    verdict(r.pass),
    `<td class="n">${r.score.toFixed(2)}</td>`,
    `<td class="n">${r.inputTokens} / ${r.outputTokens}</td>`,
    `<td class="n">${esc(dollars(r.costUsd))}</td>`,
    `<td class="n">${r.latencyMs} ms</td>`,
    `<td class="n">${r.steps}</td>`,
    `<td class="n">${r.toolCalls}</td>`,
    `<td>${r.failure ? `<div class="why">${esc(r.failure)}</div>` : ''}${scores}</td>`,
  ]
  return `<tr>${cells.join('')}</tr>`
}

function scoreItem(s: ScorerResult): string {
  const reason = s.reason ? `: <span class="why">${esc(s.reason)}</span>` : ''
  return `<li><span class="${s.pass ? 'pass' : 'fail'}">${s.pass ? '✓' : '✗'}</span> ${esc(`${s.name} (${s.score.toFixed(2)})`)}${reason}</li>`
}

function verdict(pass: boolean): string {
  return pass ? '<td class="pass">pass</td>' : '<td class="fail">fail</td>'
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`
}

function dollars(usd: number): string {
  return `$${usd.toFixed(usd !== 0 && usd < 0.01 ? 6 : 4)}`
}
