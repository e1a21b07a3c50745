/**
 * `baton eval [files…]`: loads eval modules, runs every eval they export (offline from
 * cassettes by default), shows progress and a summary table, writes the JSON and HTML reports
 * when asked, and compares with a baseline report.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import {
  type CaseResult,
  compareToBaseline,
  DEFAULT_CASSETTE_DIR,
  type Eval,
  type EvalProgress,
  type EvalReport,
  type EvalSummary,
  isEval,
  mergeReports,
  readReport,
  renderHtml,
  runEval,
} from '../eval/index.js'
import { abortIfStalled, isStall } from '../eval/stall.js'
import { raceAbort } from '../loop/on-abort.js'
import { type EvalArgs, UsageError } from './args.js'
import { inFlags } from './flag-wording.js'
import { importModule } from './load-agent.js'

/** Where the command writes, and what stops it. */
export interface EvalCommandIO {
  /** Progress, the table and the totals. A TTY gets a progress bar redrawn in place. */
  out: { write(text: string): unknown; isTTY?: boolean }
  signal?: AbortSignal
}

/** An eval and the file it came from. */
export interface LoadedEval {
  file: string
  definition: Eval
}

const EVAL_FILE = /\.eval\.(?:ts|mts|js|mjs)$/
const DEFAULT_DIR = 'evals'

/** Runs `baton eval`; returns the exit code (usage errors throw `UsageError`). */
export async function evalCommand(args: EvalArgs, io: EvalCommandIO): Promise<number> {
  const started = performance.now()
  const files = findEvalFiles(args.files)
  let baseline: EvalReport | undefined
  if (args.baseline !== undefined) {
    try {
      baseline = readReport(args.baseline)
    } catch (error) {
      throw new UsageError(`--baseline: ${(error as Error).message}`)
    }
  }
  const modules: Record<string, unknown>[] = []
  try {
    return await runEvals(await loadEvals(files, modules), args, io, baseline, started)
  } finally {
    await closeModules(modules, files)
  }
}

async function runEvals(
  evals: readonly LoadedEval[],
  args: EvalArgs,
  io: EvalCommandIO,
  baseline: EvalReport | undefined,
  started: number,
): Promise<number> {
  const cassetteDir = args.cassettes ?? DEFAULT_CASSETTE_DIR
  const trialsOf = (definition: Eval) => args.trials ?? definition.trials ?? 1
  const total = evals.reduce((n, { definition }) => n + definition.cases.length * trialsOf(definition), 0)
  const cases = evals.reduce((n, { definition }) => n + definition.cases.length, 0)
  const { out } = io
  out.write(
    `baton eval: ${count(evals.length, 'eval')}, ${count(cases, 'case')}${total > cases ? ` (${count(total, 'run')})` : ''}, ${describeMode(args.mode, cassetteDir)}\n`,
  )

  const progress = new Progress(out, total)
  const reports: EvalReport[] = []
  for (const { definition } of evals) {
    const report = await runEval(definition, {
      mode: args.mode,
      cassetteDir,
      ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
      ...(args.trials !== undefined ? { trials: args.trials } : {}),
      ...(args.model !== undefined ? { model: args.model } : {}),
      onProgress: (event) => progress.update(event),
      ...(io.signal ? { signal: io.signal } : {}),
    })
    reports.push(report)
  }
  progress.end()
  const report: EvalReport = { ...mergeReports(reports), durationMs: Math.round(performance.now() - started) }

  out.write(`\n${renderTable(report)}\n`)
  const failures = renderFailures(report)
  if (failures) out.write(`\n${failures}\n`)
  out.write(`\n${renderTotals(report)}\n`)

  if (args.json !== undefined) {
    writeReport(args.json, `${JSON.stringify(report, null, 2)}\n`)
    out.write(`JSON report: ${args.json}\n`)
  }
  if (args.html !== undefined) {
    writeReport(args.html, renderHtml(report))
    out.write(`HTML report: ${args.html}\n`)
  }
  if (args.mode === 'record') out.write(`Cassettes written under ${cassetteDir}${sep}\n`)

  let regressed = false
  if (baseline && args.baseline !== undefined) {
    const comparison = compareToBaseline(report, baseline, {
      costIncrease: args.costIncrease,
      stepsIncrease: args.stepsIncrease,
    })
    regressed = comparison.regressed
    const notes = [
      comparison.missing.length ? `not run now: ${comparison.missing.join(', ')}` : '',
      comparison.added.length ? `new since the baseline: ${comparison.added.join(', ')}` : '',
    ].filter(Boolean)
    const extra = notes.length ? ` (${notes.join('; ')})` : ''
    if (regressed) {
      out.write(
        `\nRegressions against the baseline ${args.baseline}: ${comparison.regressions.length}${extra}\n`,
      )
      for (const regression of comparison.regressions) out.write(`  ✗ ${regression.message}\n`)
    } else out.write(`\nNo regression against the baseline ${args.baseline}${extra}\n`)
  }
  return report.summary.passed < report.summary.runs || regressed ? 1 : 0
}

/** The eval files to run: the ones named (files or folders), else every `evals/*.eval.*`. */
export function findEvalFiles(given: readonly string[]): string[] {
  if (given.length === 0) {
    const found =
      existsSync(DEFAULT_DIR) && statSync(DEFAULT_DIR).isDirectory() ? evalFilesIn(DEFAULT_DIR) : []
    if (found.length === 0)
      throw new UsageError(
        `no eval files found: looked for ${DEFAULT_DIR}/*.eval.ts, .js and .mjs in ${process.cwd()}; name the files: baton eval <file.eval.ts>`,
      )
    return found
  }
  const files: string[] = []
  for (const path of given) {
    if (!existsSync(path)) throw new UsageError(`eval file not found: ${path} (looked at ${resolve(path)})`)
    if (statSync(path).isDirectory()) {
      const found = evalFilesIn(path)
      if (found.length === 0)
        throw new UsageError(`no eval files found in ${path} (looked for *.eval.ts, .js, .mjs)`)
      files.push(...found)
    } else files.push(path)
  }
  return [...new Set(files)]
}

function evalFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => EVAL_FILE.test(name))
    .sort()
    .map((name) => join(dir, name))
}

/**
 * Imports each file (TypeScript through tsx) and takes every export made by `defineEval`. Each
 * module imported is added to `modules` at once, so that its `close()` is called whatever happens
 * next.
 */
export async function loadEvals(
  files: readonly string[],
  modules: Record<string, unknown>[] = [],
): Promise<LoadedEval[]> {
  const evals: LoadedEval[] = []
  const byName = new Map<string, string>()
  for (const file of files) {
    const module = await importEvalFile(file)
    modules.push(module)
    const found = [...new Set(Object.values(module).filter(isEval))]
    if (found.length === 0)
      throw new UsageError(
        `${file} exports no eval; export one made by defineEval (export default defineEval({...}))`,
      )
    for (const definition of found) {
      const before = byName.get(definition.name)
      if (before !== undefined)
        throw new UsageError(
          `eval "${definition.name}" is defined in both ${before} and ${file}; eval names must be unique (they name the cassette folders)`,
        )
      byName.set(definition.name, file)
      evals.push({ file, definition })
    }
  }
  return evals
}

/**
 * Imports one eval file. A file whose top-level code awaits what can never settle would let
 * Node exit quietly with code 0; it is a usage error instead.
 */
async function importEvalFile(file: string): Promise<Record<string, unknown>> {
  const stop = new AbortController()
  const unwatch = abortIfStalled(stop)
  try {
    return await raceAbort(importModule(resolve(file), file), stop.signal)
  } catch (error) {
    if (isStall(error)) throw new UsageError(`cannot load ${file}: its import ${error.message}`)
    throw error
  } finally {
    unwatch()
  }
}

/** Calls each eval module's exported `close()` (stopping an MCP server, say), as `baton run` does. */
async function closeModules(modules: readonly Record<string, unknown>[], files: readonly string[]) {
  for (const [i, module] of modules.entries()) {
    if (typeof module.close !== 'function') continue
    try {
      await (module.close as () => unknown)()
    } catch (error) {
      process.stderr.write(`baton: the close() of ${files[i]} failed: ${(error as Error).message}\n`)
    }
  }
}

function describeMode(mode: EvalArgs['mode'], cassetteDir: string): string {
  if (mode === 'replay') return `replay mode (offline, cassettes from ${cassetteDir})`
  if (mode === 'record') return `record mode (calls the models, writes cassettes to ${cassetteDir})`
  return 'live mode (calls the models, no cassettes)'
}

/** Progress: a bar redrawn in place on a TTY, else one line per finished run. */
export class Progress {
  private done = 0
  private passed = 0
  private running = 0
  private drawn = false

  constructor(
    private readonly out: EvalCommandIO['out'],
    private readonly total: number,
  ) {}

  update(event: EvalProgress): void {
    if (event.type === 'case.start') this.running++
    else {
      this.running--
      this.done++
      if (event.result.pass) this.passed++
      if (!this.out.isTTY)
        this.out.write(`${finishedLine(event.eval, event.result, this.done, this.total)}\n`)
    }
    if (this.out.isTTY) this.draw()
  }

  end(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\n')
  }

  private draw(): void {
    this.drawn = true
    this.out.write(
      `\r\x1b[2K${progressLine(this.done, this.total, this.passed, this.done - this.passed, this.running)}`,
    )
  }
}

/** The progress bar: `[████████░░░░░░░░░░░░░░░░] 3/9 · 3 passed · 0 failed · 4 running`. */
export function progressLine(
  done: number,
  total: number,
  passed: number,
  failed: number,
  running = 0,
): string {
  const width = 24
  const filled = total ? Math.round((done / total) * width) : width
  const bar = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`
  return `${bar} ${done}/${total} · ${passed} passed · ${failed} failed${running > 0 ? ` · ${running} running` : ''}`
}

/** One finished run, as a plain line: `[3/9] ✓ support-desk/refund (score 1.00, 2 steps, 4 ms)`. */
export function finishedLine(evalName: string, result: CaseResult, done: number, total: number): string {
  const name = `${evalName}/${result.case}${result.trial > 1 ? ` #${result.trial}` : ''}`
  const detail = result.pass
    ? `score ${result.score.toFixed(2)}, ${count(result.steps, 'step')}, ${result.latencyMs} ms`
    : clip(firstLine(reasonOf(result)), 120)
  return `[${done}/${total}] ${result.pass ? '✓' : '✗'} ${name} (${detail})`
}

const COLUMNS = ['eval', 'case', 'pass', 'score', 'tokens', 'cost', 'latency', 'steps'] as const
const RIGHT = new Set(['score', 'tokens', 'cost', 'latency', 'steps'])

/** The summary table: one row per run (per trial when there are several). */
export function renderTable(report: EvalReport): string {
  const rows = report.evals.flatMap((result) =>
    result.results.map((r) => [
      result.name,
      result.trials > 1 ? `${r.case} #${r.trial}` : r.case,
      r.pass ? '✓ pass' : '✗ FAIL',
      r.score.toFixed(2),
      `${r.inputTokens}+${r.outputTokens}`,
      dollars(r.costUsd),
      `${r.latencyMs} ms`,
      String(r.steps),
    ]),
  )
  const head = [...COLUMNS] as string[]
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (RIGHT.has(COLUMNS[i]!) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Why each failed run failed (a divergent cassette: the step key and the diff lines). */
export function renderFailures(report: EvalReport): string {
  const lines: string[] = []
  for (const result of report.evals)
    for (const r of result.results) {
      if (r.pass) continue
      const name = `${result.name}/${r.case}${result.trials > 1 ? ` #${r.trial}` : ''}`
      const [first, ...rest] = reasonOf(r).split('\n')
      lines.push(`✗ ${name}: ${first}`, ...rest.map((l) => `    ${l}`))
    }
  return lines.length
    ? `Failures (${lines.filter((l) => l.startsWith('✗')).length}):\n${lines.join('\n')}`
    : ''
}

/** Totals, the pass rate, pass@k and, with trials, pass^k. */
export function renderTotals(report: EvalReport): string {
  const s: EvalSummary = report.summary
  const trials = new Set(report.evals.map((e) => e.trials))
  const k = trials.size === 1 ? String([...trials][0]) : 'k'
  return [
    `Totals: ${count(s.runs, 'run')} of ${count(s.cases, 'case')} · ${s.passed} passed · ${s.runs - s.passed} failed · tokens ${s.inputTokens}+${s.outputTokens} · cost ${dollars(s.costUsd)} · mean latency ${Math.round(s.meanLatencyMs)} ms · ${(report.durationMs / 1000).toFixed(1)} s`,
    `Pass rate: ${percent(s.passRate)} (${s.passed}/${s.runs} runs) · pass@${k}: ${percent(s.passAtK)} (${s.passedAtK}/${s.cases} cases)${
      // With one trial, every case's pass^1 is its pass@1.
      s.passAllK !== undefined && report.evals.some((e) => e.trials > 1)
        ? ` · pass^${k}: ${percent(s.passAllK)} (${s.passedAllK}/${s.cases} cases)`
        : ''
    }`,
  ].join('\n')
}

/** A failed run's reason, without the `case "<name>": ` the table row already says. */
function reasonOf(result: CaseResult): string {
  const failure = result.failure ?? 'failed'
  const prefix = `case "${result.case}"${result.trial > 1 ? ` (trial ${result.trial})` : ''}: `
  return inFlags(failure.startsWith(prefix) ? failure.slice(prefix.length) : failure)
}

function writeReport(path: string, text: string): void {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true })
    writeFileSync(path, text)
  } catch (error) {
    throw new UsageError(
      `cannot write ${relative(process.cwd(), resolve(path))}: ${(error as Error).message}`,
    )
  }
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`
}

function dollars(usd: number): string {
  return `$${usd.toFixed(usd !== 0 && usd < 0.01 ? 6 : 4)}`
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? ''
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
