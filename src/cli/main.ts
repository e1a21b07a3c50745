#!/usr/bin/env node
/**
 * @module cli
 * `baton run <agent-module>[#export] "<task>"` (with `--database`: on the durable workers), `baton run <agent-module>[#export] --resume
 * <transcript>`, `baton replay <transcript>` and `baton eval [files…]`. Exit codes: 0 done (every
 * eval case passed), 1 the run ended without success (a case failed or regressed), 2 usage error.
 */
// Only what every command needs loads up front; each command imports its own parts (the run
// loop, providers, transcripts, eval) when it runs, so that `baton --help` starts fast.
import type { ReplayResult } from '../replay/index.js'
import type { RunResult, RunStream } from '../run/index.js'
import { VERSION } from '../version.js'
import { didYouMean, parseEvalArgs, parseReplayArgs, parseRunArgs, UsageError } from './args.js'
import { drawsTree } from './draws-tree.js'
import { EVAL_HELP, HELP, REPLAY_HELP, RUN_HELP } from './help.js'
import type { ResumeTarget } from './resume-hint.js'
import { taskFromStdin } from './stdin-task.js'
import { oneLine } from './terminal-text.js'

const COMMANDS = ['run', 'replay', 'eval', 'view', 'worker', 'runs', 'export-otel', 'verify', 'mcp'] as const
type Command = (typeof COMMANDS)[number]

export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...after] = argv
  // `baton help run` is `baton run --help`.
  const [command, ...rest] = first === 'help' && after.length > 0 ? [after[0]!, '--help'] : [first, ...after]
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP)
    return command === undefined ? 2 : 0
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`baton ${VERSION}\n`)
    return 0
  }
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new UsageError(
      `unknown command "${command}"; expected "run", "replay", "eval", "view", "worker", "runs", "export-otel", "verify" or "mcp" (see baton --help)${didYouMean(command, COMMANDS) ?? ''}`,
    )
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(await helpOf(command as Command))
    return 0
  }
  if (command === 'view') {
    const { parseViewArgs, viewCommand } = await import('./view-command.js')
    return viewCommand(parseViewArgs(rest), { out: process.stdout })
  }
  if (command === 'verify') {
    const { parseVerifyArgs, verifyCommand } = await import('./verify-command.js')
    return verifyCommand(parseVerifyArgs(rest), { out: process.stdout })
  }
  if (command === 'export-otel') {
    const { exportOtelCommand, parseExportOtelArgs } = await import('./export-otel-command.js')
    return exportOtelCommand(parseExportOtelArgs(rest), {
      out: process.stdout,
      err: process.stderr,
      env: process.env,
    })
  }
  const controller = new AbortController()
  // The first Ctrl-C aborts the run (it ends as `aborted`, its transcript closed); a second one
  // leaves at once, with the terminal's cursor shown again.
  process.on('SIGINT', () => {
    if (!controller.signal.aborted) return controller.abort()
    if (process.stdout.isTTY) process.stdout.write('\x1b[?25h\n')
    process.exit(130)
  })
  const { signal } = controller

  if (command === 'worker') {
    const { parseWorkerArgs } = await import('./args.js')
    const { workerCommand } = await import('./worker-command.js')
    return workerCommand(parseWorkerArgs(rest), { out: process.stdout, err: process.stderr, signal })
  }

  if (command === 'mcp') {
    const { mcpCommand, parseMcpArgs } = await import('./mcp-command.js')
    return mcpCommand(parseMcpArgs(rest), {
      out: process.stdout,
      err: process.stderr,
      env: process.env,
      signal,
    })
  }

  if (command === 'runs') {
    const { parseRunsArgs } = await import('./runs-args.js')
    const { runsCommand } = await import('./runs-command.js')
    return runsCommand(parseRunsArgs(rest), {
      out: process.stdout,
      err: process.stderr,
      env: process.env,
      signal,
    })
  }

  if (command === 'eval') {
    const args = parseEvalArgs(rest)
    if (args.model !== undefined) await modelFlag(args.model, false)
    const { evalCommand } = await import('./eval-command.js')
    return evalCommand(args, { out: process.stdout, signal })
  }

  if (command === 'replay') {
    const args = parseReplayArgs(rest)
    const { loadAgentModule, readTranscript, replayTarget, startAgain } = await replayParts()
    const model = args.model === undefined ? undefined : await modelFlag(args.model, !args.lenient)
    const transcript = readTranscript(args.transcript)
    const target = replayTarget(transcript, args.agent, (line) =>
      process.stderr.write(`baton: ${oneLine(line)}\n`),
    )
    const { agent, module } = await loadAgentModule(target.module, target.exportName)
    try {
      const again = startAgain(transcript, agent, 'replay', {
        strict: !args.lenient,
        liveTools: args.liveTools,
        signal,
        deltas: drawsTree(args.json, process.stdout, process.env),
        ...(model ? { model } : {}),
        ...(args.record ? { record: args.record } : {}),
      })
      return await show(again.events, again.result, args.json, !args.lenient)
    } finally {
      await closeModule(module)
    }
  }

  const parsed = parseRunArgs(rest)
  const args = parsed.task === '-' ? { ...parsed, task: await taskFromStdin(process.stdin) } : parsed
  if (args.model !== undefined) await modelFlag(args.model, false)
  if (args.resume !== undefined) {
    const { loadAgentModule, readTranscript, startAgain } = await replayParts()
    const transcript = readTranscript(args.resume)
    // The module comes from the command line, never from the transcript's header.
    const { agent, module } = await loadAgentModule(args.module, args.exportName)
    const otel = args.otel ? await (await import('./otel-flag.js')).startOtel(process.env) : undefined
    try {
      // Like resume(): the new, complete transcript replaces the old one unless --record says where.
      const again = startAgain(transcript, agent, 'resume', {
        strict: true,
        budget: args.budget,
        ...(args.record ? { record: args.record } : {}),
        signal,
        deltas: drawsTree(args.json, process.stdout, process.env),
        ...(args.model ? { model: args.model } : {}),
        ...(args.prices ? { prices: args.prices } : {}),
        ...(otel ? { tracer: otel.tracer } : {}),
      })
      return await show(again.events, again.result, args.json, true, args)
    } finally {
      if (otel) await (await import('./otel-flag.js')).endOtel(otel, process.stderr)
      await closeModule(module)
    }
  }
  const [{ loadAgentModule }, { runCommand }] = await Promise.all([
    import('./load-agent.js'),
    import('./run-command.js'),
  ])
  const loaded = await loadAgentModule(args.module, args.exportName)
  try {
    if (args.database !== undefined) {
      const { durableRunCommand } = await import('./runs-command.js')
      return await durableRunCommand(args, loaded, {
        out: process.stdout,
        err: process.stderr,
        env: process.env,
        signal,
      })
    }
    return await runCommand(args, loaded, {
      out: process.stdout,
      err: process.stderr,
      env: process.env,
      signal,
    })
  } finally {
    await closeModule(loaded.module)
  }
}

/** Calls the agent module's exported `close()` (stopping an MCP server, say), if it has one. */
async function closeModule(module: Record<string, unknown>): Promise<void> {
  if (typeof module.close !== 'function') return
  try {
    await (module.close as () => unknown)()
  } catch (error) {
    process.stderr.write(`baton: the agent module's close() failed: ${(error as Error).message}\n`)
  }
}

/** What `baton replay` and `baton run --resume` load. */
async function replayParts() {
  const [{ loadAgentModule }, { readTranscript }, { replayTarget, startAgain }] = await Promise.all([
    import('./load-agent.js'),
    import('../transcript/index.js'),
    import('./replay-command.js'),
  ])
  return { loadAgentModule, readTranscript, replayTarget, startAgain }
}

/**
 * Shows the run (a live tree on a terminal, plain lines otherwise, nothing with --json), then
 * the result; returns the exit code.
 */
async function show(
  events: RunStream,
  result: Promise<RunResult | ReplayResult>,
  json: boolean,
  strict?: boolean,
  resume?: ResumeTarget,
): Promise<number> {
  const { printRun } = await import('./print-events.js')
  return printRun(events, result, { json, strict, ...(resume ? { resume } : {}) })
}

async function helpOf(command: Command): Promise<string> {
  if (command === 'run') return RUN_HELP
  if (command === 'replay') return REPLAY_HELP
  if (command === 'eval') return EVAL_HELP
  if (command === 'worker') return (await import('./worker-command.js')).WORKER_HELP
  if (command === 'runs') return (await import('./runs-command.js')).RUNS_HELP
  if (command === 'export-otel') return (await import('./export-otel-command.js')).EXPORT_OTEL_HELP
  if (command === 'verify') return (await import('./verify-command.js')).VERIFY_HELP
  if (command === 'mcp') return (await import('./mcp-command.js')).MCP_HELP
  return (await import('./view-command.js')).VIEW_HELP
}

/** Checks --model when the command runs (the model table loads only then). */
async function modelFlag(value: string, strictReplay: boolean) {
  return (await import('./model-flag.js')).modelFlag(value, strictReplay)
}

// Output piped into a reader that stops early (`| head`) does not stop the run: it goes on
// quietly and still leaves its transcript.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error
  })
}

const debug = process.argv.includes('--debug')
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  async (error: unknown) => {
    const { BatonError } = await import('../errors/index.js')
    const usage = error instanceof UsageError || (error instanceof BatonError && error.code !== 'INTERNAL')
    const { inFlags } = await import('./flag-wording.js')
    const { terminalText } = await import('./terminal-text.js')
    // The message may quote a transcript or a module's error: no escape sequence reaches the terminal.
    const message = terminalText(inFlags(String((error as Error)?.message ?? error)))
    // A usage error is one line (a compiler's error about the agent module may span several).
    process.stderr.write(`baton: ${usage && !debug ? message.replace(/\s*\n\s*/g, ' ') : message}\n`)
    if (debug && error instanceof Error) process.stderr.write(`${terminalText(String(error.stack))}\n`)
    process.exitCode = usage ? 2 : 1
  },
)
