/** Parses `baton runs …`: the durable runs in a database, from the command line. */
import { didYouMean, flags, UsageError } from './args.js'

export type RunsAction = 'list' | 'show' | 'follow' | 'cancel' | 'approve' | 'export' | 'prune'

export interface RunsArgs {
  action: RunsAction
  database: string
  /** The run (every action but list). */
  runId: string | undefined
  /** `approve`: the call to answer (its id or step key); undefined: the only one waiting. */
  call: string | undefined
  /** `approve --deny`: refuse the call instead. */
  deny: boolean
  /** `approve --by <name>`: who decided. */
  by: string | undefined
  /** `list --status <status>`. */
  status: string | undefined
  /** `list --agent <name>`. */
  agent: string | undefined
  /** `list --limit <n>` (default 20). */
  limit: number
  /** `prune --older-than <duration>`: in milliseconds. */
  olderThanMs: number | undefined
  /** `list --limit` (default 20) and `prune --limit` (default: every run). */
  limitGiven: boolean
  /** `export -o <file>`; undefined: stdout. */
  output: string | undefined
  json: boolean
  debug: boolean
}

const RUNS_FLAGS = [
  '--database',
  '--status',
  '--agent',
  '--limit',
  '--deny',
  '--by',
  '--output',
  '--older-than',
  '--json',
  '--debug',
]
const RUNS_ACTIONS: readonly RunsAction[] = ['list', 'show', 'follow', 'cancel', 'approve', 'export', 'prune']
const RUNS_USAGE = 'baton runs [list|show|follow|cancel|approve|export|prune] … --database <url>'
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `30d`, `12h`, `90m`, `45s` in milliseconds. */
function duration(raw: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(raw)
  if (!match)
    throw new UsageError(
      `--older-than must be a whole number and a unit (s, m, h or d), e.g. 30d or 12h, got ${JSON.stringify(raw)}`,
    )
  return Number(match[1]) * UNITS[match[2]!]!
}

/**
 * `baton runs [list] [--status s] [--limit n]`, `baton runs show|follow|cancel|export <run-id>`,
 * `baton runs approve <run-id> [<call>] [--deny] [--by name]`, each with `--database <url>`.
 */
export function parseRunsArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RunsArgs {
  const args: Omit<RunsArgs, 'action' | 'runId' | 'call' | 'database'> & { database: string | undefined } = {
    database: env.BATON_DATABASE_URL,
    deny: false,
    by: undefined,
    status: undefined,
    agent: undefined,
    limit: 20,
    limitGiven: false,
    olderThanMs: undefined,
    output: undefined,
    json: false,
    debug: false,
  }
  const allowed: Record<string, readonly RunsAction[]> = {
    '--deny': ['approve'],
    '--by': ['approve'],
    '--status': ['list'],
    '--agent': ['list'],
    '--limit': ['list', 'prune'],
    '--older-than': ['prune'],
    '--output': ['export'],
    '-o': ['export'],
    '--json': ['list', 'show', 'follow', 'prune'],
  }
  const seen: string[] = []
  const positional = flags(argv, (flag, value) => {
    seen.push(flag)
    if (flag === '--database') args.database = value()
    else if (flag === '--debug') args.debug = true
    else if (flag === '--json') args.json = true
    else if (flag === '--deny') args.deny = true
    else if (flag === '--by') args.by = value()
    else if (flag === '--status') args.status = value()
    else if (flag === '--agent') args.agent = value()
    else if (flag === '--output' || flag === '-o') args.output = value()
    else if (flag === '--older-than') args.olderThanMs = duration(value())
    else if (flag === '--limit') {
      const raw = value()
      const number = Number(raw)
      if (!Number.isInteger(number) || number < 1)
        throw new UsageError(`--limit must be a whole number of runs, 1 or more, got ${JSON.stringify(raw)}`)
      args.limit = number
      args.limitGiven = true
    } else
      throw new UsageError(
        `unknown flag ${flag} for "baton runs"; expected one of --database, --status, --agent, --limit, --deny, --by, --output (-o), --older-than, --json, --debug${didYouMean(flag, RUNS_FLAGS) ?? ''}`,
      )
  })
  const [first, ...rest] = positional
  const action = (first ?? 'list') as RunsAction
  if (!RUNS_ACTIONS.includes(action))
    throw new UsageError(
      `unknown action ${JSON.stringify(first)} for "baton runs"; expected one of ${RUNS_ACTIONS.join(', ')}: ${RUNS_USAGE}${didYouMean(first!, RUNS_ACTIONS) ?? ''}`,
    )
  for (const flag of seen) {
    const actions = allowed[flag]
    if (actions && !actions.includes(action))
      throw new UsageError(
        `${flag} does not go with "baton runs ${action}" (it goes with ${actions.join(', ')})`,
      )
  }
  const most = action === 'list' || action === 'prune' ? 0 : action === 'approve' ? 2 : 1
  if (action === 'prune' && args.olderThanMs === undefined)
    throw new UsageError(
      'missing --older-than: baton runs prune --older-than <duration, e.g. 30d> --database <url> deletes the runs that ended longer ago than that',
    )
  if (action !== 'list' && action !== 'prune' && rest.length === 0)
    throw new UsageError(
      `missing the run id: baton runs ${action} <run-id>${action === 'approve' ? ' [<call-id>]' : ''} --database <url>`,
    )
  if (rest.length > most)
    throw new UsageError(
      `too many arguments for "baton runs ${action}": ${rest
        .slice(most)
        .map((a) => JSON.stringify(a))
        .join(' ')}`,
    )
  if (args.database === undefined || args.database === '')
    throw new UsageError(
      `missing the database: baton runs ${action} … --database postgresql://… (or set BATON_DATABASE_URL)`,
    )
  return { ...args, database: args.database, action, runId: rest[0], call: rest[1] }
}
