import type { BudgetLimits } from '../budget/index.js'

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

export interface RunArgs {
  module: string
  exportName: string | undefined
  task: string
  json: boolean
  record: string | undefined
  model: string | undefined
  budget: BudgetLimits
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

/** Parses `baton run <module>[#export] "<task>" [flags]`. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const positional: string[] = []
  const args: Omit<RunArgs, 'module' | 'exportName' | 'task'> = {
    json: false,
    record: undefined,
    model: undefined,
    budget: {},
    debug: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined]
    const value = (): string => {
      const next = inline ?? argv[++i]
      if (next === undefined || (inline === undefined && next.startsWith('--')))
        throw new UsageError(`${flag} needs a value`)
      return next
    }
    if (flag === '--json') args.json = true
    else if (flag === '--debug') args.debug = true
    else if (flag === '--record') args.record = value()
    else if (flag === '--model') args.model = value()
    else if (flag in BUDGET_FLAGS) {
      const raw = value()
      const number = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(number) || number < 0)
        throw new UsageError(`${flag} must be a non-negative number, got ${JSON.stringify(raw)}`)
      args.budget[BUDGET_FLAGS[flag]!] = number
    } else if (flag.startsWith('-') && flag !== '-') {
      throw new UsageError(
        `unknown flag ${flag} for "baton run"; expected one of --json, --record, --model, ${Object.keys(BUDGET_FLAGS).join(', ')}, --debug`,
      )
    } else positional.push(arg)
  }
  if (positional.length === 0)
    throw new UsageError('missing the agent module: baton run <agent-module>[#export] "<task>"')
  if (positional.length === 1)
    throw new UsageError('missing the task: baton run <agent-module>[#export] "<task>"')
  if (positional.length > 2)
    throw new UsageError(
      `too many arguments (${positional.length}); quote the task: baton run ${positional[0]} "<task>"`,
    )
  const [target, task] = positional as [string, string]
  const hash = target.lastIndexOf('#')
  return {
    ...args,
    module: hash > 0 ? target.slice(0, hash) : target,
    exportName: hash > 0 ? target.slice(hash + 1) : undefined,
    task,
  }
}

export const HELP = `baton — run LLM agents

Usage:
  baton run <agent-module>[#export] "<task>" [flags]

Runs the agent exported by a .js or .ts module (the default export, an export named
"agent", or the one named after #) on the task, showing each agent and tool call.

Flags for run:
  --json                 print the RunResult as JSON instead of the live log
  --record <file>        write the transcript (JSONL) to <file>
  --model <provider:model>  run every agent on this model (openai:…, anthropic:…, compatible:…)
  --max-steps <n>        budget: model calls, sub-agents included
  --max-tokens <n>       budget: input + output tokens
  --max-cost-usd <n>     budget: US dollars
  --max-wall-ms <n>      budget: wall-clock milliseconds
  --max-tool-calls <n>   budget: tool calls
  --max-depth <n>        budget: levels of sub-agents
  --debug                show stack traces

Exit codes: 0 the run is done, 1 it ended without success, 2 usage error.
`
