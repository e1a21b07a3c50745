/**
 * The live tree `baton run` (and `baton replay`, `baton run --resume`) draws on a terminal: one
 * line per agent with its model, status, steps, tokens and cost, sub-agents nested under the
 * agent that delegated to them, redrawn in place as the events arrive.
 *
 * - `reduceTree(state, event)` (tree-state.ts) is pure: the tree as the events so far describe it.
 * - `treeLines(state, view)` draws a state as lines no wider than the terminal (terminal-text.ts
 *   cuts and paints them).
 * - `LiveTree` writes the frames to a TTY, at most ~10 a second, and leaves the last one on screen.
 */
import type { BatonEvent } from '../events/index.js'
import { criticalPath } from '../plan/critical-path.js'
import { clip, cut, oneLine, paint, type Segment, textWidth } from './terminal-text.js'
import {
  type AgentNode,
  EMPTY_TREE,
  isBusy,
  type PlanTaskView,
  type PlanView,
  type RunningTool,
  reduceTree,
  type TreeState,
} from './tree-state.js'

export { cellWidth, oneLine, textWidth } from './terminal-text.js'
export {
  type AgentEnd,
  type AgentNode,
  agentPathOf,
  EMPTY_TREE,
  isBusy,
  type PlanTaskView,
  type PlanView,
  parentPathOf,
  type RunningTool,
  reduceTree,
  type TreeState,
} from './tree-state.js'

// ---------------------------------------------------------------------------------------------
// Drawing

export interface TreeView {
  /** Now, in ms since the run started (the elapsed times are counted to it). */
  now: number
  /** The terminal's width: every line is cut to `columns - 1` characters, never wrapped. */
  columns: number
  /** ANSI colors (off with NO_COLOR). */
  color: boolean
}

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'

/** The tree as lines of at most `columns - 1` cells, one per agent (and per note). */
export function treeLines(state: TreeState, view: TreeView): string[] {
  return layout(state, view.now).map((line) => paint(cut(line, view.columns - 1), view.color))
}

function layout(state: TreeState, now: number): Segment[][] {
  const lines: Segment[][] = []
  const visit = (path: string, lead: string, rest: string): void => {
    const node = state.nodes[path]
    if (!node) return
    lines.push([{ text: lead, style: 'dim' }, ...nodeLine(node, now)])
    const under = rest + (node.children.length ? '│  ' : '   ')
    if (node.plan)
      for (const line of planLines(node.plan, now)) lines.push([{ text: under, style: 'dim' }, ...line])
    for (const text of node.notes)
      lines.push([
        { text: under, style: 'dim' },
        { text: `! ${text}`, style: 'yellow' },
      ])
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1
      visit(child, rest + (last ? '└─ ' : '├─ '), rest + (last ? '   ' : '│  '))
    })
  }
  for (const root of state.roots) visit(root, '', '')
  return lines
}

const TASK_MARK: Record<PlanTaskView['state'], Segment> = {
  waiting: { text: '…', style: 'dim' },
  running: { text: '⟳', style: 'cyan' },
  done: { text: '✓', style: 'green' },
  failed: { text: '✗', style: 'red' },
  skipped: { text: '–', style: 'dim' },
}

/**
 * An agent's plan: each task with its state and time, in the plan's order; once it has run,
 * its critical path (the chain of tasks that bounded its time).
 */
function planLines(plan: PlanView, now: number): Segment[][] {
  const tasks: Segment[] = [{ text: '⋔ plan: ', style: 'cyan' }]
  plan.tasks.forEach((task, i) => {
    if (i > 0) tasks.push({ text: ' · ', style: 'dim' })
    tasks.push({ text: `${oneLine(task.id)} ` }, TASK_MARK[task.state])
    const ms =
      task.ms ?? (task.state === 'running' && task.since !== undefined ? now - task.since : undefined)
    if (ms !== undefined) tasks.push({ text: ` ${duration(ms)}`, style: 'dim' })
  })
  if (plan.endedAt === undefined) return [tasks]
  const path = criticalPath(plan.tasks.map((task) => ({ ...task, start: task.since })))
  if (path.length === 0) return [tasks]
  return [
    tasks,
    [
      { text: '  critical path: ', style: 'dim' },
      { text: path.map(oneLine).join(' → ') },
      { text: ` (${duration(plan.endedAt - plan.since)})`, style: 'dim' },
    ],
  ]
}

function nodeLine(node: AgentNode, now: number): Segment[] {
  const [icon, status] = statusOf(node, now)
  const line: Segment[] = [
    icon,
    { text: ' ' },
    { text: oneLine(node.name), style: 'bold' },
    { text: ` (${oneLine(node.model)}) `, style: 'dim' },
    status,
    {
      text: ` · ${node.steps} step${node.steps === 1 ? '' : 's'} · ${node.inputTokens}+${node.outputTokens} tokens · $${node.costUsd.toFixed(4)} · ${duration((node.endedAt ?? now) - node.startedAt)}`,
    },
  ]
  if (node.compactions) line.push({ text: ` · ${compactionsText(node.compactions)}` })
  if (node.brief) line.push({ text: ` · “${clip(node.brief, 80)}”`, style: 'dim' })
  return line
}

/** `history compacted 16958 → 4721 tokens`, or `history compacted 3× (last 16958 → 4721 tokens)`. */
function compactionsText({ count, before, after }: NonNullable<AgentNode['compactions']>): string {
  return count === 1
    ? `history compacted ${before} → ${after} tokens`
    : `history compacted ${count}× (last ${before} → ${after} tokens)`
}

function statusOf(node: AgentNode, now: number): [Segment, Segment] {
  const { end } = node
  if (end) {
    if (end.status === 'done')
      return [
        { text: '✓', style: 'green' },
        { text: 'done', style: 'green' },
      ]
    if (end.status === 'awaiting_approval')
      return [
        { text: '?', style: 'yellow' },
        {
          text: end.stopReason === 'needsInput' ? 'paused: awaiting input' : 'paused: awaiting approval',
          style: 'yellow',
        },
      ]
    // An aborted run's error only repeats that it was aborted.
    const error = end.error && end.status !== 'aborted' ? `: ${end.error}` : ''
    const why = `failed: ${end.status} (${end.stopReason})${error}`
    return [
      { text: '✗', style: 'red' },
      { text: oneLine(why), style: 'red' },
    ]
  }
  const spinner: Segment = {
    text: SPINNER[Math.floor(Math.max(0, now) / 100) % SPINNER.length]!,
    style: 'cyan',
  }
  const waiting = node.tools.filter((tool) => tool.approval)
  if (waiting.length) return [spinner, { text: `awaiting approval: ${toolNames(waiting)}`, style: 'yellow' }]
  if (node.tools.length) {
    const since = Math.min(...node.tools.map((tool) => tool.since))
    return [spinner, { text: `calling ${toolNames(node.tools)} ${duration(now - since)}`, style: 'yellow' }]
  }
  if (node.modelSince !== undefined) {
    const retry = `${node.via ? ` via ${node.via}` : ''}${node.retry ? ` (retry ${node.retry.attempt}: ${node.retry.code})` : ''}`
    const queued = node.queued
    if (queued && (queued.waitMs === undefined || now < queued.since + queued.waitMs))
      return [
        spinner,
        { text: `queued for ${queued.scope} ${duration(now - queued.since)}${retry}`, style: 'yellow' },
      ]
    if (node.compacting !== undefined)
      return [
        spinner,
        { text: `compacting the history ${duration(now - node.compacting)}${retry}`, style: 'cyan' },
      ]
    // The answer as it is written: its last words, on the agent's own line.
    const written = node.writing === undefined ? '' : oneLine(node.writing).trim()
    if (written)
      return [spinner, { text: `writing “${tail(written, WRITING_SHOWN)}”${retry}`, style: 'cyan' }]
    return [
      spinner,
      { text: `waiting on the model ${duration(now - node.modelSince)}${retry}`, style: 'cyan' },
    ]
  }
  return [spinner, { text: 'running', style: 'cyan' }]
}

/** How many characters of the text being written an agent's line shows. */
const WRITING_SHOWN = 60

/** The last `max` characters of `text`, with an ellipsis in front when it was longer. */
function tail(text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : `…${chars.slice(-(max - 1)).join('')}`
}

/** `search ×3, fetch`: the tools under way, each name once. */
function toolNames(tools: readonly RunningTool[]): string {
  const counts = new Map<string, number>()
  for (const tool of tools) counts.set(tool.name, (counts.get(tool.name) ?? 0) + 1)
  return [...counts].map(([name, n]) => (n > 1 ? `${oneLine(name)} ×${n}` : oneLine(name))).join(', ')
}

/** `0.4 s`, `12 s`, `3m 05s`. */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000
  if (s < 10) return `${s.toFixed(1)} s`
  if (s < 60) return `${Math.floor(s)} s`
  const whole = Math.floor(s)
  return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`
}

// ---------------------------------------------------------------------------------------------
// The renderer

/** Where the tree is drawn: a TTY stream (process.stdout), or a fake one in tests. */
export interface TreeOutput {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
  rows?: number
}

export interface LiveTreeOptions {
  color?: boolean
  /** Milliseconds between redraws (default 100: at most ~10 a second). */
  interval?: number
  /** A monotonic clock in ms (default performance.now). */
  clock?: () => number
}

const HIDE_CURSOR = '\x1b[?25l'
const SHOW_CURSOR = '\x1b[?25h'
const showCursor = (out: TreeOutput) => () => out.write(SHOW_CURSOR)

/**
 * Draws the tree on a TTY, redrawn in place: each frame moves the cursor up over the previous
 * one and clears it. `end()` draws the last frame (whole, however tall) and leaves it on screen.
 */
export class LiveTree {
  private state: TreeState = EMPTY_TREE
  /** clock() at the run's t = 0. */
  private origin: number | undefined
  /** The widths of the lines of the frame on screen. */
  private drawn: number[] = []
  private dirty = false
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly color: boolean
  private readonly interval: number
  private readonly clock: () => number
  private readonly restore: () => void

  constructor(
    private readonly out: TreeOutput,
    options: LiveTreeOptions = {},
  ) {
    this.color = options.color ?? true
    this.interval = options.interval ?? 100
    this.clock = options.clock ?? (() => performance.now())
    this.restore = showCursor(out)
  }

  /** The tree as the events so far describe it. */
  get tree(): TreeState {
    return this.state
  }

  update(event: BatonEvent): void {
    this.state = reduceTree(this.state, event)
    this.origin ??= this.clock() - (event.t ?? 0)
    this.dirty = true
    // The first frame at once, then one per interval at most (and while anything runs, so that
    // the elapsed times move).
    if (this.drawn.length === 0) this.draw(false)
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      if (this.dirty || isBusy(this.state)) this.draw(false)
    }, this.interval)
    this.timer.unref?.()
  }

  /** Draws the last frame and stops redrawing. */
  end(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.draw(true)
    if (this.cursorHidden) {
      this.out.write(SHOW_CURSOR)
      process.off('exit', this.restore)
      this.cursorHidden = false
    }
  }

  private cursorHidden = false

  /** Run time now: the clock since the first event, never behind the latest event. */
  private now(): number {
    const elapsed = this.origin === undefined ? 0 : this.clock() - this.origin
    return Math.max(this.state.t, elapsed)
  }

  private draw(final: boolean): void {
    const columns = this.out.columns && this.out.columns > 1 ? this.out.columns : 80
    const view: TreeView = { now: this.now(), columns, color: this.color }
    let lines = layout(this.state, view.now).map((line) => cut(line, columns - 1))
    if (lines.length === 0) return
    const rows = this.out.rows
    // A frame taller than the screen could not be moved over: cut it (the last frame is whole).
    if (!final && rows && rows > 2 && lines.length > rows - 1) {
      const kept = rows - 2
      lines = [
        ...lines.slice(0, kept),
        cut([{ text: `… ${lines.length - kept} more lines`, style: 'dim' }], columns - 1),
      ]
    }
    // The old frame's lines may wrap now if the terminal got narrower.
    const up = this.drawn.reduce((sum, width) => sum + Math.max(1, Math.ceil(width / columns)), 0)
    let text = up ? `\x1b[${up}F\x1b[J` : ''
    if (!this.cursorHidden && !final) {
      text = HIDE_CURSOR + text
      this.cursorHidden = true
      process.once('exit', this.restore)
    }
    text += `${lines.map((line) => paint(line, this.color)).join('\n')}\n`
    this.out.write(text)
    this.drawn = lines.map((line) => line.reduce((sum, segment) => sum + textWidth(segment.text), 0))
    this.dirty = false
  }
}
