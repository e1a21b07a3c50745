/**
 * `baton run <agent-module>[#export] "<task>"`: runs the agent live and leaves its transcript and
 * its HTML trace in `runs/`. When the models the agent needs have no API key and its module ships
 * a recording (`export const recording = '<transcript path>'`), the recorded run is replayed
 * instead, and the CLI says so: a first run works offline and never pretends to be live.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { basename, join, relative, resolve, sep } from 'node:path'
import type { Agent } from '../agent/index.js'
import type { ReplayResult } from '../replay/index.js'
import type { RunResult, RunStream } from '../run/index.js'
import { type RunArgs, UsageError } from './args.js'
import { drawsTree } from './draws-tree.js'
import type { LoadedAgent } from './load-agent.js'
import { standIn } from './model-flag.js'
import { isViewPage, replaceFile } from './page-file.js'
import { shortPath } from './print-events.js'
import type { ResumeTarget } from './resume-hint.js'
import { terminalText } from './terminal-text.js'

interface Output {
  write(text: string): unknown
  isTTY?: boolean
}

export interface RunIO {
  out: Output
  err: Output
  env: Readonly<Record<string, string | undefined>>
  signal: AbortSignal
  /** Where `runs/` goes (default: the working directory). */
  cwd?: string
  now?: () => Date
}

/** A model string and the environment variable it needs but does not have. */
export interface MissingKey {
  model: string
  variable: string
}

/** Runs `baton run` (not `--resume`); returns the exit code. */
export async function runCommand(args: RunArgs, loaded: LoadedAgent, io: RunIO): Promise<number> {
  const { agent, module } = loaded
  const missing = missingKeys(args.model !== undefined ? [args.model] : modelsOf(agent), io.env)
  const recordPath = () => (args.noRecord ? undefined : (args.record ?? runsPath(agent.name, io)))
  let record: string | undefined
  let events: RunStream
  let result: Promise<RunResult | ReplayResult>
  // A live run that stops short can go on with --resume; a replay of the shipped recording cannot.
  let resume: ResumeTarget | undefined
  const otel = args.otel ? await (await import('./otel-flag.js')).startOtel(io.env) : undefined
  if (missing.length > 0) {
    const recording = typeof module.recording === 'string' ? module.recording : undefined
    // A model asked for by name is not swapped for a recording.
    if (args.model !== undefined || recording === undefined || !existsSync(recording))
      throw noKey(missing, args)
    const { readTranscript } = await import('../transcript/index.js')
    const { replayStream } = await import('../replay/index.js')
    const transcript = readTranscript(recording)
    const { header } = transcript
    const notice = [
      `No API key: ${missing.map((m) => `${m.model} needs ${m.variable}`).join('; ')}.`,
      `So this is a replay of the recorded run ${shortPath(recording)} (model ${header.agent.model}${header.agent.model.startsWith('scripted:') ? ', a scripted stand-in for an LLM' : ''}): no model is called and no tool runs (their recorded results are reused).`,
      ...(header.task !== args.task
        ? [`The recording answers its own task, not yours: "${header.task}"`]
        : []),
      `Set ${[...new Set(missing.map((m) => m.variable))].join(' and ')} to run it live.`,
    ]
    record = recordPath()
    ;(args.json ? io.err : io.out).write(`${terminalText(notice.join('\n'))}\n\n`)
    const again = replayStream(transcript, agent, 'replay', {
      strict: true,
      deltas: drawsTree(args.json, io.out, io.env),
      model: standIn(header.agent.model),
      // Each recorded step is answered as its recorded model answered it, whatever model each
      // agent of the tree had (a workflow's own and its writer's differ).
      recordedModels: true,
      signal: io.signal,
      ...(otel ? { tracer: otel.tracer } : {}),
      ...(record ? { record } : {}),
    })
    events = again.events
    result = again.result
  } else {
    record = recordPath()
    const { streamRun } = await import('../run/index.js')
    const run = streamRun(agent, args.task!, {
      signal: io.signal,
      // Only the live tree shows the answers as they are written.
      deltas: drawsTree(args.json, io.out, io.env),
      budget: args.budget,
      source: sourceOf(args.module, args.exportName, io),
      ...(otel ? { tracer: otel.tracer } : {}),
      ...(record ? { record } : {}),
      ...(args.model ? { model: args.model } : {}),
      ...(args.prices ? { prices: args.prices } : {}),
    })
    events = run
    result = run.result
    resume = { module: args.module, exportName: args.exportName }
  }
  const { printRun } = await import('./print-events.js')
  const code = await printRun(events, result, { json: args.json, strict: true, out: io.out, env: io.env })
  // A run whose transcript could not be written has no trace to draw.
  if (record && (await result).transcript) await writeTrace(record, args.json, io)
  if (otel) await (await import('./otel-flag.js')).endOtel(otel, io.err)
  if (resume) {
    // The last line, where the eye lands: how to go on with a run that stopped short.
    const { resumeCommand } = await import('./resume-hint.js')
    const again = resumeCommand(await result, resume)
    if (again) (args.json ? io.err : io.out).write(`${args.json ? '' : '\n'}to go on: ${again}\n`)
  }
  return code
}

/**
 * Writes the HTML trace next to the transcript and says where both are. A trace that cannot be
 * written is a warning: the run itself is over and its transcript is kept.
 */
export async function writeTrace(transcript: string, json: boolean, io: RunIO): Promise<void> {
  const html = `${transcript.replace(/\.(jsonl|ndjson)$/i, '')}.html`
  // With --json, stdout is the result alone; the paths go to stderr.
  const out = json ? io.err : io.out
  if (json) out.write(`transcript: ${shortPath(transcript)}\n`)
  try {
    // Someone's own file of that name is left alone: only a page Baton wrote is replaced.
    if (statSync(html, { throwIfNoEntry: false })?.isFile() && !isViewPage(html)) {
      io.err.write(
        `baton: the HTML trace was not written: ${shortPath(html)} exists and is not a page Baton wrote (baton view ${shortPath(transcript)} --out <file.html> writes it elsewhere)\n`,
      )
      return
    }
    const { readViewInput, renderViewHtml } = await import('../view/index.js')
    replaceFile(html, renderViewHtml(readViewInput(transcript), { source: basename(transcript) }))
    out.write(`trace:      ${shortPath(html)}  (open it in a browser)\n`)
  } catch (error) {
    io.err.write(`baton: the HTML trace was not written: ${(error as Error).message}\n`)
  }
}

/** `runs/<agent>-<yyyymmdd-hhmmss>.jsonl` (local time), made unique when a run of the same second exists. */
export function runsPath(agentName: string, io: Pick<RunIO, 'cwd' | 'now'>): string {
  const dir = join(io.cwd ?? process.cwd(), 'runs')
  const at = io.now?.() ?? new Date()
  const two = (n: number) => String(n).padStart(2, '0')
  const stamp = `${at.getFullYear()}${two(at.getMonth() + 1)}${two(at.getDate())}-${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}`
  const name = `${agentName.replace(/[^\w.-]+/g, '-')}-${stamp}`
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    throw new UsageError(
      `cannot create ${dir} for the run's transcript (${(error as NodeJS.ErrnoException).code}); pass --record <file> or --no-record`,
    )
  }
  for (let n = 1; ; n++) {
    const path = join(dir, n === 1 ? `${name}.jsonl` : `${name}-${n}.jsonl`)
    if (!existsSync(path)) return path
  }
}

/** Every model string of the agent tree, once each. */
export function modelsOf(agent: Agent): string[] {
  const found = new Set<string>()
  const seen = new Set<Agent>()
  const visit = (a: Agent) => {
    if (seen.has(a)) return
    seen.add(a)
    if (typeof a.model === 'string') found.add(a.model)
    for (const sub of a.agents) visit(sub)
  }
  visit(agent)
  return [...found]
}

/**
 * The model strings whose provider has no key in `env`: `openai:` needs OPENAI_API_KEY,
 * `anthropic:` ANTHROPIC_API_KEY, `compatible:` a server (OPENAI_BASE_URL). Models given as
 * objects carry their own configuration and are not checked.
 */
export function missingKeys(
  models: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): MissingKey[] {
  const needs: Record<string, string> = {
    openai: 'OPENAI_API_KEY',
    anthropic: 'ANTHROPIC_API_KEY',
    compatible: 'OPENAI_BASE_URL',
  }
  const missing: MissingKey[] = []
  // A chain (`a,b`) needs a key for each of its models.
  for (const model of models.flatMap((m) => m.split(','))) {
    const variable = needs[model.slice(0, model.indexOf(':'))]
    if (variable !== undefined && !env[variable]) missing.push({ model, variable })
  }
  return missing
}

function noKey(missing: MissingKey[], args: RunArgs): UsageError {
  const { model, variable } = missing[0]!
  return new UsageError(
    `${model} needs ${variable}, which is not set: export ${variable}=… and run again${args.model ? '' : ', or pass --model <provider:model> for a provider you have a key for'}`,
  )
}

/** The module as the header records it: relative to the working directory, with `/` separators. */
export function sourceOf(
  module: string,
  exportName: string | undefined,
  io: Pick<RunIO, 'cwd'> = {},
): { module: string; export?: string } {
  const cwd = io.cwd ?? process.cwd()
  const path = relative(cwd, resolve(cwd, module)).split(sep).join('/')
  return exportName ? { module: path, export: exportName } : { module: path }
}
