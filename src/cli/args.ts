import type { BudgetLimits } from '../budget/index.js'
import type { EvalMode } from '../eval/index.js'

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

export interface RunArgs {
  module: string
  exportName: string | undefined
  /** The task; undefined with `--resume` (the task comes from the transcript). */
  task: string | undefined
  /** `--resume <transcript>`: go on with a crashed, stopped or paused run. */
  resume: string | undefined
  json: boolean
  /** Where the transcript goes; undefined: `runs/<agent>-<time>.jsonl`. */
  record: string | undefined
  /** `--no-record`: leave no transcript (and no HTML trace). */
  noRecord: boolean
  model: string | undefined
  budget: BudgetLimits
  debug: boolean
}

export interface ReplayArgs {
  transcript: string
  /** `--agent <module>[#export]`; without it, the module the transcript's header names. */
  agent: { module: string; exportName: string | undefined } | undefined
  liveTools: boolean
  lenient: boolean
  json: boolean
  record: string | undefined
  model: string | undefined
  debug: boolean
}

export interface EvalArgs {
  /** Eval files (or folders of them); empty: every `evals/*.eval.{ts,js,mjs}`. */
  files: string[]
  mode: EvalMode
  /** Runs at once; undefined: each eval's own (else 4). */
  concurrency: number | undefined
  /** Runs per case; undefined: each eval's own (else 1). */
  trials: number | undefined
  /** Where to write the JSON report. */
  json: string | undefined
  /** Where to write the HTML report. */
  html: string | undefined
  /** A JSON report to compare with. */
  baseline: string | undefined
  costIncrease: number
  stepsIncrease: number
  /** Undefined: `evals/cassettes`. */
  cassettes: string | undefined
  /** Puts every agent on this model (record and live modes). */
  model: string | undefined
  debug: boolean
}

const BUDGET_FLAGS: Record<string, keyof BudgetLimits> = {
  '--max-steps': 'maxSteps',
  '--max-tokens': 'maxTokens',
  '--max-cost-usd': 'maxCostUsd',
  '--max-wall-ms': 'maxWallMs',
  '--max-tool-calls': 'maxToolCalls',
  '--max-depth': 'maxDepth',
}

/** Splits `--flag=value`, and reads a flag's value from the next argument otherwise. */
function flags(argv: readonly string[], onFlag: (flag: string, value: () => string) => void): string[] {
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined]
    let read = false
    const value = (): string => {
      read = true
      const next = inline ?? argv[++i]
      if (next === undefined || (inline === undefined && next.startsWith('--')))
        throw new UsageError(`${flag} needs a value`)
      return next
    }
    if (flag.startsWith('-') && flag !== '-') {
      onFlag(flag, value)
      if (inline !== undefined && !read) throw new UsageError(`${flag} takes no value; remove "=${inline}"`)
    } else positional.push(arg)
  }
  return positional
}

/** `path/to/module.ts#export` → the module and the export name. */
export function splitTarget(target: string): { module: string; exportName: string | undefined } {
  const hash = target.lastIndexOf('#')
  return hash > 0
    ? { module: target.slice(0, hash), exportName: target.slice(hash + 1) }
    : { module: target, exportName: undefined }
}

/** Parses `baton run <module>[#export] "<task>" [flags]` and `baton run <module>[#export] --resume <file> [flags]`. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const args: Omit<RunArgs, 'module' | 'exportName' | 'task'> = {
    resume: undefined,
    json: false,
    record: undefined,
    noRecord: false,
    model: undefined,
    budget: {},
    debug: false,
  }
  const positional = flags(argv, (flag, value) => {
    if (flag === '--json') args.json = true
    else if (flag === '--debug') args.debug = true
    else if (flag === '--record') args.record = value()
    else if (flag === '--no-record') args.noRecord = true
    else if (flag === '--model') args.model = value()
    else if (flag === '--resume') args.resume = value()
    else if (flag in BUDGET_FLAGS) {
      const raw = value()
      const number = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(number) || number < 0)
        throw new UsageError(`${flag} must be a non-negative number, got ${JSON.stringify(raw)}`)
      args.budget[BUDGET_FLAGS[flag]!] = number
    } else {
      throw new UsageError(
        `unknown flag ${flag} for "baton run"; expected one of --json, --record, --no-record, --model, --resume, ${Object.keys(BUDGET_FLAGS).join(', ')}, --debug`,
      )
    }
  })
  if (args.noRecord && args.record !== undefined)
    throw new UsageError('--record and --no-record contradict each other; keep one')
  if (positional.length === 0)
    throw new UsageError(
      args.resume === undefined
        ? 'missing the agent module: baton run <agent-module>[#export] "<task>"'
        : 'missing the agent module: baton run <agent-module>[#export] --resume <transcript>',
    )
  if (args.resume !== undefined) {
    if (positional.length > 1)
      throw new UsageError(
        `a resumed run takes its task from the transcript; remove ${JSON.stringify(positional[1])}: baton run ${positional[0]} --resume ${args.resume}`,
      )
    if (args.noRecord)
      throw new UsageError(
        '--no-record does not go with --resume: a resumed run rewrites its transcript (or writes --record <file>)',
      )
    return { ...args, ...splitTarget(positional[0]!), task: undefined }
  }
  if (positional.length === 1)
    throw new UsageError('missing the task: baton run <agent-module>[#export] "<task>"')
  if (positional.length > 2)
    throw new UsageError(
      `too many arguments (${positional.length}); quote the task: baton run ${positional[0]} "<task>"`,
    )
  return { ...args, ...splitTarget(positional[0]!), task: positional[1]! }
}

/** Parses `baton replay <transcript> [flags]`. */
export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
  const args: Omit<ReplayArgs, 'transcript'> = {
    agent: undefined,
    liveTools: false,
    lenient: false,
    json: false,
    record: undefined,
    model: undefined,
    debug: false,
  }
  const positional = flags(argv, (flag, value) => {
    if (flag === '--json') args.json = true
    else if (flag === '--debug') args.debug = true
    else if (flag === '--live-tools') args.liveTools = true
    else if (flag === '--lenient') args.lenient = true
    else if (flag === '--agent') args.agent = splitTarget(value())
    else if (flag === '--record') args.record = value()
    else if (flag === '--model') args.model = value()
    else
      throw new UsageError(
        `unknown flag ${flag} for "baton replay"; expected one of --agent, --live-tools, --lenient, --model, --json, --record, --debug`,
      )
  })
  if (positional.length === 0)
    throw new UsageError(
      'missing the transcript: baton replay <transcript> [--agent <agent-module>[#export]]',
    )
  if (positional.length > 1)
    throw new UsageError(
      `too many arguments (${positional.length}); baton replay takes one transcript: baton replay ${positional[0]}`,
    )
  return { ...args, transcript: positional[0]! }
}

const EVAL_MODES: readonly EvalMode[] = ['replay', 'record', 'live']

/** Parses `baton eval [files…] [flags]`. */
export function parseEvalArgs(argv: readonly string[]): EvalArgs {
  const args: Omit<EvalArgs, 'files'> = {
    mode: 'replay',
    concurrency: undefined,
    trials: undefined,
    json: undefined,
    html: undefined,
    baseline: undefined,
    costIncrease: 0.2,
    stepsIncrease: 0.2,
    cassettes: undefined,
    model: undefined,
    debug: false,
  }
  const whole = (flag: string, raw: string): number => {
    const number = Number(raw)
    if (raw.trim() === '' || !Number.isInteger(number) || number < 1)
      throw new UsageError(`${flag} must be a whole number of 1 or more, got ${JSON.stringify(raw)}`)
    return number
  }
  const fraction = (flag: string, raw: string): number => {
    const number = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(number) || number < 0)
      throw new UsageError(
        `${flag} must be a non-negative fraction (0.2 allows a 20% rise), got ${JSON.stringify(raw)}`,
      )
    return number
  }
  const path = (flag: string, raw: string): string => {
    if (raw.trim() === '') throw new UsageError(`${flag} needs a file path`)
    return raw
  }
  const files = flags(argv, (flag, value) => {
    if (flag === '--debug') args.debug = true
    else if (flag === '--mode') {
      const mode = value()
      if (!EVAL_MODES.includes(mode as EvalMode))
        throw new UsageError(`--mode must be replay, record or live, got ${JSON.stringify(mode)}`)
      args.mode = mode as EvalMode
    } else if (flag === '--concurrency') args.concurrency = whole(flag, value())
    else if (flag === '--trials') args.trials = whole(flag, value())
    else if (flag === '--json') args.json = path(flag, value())
    else if (flag === '--html') args.html = path(flag, value())
    else if (flag === '--baseline') args.baseline = path(flag, value())
    else if (flag === '--cost-increase') args.costIncrease = fraction(flag, value())
    else if (flag === '--steps-increase') args.stepsIncrease = fraction(flag, value())
    else if (flag === '--cassettes') args.cassettes = path(flag, value())
    else if (flag === '--model') args.model = value()
    else
      throw new UsageError(
        `unknown flag ${flag} for "baton eval"; expected one of --mode, --concurrency, --trials, --json, --html, --baseline, --cost-increase, --steps-increase, --cassettes, --model, --debug`,
      )
  })
  return { ...args, files }
}

export const EVAL_HELP = `baton eval — run eval suites

Usage:
  baton eval [files…] [--mode replay|record|live] [--concurrency <n>] [--trials <k>]
             [--json <file>] [--html <file>] [--baseline <report.json>]
             [--cost-increase <fraction>] [--steps-increase <fraction>] [--cassettes <dir>]
             [--model <provider:model>]

Runs every eval (each export made by defineEval) of the given files, or of every
evals/*.eval.ts, .js and .mjs file when none is given, and grades each case with its scorers.
Shows progress, then a table (eval, case, pass, score, tokens in+out, cost, latency, steps),
why each failed case failed, and the totals with the pass rate and pass@k.

Modes:
  replay (default)  offline: every case replays its cassette, <cassettes>/<eval>/<case>.jsonl;
                    no model is called. A missing cassette, or an agent whose requests
                    differ from the recording, fails the case and says which step and how.
  record            runs the agents' own models and writes the cassettes
  live              runs the agents' own models and writes no cassettes

Flags:
  --mode <mode>          replay, record or live (default replay)
  --concurrency <n>      runs at once (default: the eval's, else 4)
  --trials <k>           runs per case, for pass@k (default: the eval's, else 1)
  --json <file>          write the JSON report (an EvalReport) to <file>
  --html <file>          write a self-contained HTML report to <file>
  --baseline <file>      compare with an earlier JSON report; exit 1 on a regression: a case
                         that passed there and fails now, or whose cost or steps rose too much
  --cost-increase <f>    the rise in a case's mean cost allowed by --baseline (default 0.2: 20%)
  --steps-increase <f>   the rise in a case's mean steps allowed by --baseline (default 0.2)
  --cassettes <dir>      where cassettes are read and written (default evals/cassettes)
  --model <m>            run every agent on this model (record and live modes), e.g. re-record the
                         shipped cassettes with a real model: --mode record --model openai:gpt-4o-mini
  --debug                show stack traces

Exit codes: 0 every case passed (and no regression), 1 a case failed or a regression,
2 usage error (a bad flag, no eval files, a file that exports no eval).
`

export const HELP = `baton — run LLM agents

Usage:
  baton run <agent-module>[#export] "<task>" [flags]
  baton run <agent-module>[#export] --resume <transcript> [flags]
  baton replay <transcript> [--agent <agent-module>[#export]] [--live-tools] [--lenient]
               [--model <provider:model>] [--json] [--record <file>]
  baton eval [files…] [--mode replay|record|live] [--concurrency <n>] [--trials <k>]
             [--json <file>] [--html <file>] [--baseline <report.json>] [--cassettes <dir>]
  baton view <transcript.jsonl | report.json> [--out <file.html>]

run     Runs the agent exported by a .js or .ts module (the default export, an export named
        "agent", or the one named after #) on the task, showing each agent and tool call, and
        leaves its transcript and HTML trace in runs/. With no API key for the agent's models,
        a module that exports \`recording\` (a transcript path) is replayed from it instead,
        and the output says so; a module's exported \`close()\` is called when the run ends.
        With --resume, goes on with a run that crashed, ran out of budget or paused: the
        transcript's task and recorded steps replay (completed model calls are not paid for
        again), then the run continues live and the transcript is rewritten, complete.
replay  Re-runs a transcript through the agent with no model calls: model answers and tool
        results come from the recording, and every model request is checked against the
        recorded one. The first difference is shown with its step key and a diff.
eval    Runs eval suites (default: evals/*.eval.ts), offline from their cassettes unless
        --mode record or live, and prints a table of the cases with the pass rate and pass@k;
        --json and --html write reports, --baseline exits 1 on a regression.
        baton eval --help lists its flags.
view    Writes a transcript or an eval report as one self-contained HTML page (default: the
        input's name with .html; --out <file.html> to choose) and prints its path: agent tree,
        timeline, model calls, tool calls, memory writes, budget. baton view --help for more.

Flags for run:
  --json                 print the RunResult as JSON instead of the live log
  --record <file>        write the transcript (JSONL) to <file>, the HTML trace beside it
                         (default: runs/<agent>-<time>.jsonl and .html; with --resume: the
                         resumed transcript is rewritten unless --record says where)
  --no-record            leave no transcript and no trace
  --model <provider:model>  run every agent on this model (openai:…, anthropic:…, compatible:…)
  --resume <transcript>  go on with the run recorded in <transcript> (no task argument)
  --max-steps <n>        budget: model calls, sub-agents included
  --max-tokens <n>       budget: input + output tokens
  --max-cost-usd <n>     budget: US dollars
  --max-wall-ms <n>      budget: wall-clock milliseconds
  --max-tool-calls <n>   budget: tool calls
  --max-depth <n>        budget: levels of sub-agents
  --debug                show stack traces

Flags for replay:
  --agent <module>[#export]  the agent to replay through (needed when the transcript does
                         not name the module that defined its agent)
  --live-tools           run the tools for real instead of reusing their recorded results
  --lenient              on a divergence, go on live (with the agents' models, or --model)
                         instead of failing
  --model <provider:model>  the model for the steps that go live (with --lenient)
  --json                 print the result as JSON (with its divergences) instead of the log
  --record <file>        write the replay's own transcript to <file>
  --debug                show stack traces

Exit codes: 0 the run is done (eval: every case passed), 1 it ended without success (a
replay that diverged included; eval: a case failed or a regression), 2 usage error.
`
