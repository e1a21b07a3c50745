/**
 * The live tree `baton run` (and `baton replay`, `baton run --resume`) draws on a terminal: one
 * line per agent with its model, status, steps, tokens and cost, sub-agents nested under the
 * agent that delegated to them, redrawn in place as the events arrive.
 *
 * - `reduceTree(state, event)` is pure: the tree as the events so far describe it.
 * - `treeLines(state, view)` draws a state as lines no wider than the terminal.
 * - `LiveTree` writes the frames to a TTY, at most ~10 a second, and leaves the last one on screen.
 */
import type { BatonEvent, RunStatus } from '../events/index.js'

/** A tool call under way. */
export interface RunningTool {
  readonly callId: string
  readonly name: string
  /** When it was called (ms since the run started). */
  readonly since: number
  /** It waits for a person to approve it. */
  readonly approval?: boolean
}

/** How an agent ended. */
export interface AgentEnd {
  readonly status: RunStatus
  readonly stopReason: string
  readonly error?: string
}

export interface AgentNode {
  /** The agent path: `root`, or `<parent>/<step>/agent:<name>#<k>`. */
  readonly path: string
  readonly name: string
  readonly model: string
  /** A sub-agent's brief (the task its parent delegated), on one line. */
  readonly brief: string | undefined
  /** The sub-agents' paths, in the order they started. */
  readonly children: readonly string[]
  readonly startedAt: number
  readonly endedAt: number | undefined
  /** When the model call in flight was sent; undefined when none is. */
  readonly modelSince: number | undefined
  /** The latest retry of the model call in flight. */
  readonly retry: { readonly attempt: number; readonly code: string } | undefined
  readonly tools: readonly RunningTool[]
  /** Model calls, tokens and cost of this agent and its sub-agents (as its budget counts them). */
  readonly steps: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
  readonly end: AgentEnd | undefined
  /** The latest warnings (budget, stall, a goal check not met), newest last. */
  readonly notes: readonly string[]
}

export interface TreeState {
  readonly nodes: Readonly<Record<string, AgentNode>>
  /** Agents without a parent in the stream: the root. */
  readonly roots: readonly string[]
  /** The latest event's time (ms since the run started). */
  readonly t: number
}

export const EMPTY_TREE: TreeState = { nodes: {}, roots: [], t: 0 }

/** Notes kept per agent. */
const NOTES = 2

/**
 * The agent an event belongs to: its path up to the last `<step>/agent:<name>#<k>` segment
 * (`root/2/agent:researcher#0/1/tool/call_1` → `root/2/agent:researcher#0`), else the root.
 */
export function agentPathOf(path: string): string {
  const parts = path.split('/')
  for (let i = parts.length - 1; i > 1; i--)
    if (parts[i]!.startsWith('agent:') && /^\d+$/.test(parts[i - 1]!)) return parts.slice(0, i + 1).join('/')
  return parts[0]!
}

/** The agent that delegated to the agent at `path`, or undefined for the root. */
export function parentPathOf(path: string): string | undefined {
  const parts = path.split('/')
  return parts.length > 2 ? agentPathOf(parts.slice(0, -2).join('/')) : undefined
}

/** The tree after one more event. Pure: `state` is left as it was. */
export function reduceTree(state: TreeState, event: BatonEvent): TreeState {
  const t = Math.max(state.t, event.t ?? state.t)
  const at = { ...state, t }
  const path = event.type === 'agent.start' ? event.path : agentPathOf(event.path)
  const node = state.nodes[path]
  switch (event.type) {
    case 'agent.start': {
      const started: AgentNode = {
        path,
        name: event.agent,
        model: event.model,
        brief: parentPathOf(path) === undefined ? undefined : oneLine(taskText(event.task)),
        children: node?.children ?? [],
        startedAt: t,
        endedAt: undefined,
        modelSince: undefined,
        retry: undefined,
        tools: [],
        steps: node?.steps ?? 0,
        inputTokens: node?.inputTokens ?? 0,
        outputTokens: node?.outputTokens ?? 0,
        costUsd: node?.costUsd ?? 0,
        end: undefined,
        notes: [],
      }
      const nodes = { ...state.nodes, [path]: started }
      const parentPath = parentPathOf(path)
      const parent = parentPath === undefined ? undefined : nodes[parentPath]
      if (parent && !parent.children.includes(path))
        nodes[parent.path] = { ...parent, children: [...parent.children, path] }
      const roots = parent || state.roots.includes(path) ? state.roots : [...state.roots, path]
      return { ...at, nodes, roots }
    }
    case 'model.request':
      return node ? change(at, node, { modelSince: t, retry: undefined }) : at
    case 'model.retry':
      return node ? change(at, node, { retry: { attempt: event.attempt, code: event.code } }) : at
    case 'model.error':
      return node ? change(at, node, { modelSince: undefined, retry: undefined }) : at
    case 'model.response': {
      if (!node) return at
      const { inputTokens, outputTokens } = event.usage
      let next = change(at, node, { modelSince: undefined, retry: undefined })
      // Each agent counts its sub-agents' calls too, as its budget does.
      for (let p: string | undefined = path; p !== undefined; p = parentPathOf(p)) {
        const counted = next.nodes[p]
        if (!counted) continue
        next = change(next, counted, {
          steps: counted.steps + 1,
          inputTokens: counted.inputTokens + inputTokens,
          outputTokens: counted.outputTokens + outputTokens,
          costUsd: counted.costUsd + event.costUsd,
        })
      }
      return next
    }
    case 'tool.call':
      return node
        ? change(at, node, { tools: [...node.tools, { callId: event.callId, name: event.name, since: t }] })
        : at
    case 'approval.request': {
      if (!node) return at
      const known = node.tools.some((tool) => tool.callId === event.callId)
      const tools = known
        ? node.tools.map((tool) => (tool.callId === event.callId ? { ...tool, approval: true } : tool))
        : [...node.tools, { callId: event.callId, name: event.name, since: t, approval: true }]
      return change(at, node, { tools })
    }
    case 'tool.result':
      return node
        ? change(at, node, { tools: node.tools.filter((tool) => tool.callId !== event.callId) })
        : at
    case 'goal.check':
      return node && !event.passed
        ? note(at, node, `${event.check} not met${event.feedback ? `: ${event.feedback}` : ''}`)
        : at
    case 'budget.warning':
    case 'stall.warning':
      return node ? note(at, node, event.message) : at
    case 'budget.exceeded':
      return node
        ? note(at, node, `budget: ${event.limit} reached at ${event.at} (${event.used} of ${event.max})`)
        : at
    case 'agent.end': {
      if (!node) return at
      const end: AgentEnd = event.error
        ? { status: event.status, stopReason: event.stopReason, error: event.error.message }
        : { status: event.status, stopReason: event.stopReason }
      // The budget's own totals are the reference once the agent has ended.
      return change(at, node, {
        end,
        endedAt: t,
        modelSince: undefined,
        retry: undefined,
        tools: [],
        steps: event.usage.steps,
        inputTokens: event.usage.inputTokens,
        outputTokens: event.usage.outputTokens,
        costUsd: event.usage.costUsd,
      })
    }
    case 'run.end': {
      // Every agent has stopped with the run (one that said nothing more stopped as the run did).
      let next = at
      for (const open of Object.values(state.nodes))
        if (!open.end)
          next = change(next, open, {
            end: { status: event.status, stopReason: event.stopReason },
            endedAt: t,
            modelSince: undefined,
            retry: undefined,
            tools: [],
          })
      return next
    }
    default:
      return at
  }
}

function change(state: TreeState, node: AgentNode, fields: Partial<AgentNode>): TreeState {
  return { ...state, nodes: { ...state.nodes, [node.path]: { ...node, ...fields } } }
}

function note(state: TreeState, node: AgentNode, text: string): TreeState {
  const line = oneLine(text)
  if (node.notes.at(-1) === line) return state
  return change(state, node, { notes: [...node.notes.filter((n) => n !== line), line].slice(-NOTES) })
}

/** Whether anything is still under way (the elapsed times on screen then change by themselves). */
export function isBusy(state: TreeState): boolean {
  return Object.values(state.nodes).some((node) => node.end === undefined)
}

// ---------------------------------------------------------------------------------------------
// Drawing

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan'
const CODES: Record<Style, string> = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' }

interface Segment {
  text: string
  style?: Style
}

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
  if (node.brief) line.push({ text: ` · “${clip(node.brief, 80)}”`, style: 'dim' })
  return line
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
        { text: 'paused: awaiting approval', style: 'yellow' },
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
    const retry = node.retry ? ` (retry ${node.retry.attempt}: ${node.retry.code})` : ''
    return [
      spinner,
      { text: `waiting on the model ${duration(now - node.modelSince)}${retry}`, style: 'cyan' },
    ]
  }
  return [spinner, { text: 'running', style: 'cyan' }]
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

function taskText(task: unknown): string {
  return typeof task === 'string' ? task : JSON.stringify(task)
}

/** Terminal escape sequences (CSI, OSC) and control characters in text from the run. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const CSI = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const OSC = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\s]+/g

/**
 * Text from the run (names, briefs, tool results, errors) on one line, with no escape sequence or
 * control character left to move the cursor or change colors.
 */
export function oneLine(text: string): string {
  return text.replace(CSI, '').replace(OSC, '').replace(CONTROLS, ' ').trim()
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** Terminal cells of a code point: 0 for combining marks, 2 for wide (East Asian, emoji), else 1. */
export function cellWidth(code: number): number {
  if (
    (code >= 0x300 && code <= 0x36f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0x1ab0 && code <= 0x1aff) ||
    (code >= 0x20d0 && code <= 0x20ff)
  )
    return 0
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  )
    return 2
  return 1
}

/** Terminal cells of a string. */
export function textWidth(text: string): number {
  let width = 0
  for (const char of text) width += cellWidth(char.codePointAt(0)!)
  return width
}

/** The segments cut to `width` cells, with `…` where they were cut. */
function cut(line: Segment[], width: number): Segment[] {
  if (line.reduce((sum, segment) => sum + textWidth(segment.text), 0) <= width) return line
  const out: Segment[] = []
  let left = width - 1
  for (const segment of line) {
    let text = ''
    for (const char of segment.text) {
      const w = cellWidth(char.codePointAt(0)!)
      if (w > left) break
      text += char
      left -= w
    }
    out.push({ ...segment, text })
    if (text.length < segment.text.length) break
  }
  out.push({ text: '…', style: 'dim' })
  return out
}

function paint(line: Segment[], color: boolean): string {
  return line
    .map(({ text, style }) => (color && style && text ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text))
    .join('')
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
