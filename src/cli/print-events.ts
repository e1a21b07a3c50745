import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { BatonEvent, ContextCompactEvent } from '../events/index.js'
import type { Divergence, ReplayResult } from '../replay/index.js'
import type { RunResult } from '../run/index.js'
import { drawsTree } from './draws-tree.js'
import { inFlags } from './flag-wording.js'
import { LiveTree, oneLine, type TreeOutput } from './live-tree.js'
import { count, type ResumeTarget, resumeCommand } from './resume-hint.js'
import { terminalText } from './terminal-text.js'

export interface PrintOptions {
  /** Print the result as JSON, and nothing while the run goes on. */
  json: boolean
  /** A replay or resume that fails on a divergence (rather than going on live). */
  strict?: boolean
  /** Default: process.stdout. */
  out?: TreeOutput
  /** Reads NO_COLOR and TERM (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>
  /** The module `baton run` ran: a run that can go on ends with the command that resumes it. */
  resume?: ResumeTarget
}

/**
 * Shows a run as it goes (a live tree on a terminal, plain lines otherwise, nothing with --json),
 * then its result; returns the exit code: 0 done, 1 ended without success.
 */
export async function printRun(
  events: AsyncIterable<BatonEvent>,
  result: Promise<RunResult | ReplayResult>,
  options: PrintOptions,
): Promise<number> {
  const out = options.out ?? process.stdout
  const env = options.env ?? process.env
  const tree = drawsTree(options.json, out, env)
    ? new LiveTree(out, { color: !env.NO_COLOR }) // NO_COLOR: any non-empty value
    : undefined
  try {
    for await (const event of events) {
      if (options.json) continue
      if (tree) tree.update(event)
      else {
        const line = formatEvent(event)
        if (line !== undefined) out.write(`${line}\n`)
      }
    }
  } finally {
    tree?.end()
  }
  const ended = await result
  let replay: ReplayInfo | undefined
  if ('divergences' in ended)
    replay = { divergences: ended.divergences, live: ended.live, lenient: !options.strict }
  const again = options.resume && resumeCommand(ended, options.resume)
  if (options.json) {
    out.write(`${JSON.stringify(ended, null, 2)}\n`)
    // stdout is the result alone.
    if (again) process.stderr.write(`to go on: ${again}\n`)
  } else out.write(`${formatResult(ended, replay)}\n${again ? `\nto go on: ${again}\n` : ''}`)
  return ended.status === 'done' ? 0 : 1
}

const depthOf = (path: string): number => (path.match(/agent:/g) ?? []).length

/**
 * One plain line per interesting event, indented by sub-agent depth, with no escape sequence or
 * control character from the run (a transcript being replayed may come from anyone).
 */
export function formatEvent(event: BatonEvent): string | undefined {
  const line = eventLine(event)
  return line === undefined ? undefined : terminalText(line)
}

function eventLine(event: BatonEvent): string | undefined {
  const indent = '  '.repeat(depthOf(event.path))
  switch (event.type) {
    case 'agent.start':
      return `${indent}▸ ${event.agent} (${event.model})${typeof event.task === 'string' && event.path !== 'root' ? `: ${clip(event.task)}` : ''}`
    case 'tool.call':
      return `${indent}  → ${event.name} ${clip(JSON.stringify(event.args) ?? '')}`
    case 'plan.start': {
      const waiting = event.tasks.filter((task) => task.needs.length > 0).length
      return `${indent}  ⋔ plan of ${event.tasks.length} tasks (${event.tasks.length - waiting} start at once): ${clip(event.tasks.map((task) => task.id).join(', '))}`
    }
    case 'approval.request':
      return `${indent}  ? ${event.name} awaits approval ${clip(JSON.stringify(event.args) ?? '')}`
    case 'elicitation.request':
      return `${indent}  ? ${event.server} asks for input (${event.name}): ${clip(event.message)}`
    case 'elicitation.answer':
      return `${indent}  ← input ${event.action}${event.content ? ` ${clip(JSON.stringify(event.content) ?? '')}` : ''}${event.error ? ` (refused: ${clip(event.error.message)})` : ''}`
    case 'sampling.request':
      return `${indent}  ⇢ ${event.server} asks ${event.model} for a completion (${event.name})`
    case 'tools.change':
      return `${indent}  ≡ tools: ${clip(event.tools.map((tool) => tool.name).join(', '))}`
    case 'model.fallback':
      return `${indent}  ⇢ model ${event.from} → ${event.to} (${event.code}): ${clip(event.message)}`
    case 'model.route':
      return `${indent}  ⇢ routed to ${event.model}${event.reason ? `: ${clip(event.reason)}` : ''}`
    case 'model.queued':
      return `${indent}  ⧗ queued for ${event.scope} (${event.reason}${event.waitMs === undefined ? '' : `, ~${event.waitMs} ms`})`
    case 'model.retry':
      return `${indent}  ↻ model retry ${event.attempt} in ${event.delayMs} ms: ${clip(event.message)}`
    case 'tool.result':
      return event.isError
        ? `${indent}  ✗ ${event.name}: ${clip(event.content)}`
        : `${indent}  ← ${event.name}: ${clip(event.content)}`
    case 'model.response': {
      const { inputTokens, outputTokens } = event.usage
      return `${indent}  · ${callName(event.path)} ${event.finishReason} (${inputTokens}+${outputTokens} tokens, $${event.costUsd.toFixed(4)})`
    }
    case 'context.compact':
      return `${indent}  ⇲ ${compactionText(event)}`
    case 'goal.check':
      return event.passed ? undefined : `${indent}  ↺ ${event.check} not met: ${clip(event.feedback ?? '')}`
    case 'budget.exceeded':
      return `${indent}  ■ budget: ${event.limit} reached at ${event.at} (${event.used} of ${event.max})`
    case 'budget.warning':
    case 'stall.warning':
      return `${indent}  ! ${inFlags(event.message)}`
    case 'agent.end':
      return `${indent}■ ${event.agent} ${event.status}${event.status === 'done' ? '' : ` (${event.stopReason})`}`
    default:
      return undefined
  }
}

/** Whose model call a step key is: the agent's own, a goal scorer's judge, a compaction's summary. */
function callName(path: string): string {
  if (path.includes('/compact/')) return 'summary'
  if (path.includes('/goal/')) return 'judge'
  return 'model'
}

/** `history compacted 16958 → 4721 tokens (limit 12000): 6 results stubbed, 12 messages summarised`. */
function compactionText(event: ContextCompactEvent): string {
  const why =
    event.reason === 'overflow' ? 'overflow: the provider refused the request' : `limit ${event.limit}`
  const what = [
    ...(event.custom ? ["by the agent's own policy"] : []),
    ...(event.stubbed.length ? [`${count(event.stubbed.length, 'result')} stubbed`] : []),
    ...(event.summarized ? [`${count(event.summarized, 'message')} summarised`] : []),
    ...(event.summaryError ? [`summary failed: ${clip(event.summaryError.message)}`] : []),
  ]
  return `history compacted ${event.tokensBefore} → ${event.tokensAfter} tokens (${why})${what.length ? `: ${what.join(', ')}` : ''}`
}

/** What a replay or resume adds to its result. */
export interface ReplayInfo {
  divergences: Divergence[]
  live: { model: number; tool: number }
  /** Divergences went on live instead of ending the run. */
  lenient: boolean
}

/** The result as the CLI prints it; text from the run (its answer, errors, diffs) is made safe to print. */
export function formatResult(result: RunResult, replay?: ReplayInfo): string {
  const { usage } = result
  const output = typeof result.output === 'string' ? result.output : JSON.stringify(result.output, null, 2)
  const divergences = replay?.divergences ?? []
  // A divergence is shown whole below; its error message would only repeat it.
  const shown = result.error?.code === 'REPLAY_DIVERGENCE' && divergences.length > 0
  const lines = [
    '',
    `status: ${result.status} (${result.stopReason})`,
    ...(result.error && result.status !== 'done' && !shown ? [`error: ${result.error.message}`] : []),
    ...divergences.flatMap((divergence) =>
      formatDivergence(divergence, replay?.lenient ? ' (went on live)' : ''),
    ),
    `usage: ${count(usage.steps, 'model call')}, ${count(usage.toolCalls, 'tool call')}, ${usage.inputTokens}+${usage.outputTokens} tokens, $${usage.costUsd.toFixed(4)}, ${usage.wallMs} ms`,
    ...(replay
      ? [
          `live: ${count(replay.live.model, 'model call')}, ${count(replay.live.tool, 'tool call')} (the rest came from the recording)`,
        ]
      : []),
    ...(output === undefined ? [] : ['', output]),
    ...(result.transcript ? ['', `transcript: ${shortPath(result.transcript)}`] : []),
  ]
  return terminalText(lines.join('\n'))
}

const DIFFERS = 'the request differs from the recording: '

/** `divergence at <step key>: what differs`, then the diff lines (`-` recorded, `+` now), indented. */
export function formatDivergence(divergence: Divergence, note = ''): string[] {
  let text = divergence.message
  if (text.startsWith(`${divergence.step}: `)) text = text.slice(divergence.step.length + 2)
  const [first = '', ...rest] = text.split('\n')
  const head = first.startsWith(DIFFERS)
    ? ['the request differs from the recording:', first.slice(DIFFERS.length)]
    : [first]
  return [
    `divergence at ${divergence.step}${note}: ${head[0]}`,
    ...[...head.slice(1), ...rest].map((line) => `  ${line}`),
  ]
}

function clip(text: string, max = 100): string {
  // Escape sequences and control characters from the run (in a tool result) never reach the terminal.
  const flat = oneLine(text)
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** A path as one would type it: relative to the working directory when it is inside it. */
export function shortPath(path: string): string {
  const from = relative(process.cwd(), resolve(path))
  return from === '' || from.startsWith('..') || isAbsolute(from) ? path : from.split(sep).join('/')
}
