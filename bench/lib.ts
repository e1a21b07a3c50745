/**
 * Shared helpers for the benchmark scenarios: timing, medians, temp files, the result line a
 * scenario child prints, and the final table.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { z } from 'zod'
import { defineTool, type RunResult } from '../dist/index.js'

/** What a scenario child reports: named series of samples (one per measured round). */
export type Samples = Record<string, number[]>

/** The options every scenario's `measure` receives from bench/run.ts. */
export interface MeasureOptions {
  /** Recording on (a transcript file per run) or off, for scenarios measured one mode per child. */
  record?: boolean
  /** S3: run the hand-written loop instead of Baton. */
  hand?: boolean
  warmup?: number
  rounds?: number
}

export const now = (): number => performance.now()

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A fresh temp directory for transcripts; `path(name)` gives a new file in it. */
export interface TranscriptDir {
  dir: string
  /** A new transcript path in the directory. */
  path(name: string): string
  /** Deletes one transcript (after the timed part), checking that it was written. */
  discard(path: string): void
  /** Deletes the directory and everything in it. */
  remove(): void
}

export function transcriptDir(prefix: string): TranscriptDir {
  const dir = mkdtempSync(join(tmpdir(), `baton-bench-${prefix}-`))
  return {
    dir,
    path: (name) => join(dir, `${name}.jsonl`),
    discard(path) {
      if (statSync(path).size === 0) throw new Error(`the transcript ${path} is empty`)
      rmSync(path)
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** A benchmark that did not do the work it claims to measure is worthless: fail loudly. */
export function expectDone(result: RunResult, what: string, expect: { steps?: number; toolCalls?: number }) {
  if (result.status !== 'done') {
    throw new Error(
      `${what}: run ended with ${result.status}/${result.stopReason}${result.error ? `: ${result.error.message}` : ''}`,
    )
  }
  if (expect.steps !== undefined && result.usage.steps !== expect.steps)
    throw new Error(`${what}: expected ${expect.steps} model calls, got ${result.usage.steps}`)
  if (expect.toolCalls !== undefined && result.usage.toolCalls !== expect.toolCalls)
    throw new Error(`${what}: expected ${expect.toolCalls} tool calls, got ${result.usage.toolCalls}`)
}

/**
 * Runs `once(record)` `warmup` times per mode, then `rounds` times per mode, alternating
 * recording off and on so that drift (thermal, GC, a noisy neighbour) hits both alike. With
 * `floor`, a hand-written equivalent without Baton runs in the same rounds (series `floor`).
 */
export async function alternate(
  once: (record: boolean, round: number) => Promise<number>,
  { warmup = 3, rounds = 7 }: MeasureOptions,
  floor?: () => Promise<number>,
): Promise<Samples> {
  for (let i = 0; i < warmup; i++) {
    await once(false, -1 - i)
    await once(true, -1 - i)
    await floor?.()
  }
  const samples: Samples = { off: [], on: [] }
  if (floor) samples.floor = []
  for (let i = 0; i < rounds; i++) {
    samples.off!.push(await once(false, i))
    samples.on!.push(await once(true, i))
    if (floor) samples.floor!.push(await floor())
  }
  return samples
}

/** Marks the one line of a scenario child's stdout that bench/run.ts parses. */
export const RESULT_MARK = 'BENCH_RESULT '

// ---------------------------------------------------------------------------------------------
// The table

export interface Row {
  label: string
  /** The rounds of each mode; the table shows their median. */
  off: number[] | undefined
  on: number[] | undefined
  /**
   * The scenario has no recording toggle (replays write no transcript): its one series is `off`,
   * shown once, and the recording-on column says so.
   */
  noToggle?: boolean
  digits: number
  /** Shown as is, e.g. `≤ 30 (on)`. */
  target: string
  /** Whether a median meets the target (judged for each mode); undefined when there is no target. */
  meets?: (value: number) => boolean
  /** The hand-written floor of the peer comparison, for scale. */
  floor?: string
  /** The same floor measured here, in the same rounds, when the scenario has one. */
  floorHere?: number[] | undefined
}

export function formatNumber(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '—'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

/** The recording-on cell of a scenario without a recording toggle. */
const NO_TOGGLE = 'no toggle (value once)'

const med = (values: number[] | undefined): number | undefined => (values ? median(values) : undefined)

export function resultsTable(rows: Row[]): string {
  return renderTable(
    [
      'scenario',
      'recording off',
      'recording on',
      'target',
      'met (off · on)',
      'hand-written floor (peer comparison · here)',
    ],
    rows.map((row) => {
      const off = med(row.off)
      const on = med(row.on)
      const here = med(row.floorHere)
      const met = (value: number | undefined) =>
        row.meets === undefined || value === undefined ? '' : row.meets(value) ? 'yes' : 'NO'
      return [
        row.label,
        formatNumber(off, row.digits),
        row.noToggle ? NO_TOGGLE : formatNumber(on, row.digits),
        row.target,
        row.meets === undefined ? '' : row.noToggle ? met(off) : `${met(off)} · ${met(on)}`,
        [row.floor, here === undefined ? '' : `here: ${formatNumber(here, row.digits)}`]
          .filter(Boolean)
          .join(' · '),
      ]
    }),
  )
}

/** Min–max of the rounds behind each median: how much to trust the table on a noisy machine. */
export function spreadTable(rows: Row[]): string {
  const range = (values: number[] | undefined, digits: number) =>
    values?.length
      ? `${formatNumber(Math.min(...values), digits)} – ${formatNumber(Math.max(...values), digits)}`
      : '—'
  return renderTable(
    ['scenario', 'off min – max', 'on min – max', 'rounds per mode'],
    rows.map((row) => [
      row.label,
      range(row.off, row.digits),
      row.noToggle ? NO_TOGGLE : range(row.on, row.digits),
      String(row.on?.length ?? row.off?.length ?? 0),
    ]),
  )
}

/** The tool every scenario calls: returns its text unchanged (zod input, so validation is measured). */
export function echoTool() {
  return defineTool({
    name: 'echo',
    description: 'Returns its text unchanged',
    input: z.object({ text: z.string() }),
    run: ({ text }) => text,
  })
}
