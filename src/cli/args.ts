import type { BudgetLimits, PriceTable } from '../budget/index.js'
import type { EvalMode } from '../eval/index.js'
import { didYouMean } from './did-you-mean.js'
import { parsePriceFlag, readPricesFile } from './price-flags.js'
import { recordFile } from './record-path.js'
import { UsageError } from './usage-error.js'

export { didYouMean } from './did-you-mean.js'
export { UsageError } from './usage-error.js'

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
  /** `--prices <file>` with each `--price <model>=<in>,<out>` over it; undefined: neither given. */
  prices: PriceTable | undefined
  /** `--database <url>`: submit the run to the durable workers there and follow it. */
  database: string | undefined
  /** `--run-id <id>` (with --database): submitting the same id again follows the same run. */
  runId: string | undefined
  /** `--otel`: send the run's trace to OpenTelemetry (the `OTEL_EXPORTER_OTLP_*` variables say where). */
  otel: boolean
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

/**
 * Splits `--flag=value`, and reads a flag's value from the next argument otherwise. `--` ends
 * the flags: every argument after it is positional (a task or a path that starts with `-`). A
 * flag given twice with different values is refused, unless it is `repeatable`.
 */
export function flags(
  argv: readonly string[],
  onFlag: (flag: string, value: () => string) => void,
  options: { repeatable?: readonly string[] } = {},
): string[] {
  const positional: string[] = []
  const given = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
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
      const before = given.get(flag)
      if (before !== undefined && before !== next && !options.repeatable?.includes(flag))
        throw new UsageError(
          `${flag} is given twice, as ${JSON.stringify(before)} and ${JSON.stringify(next)}; keep one`,
        )
      given.set(flag, next)
      return next
    }
    if (flag.startsWith('-') && flag !== '-') {
      onFlag(flag, value)
      if (inline !== undefined && !read) throw new UsageError(`${flag} takes no value; remove "=${inline}"`)
    } else positional.push(arg)
  }
  return positional
}

/**
 * `unknown flag … for "baton <command>"; expected one of …`, ending with the flag it most likely
 * means, or, for what is no flag at all (`-5 degrees`), how to pass it as an argument.
 */
export function unknownFlag(flag: string, command: string, known: readonly string[]): UsageError {
  return new UsageError(
    `unknown flag ${flag} for "baton ${command}"; expected one of ${known.join(', ')}${didYouMean(flag, known) ?? (flag.startsWith('--') ? '' : `; if ${JSON.stringify(flag)} is an argument, not a flag, put -- before it: baton ${command} … -- ${JSON.stringify(flag)}`)}`,
  )
}

/** `path/to/module.ts#export` → the module and the export name. */
export function splitTarget(target: string): { module: string; exportName: string | undefined } {
  const hash = target.lastIndexOf('#')
  return hash > 0
    ? { module: target.slice(0, hash), exportName: target.slice(hash + 1) }
    : { module: target, exportName: undefined }
}

const RUN_FLAGS = [
  '--json',
  '--record',
  '--no-record',
  '--model',
  '--resume',
  '--database',
  '--run-id',
  '--otel',
  '--prices',
  '--price',
  ...Object.keys(BUDGET_FLAGS),
  '--debug',
]

const REPLAY_FLAGS = ['--agent', '--live-tools', '--lenient', '--model', '--json', '--record', '--debug']

/** Parses `baton run <module>[#export] "<task>" [flags]` and `baton run <module>[#export] --resume <file> [flags]`. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const args: Omit<RunArgs, 'module' | 'exportName' | 'task'> = {
    resume: undefined,
    json: false,
    record: undefined,
    noRecord: false,
    model: undefined,
    budget: {},
    prices: undefined,
    database: undefined,
    runId: undefined,
    otel: false,
    debug: false,
  }
  let fromFile: PriceTable | undefined
  const single: PriceTable = {}
  const positional = flags(
    argv,
    (flag, value) => {
      if (flag === '--json') args.json = true
      else if (flag === '--debug') args.debug = true
      else if (flag === '--record') args.record = recordFile(value())
      else if (flag === '--no-record') args.noRecord = true
      else if (flag === '--model') args.model = value()
      else if (flag === '--resume') args.resume = value()
      else if (flag === '--database') args.database = value()
      else if (flag === '--run-id') args.runId = value()
      else if (flag === '--otel') args.otel = true
      else if (flag === '--prices') fromFile = readPricesFile(value())
      else if (flag === '--price') {
        const [model, price] = parsePriceFlag(value())
        single[model] = price
      } else if (flag in BUDGET_FLAGS) {
        const raw = value()
        const number = Number(raw)
        if (raw.trim() === '' || !Number.isFinite(number) || number < 0)
          throw new UsageError(`${flag} must be a non-negative number, got ${JSON.stringify(raw)}`)
        args.budget[BUDGET_FLAGS[flag]!] = number
      } else {
        throw unknownFlag(flag, 'run', RUN_FLAGS)
      }
    },
    { repeatable: ['--price'] },
  )
  if (fromFile !== undefined || Object.keys(single).length > 0) args.prices = { ...fromFile, ...single }
  if (args.noRecord && args.record !== undefined)
    throw new UsageError('--record and --no-record contradict each other; keep one')
  if (args.runId !== undefined && args.database === undefined)
    throw new UsageError('--run-id names a durable run: it goes with --database <url>')
  if (args.otel && args.database !== undefined)
    throw new UsageError(
      '--otel does not go with --database: a durable run is traced by its workers (baton worker --otel)',
    )
  if (args.database !== undefined && args.resume !== undefined)
    throw new UsageError(
      '--resume does not go with --database: a durable run goes on by itself in the workers (baton runs follow <run-id>)',
    )
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
    else if (flag === '--record') args.record = recordFile(value())
    else if (flag === '--model') args.model = value()
    else throw unknownFlag(flag, 'replay', REPLAY_FLAGS)
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

export interface WorkerArgs {
  /** Agent modules, each `<module>[#export]`. */
  targets: { module: string; exportName: string | undefined }[]
  database: string
  concurrency: number | undefined
  id: string | undefined
  /** `--otel`: trace each run it ends (the `OTEL_EXPORTER_OTLP_*` variables say where). */
  otel: boolean
}

/** `baton worker <agent-module>[#export]… --database <url> [--concurrency n] [--id name] [--otel]`. */
export function parseWorkerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): WorkerArgs {
  let database = env.BATON_DATABASE_URL
  let concurrency: number | undefined
  let id: string | undefined
  let otel = false
  const positional = flags(argv, (flag, value) => {
    if (flag === '--database') database = value()
    else if (flag === '--id') id = value()
    else if (flag === '--otel') otel = true
    else if (flag === '--concurrency') {
      const raw = value()
      const number = Number(raw)
      if (!Number.isInteger(number) || number < 1)
        throw new UsageError(
          `--concurrency must be a whole number of runs, 1 or more, got ${JSON.stringify(raw)}`,
        )
      concurrency = number
    } else
      throw new UsageError(
        `unknown flag ${flag} for "baton worker"; expected one of --database, --concurrency, --id, --otel`,
      )
  })
  if (positional.length === 0)
    throw new UsageError('missing the agent modules: baton worker <agent-module>[#export]… --database <url>')
  if (database === undefined || database === '')
    throw new UsageError(
      'missing the database: baton worker <agent-module>… --database postgresql://… (or set BATON_DATABASE_URL)',
    )
  return { targets: positional.map(splitTarget), database, concurrency, id, otel }
}
