#!/usr/bin/env node
/**
 * @module cli
 * `baton run <agent-module>[#export] "<task>"`, `baton run <agent-module>[#export] --resume
 * <transcript>`, `baton replay <transcript>` and `baton eval [files…]`. Exit codes: 0 done (every
 * eval case passed), 1 the run ended without success (a case failed or regressed), 2 usage error.
 */
import { relative, resolve, sep } from 'node:path'
import { BatonError } from '../errors/index.js'
import type { ReplayResult } from '../replay/index.js'
import { type RunResult, type RunStream, stream } from '../run/index.js'
import { readTranscript } from '../transcript/index.js'
import { EVAL_HELP, HELP, parseEvalArgs, parseReplayArgs, parseRunArgs, UsageError } from './args.js'
import { evalCommand } from './eval-command.js'
import { loadAgent } from './load-agent.js'
import { formatEvent, formatResult, type ReplayInfo } from './print-events.js'
import { replayTarget, startAgain } from './replay-command.js'

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP)
    return command === undefined ? 2 : 0
  }
  if (command !== 'run' && command !== 'replay' && command !== 'eval')
    throw new UsageError(
      `unknown command "${command}"; expected "run", "replay" or "eval" (see baton --help)`,
    )
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command === 'eval' ? EVAL_HELP : HELP)
    return 0
  }
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  const { signal } = controller

  if (command === 'eval') return evalCommand(parseEvalArgs(rest), { out: process.stdout, signal })

  if (command === 'replay') {
    const args = parseReplayArgs(rest)
    const transcript = readTranscript(args.transcript)
    const target = replayTarget(transcript, args.agent)
    const agent = await loadAgent(target.module, target.exportName)
    const again = startAgain(transcript, agent, 'replay', {
      strict: !args.lenient,
      liveTools: args.liveTools,
      signal,
      ...(args.model ? { model: args.model } : {}),
      ...(args.record ? { record: args.record } : {}),
    })
    return show(again.events, again.result, args.json, !args.lenient)
  }

  const args = parseRunArgs(rest)
  if (args.resume !== undefined) {
    const transcript = readTranscript(args.resume)
    const agent = await loadAgent(args.module, args.exportName)
    // Like resume(): the new, complete transcript replaces the old one unless --record says where.
    const again = startAgain(transcript, agent, 'resume', {
      strict: true,
      budget: args.budget,
      ...(args.record ? { record: args.record } : {}),
      signal,
      ...(args.model ? { model: args.model } : {}),
    })
    return show(again.events, again.result, args.json, true)
  }
  const agent = await loadAgent(args.module, args.exportName)
  const events = stream(agent, args.task!, {
    signal,
    budget: args.budget,
    source: sourceOf(args.module, args.exportName),
    ...(args.record ? { record: args.record } : {}),
    ...(args.model ? { model: args.model } : {}),
  })
  return show(events, events.result, args.json)
}

/** Prints the live log (or nothing, with --json), then the result; returns the exit code. */
async function show(
  events: RunStream,
  result: Promise<RunResult | ReplayResult>,
  json: boolean,
  strict?: boolean,
): Promise<number> {
  for await (const event of events) {
    if (json) continue
    const line = formatEvent(event)
    if (line !== undefined) process.stdout.write(`${line}\n`)
  }
  const ended = await result
  let replay: ReplayInfo | undefined
  if ('divergences' in ended) replay = { divergences: ended.divergences, live: ended.live, lenient: !strict }
  process.stdout.write(json ? `${JSON.stringify(ended, null, 2)}\n` : `${formatResult(ended, replay)}\n`)
  return ended.status === 'done' ? 0 : 1
}

const debug = process.argv.includes('--debug')
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const usage = error instanceof UsageError || (error instanceof BatonError && error.code !== 'INTERNAL')
    process.stderr.write(`baton: ${(error as Error).message}\n`)
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`)
    process.exitCode = usage ? 2 : 1
  },
)

/** The module as the header records it: relative to here, with `/` separators. */
function sourceOf(module: string, exportName: string | undefined): { module: string; export?: string } {
  const path = relative(process.cwd(), resolve(module)).split(sep).join('/')
  return exportName ? { module: path, export: exportName } : { module: path }
}
