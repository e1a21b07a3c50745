/**
 * The durable runs from the command line: `baton run … --database <url>` submits a run to the
 * workers and follows it; `baton runs` lists, shows, follows, cancels, approves and exports the
 * runs in the database. Following never holds a run: Ctrl-C stops following, the run goes on.
 */
import { writeFileSync } from 'node:fs'
import type { DurableRun, DurableRuns } from '../durable/index.js'
import type { BatonEvent, PendingApproval } from '../events/index.js'
import type { RunResult } from '../run/index.js'
import { type RunArgs, UsageError } from './args.js'
import { oneLine } from './live-tree.js'
import type { LoadedAgent } from './load-agent.js'
import { formatResult, printRun, shortPath } from './print-events.js'
import { count } from './resume-hint.js'
import { runsPath, writeTrace } from './run-command.js'
import type { RunsArgs } from './runs-args.js'

interface Output {
  write(text: string): unknown
  isTTY?: boolean
}

export interface RunsIO {
  out: Output
  err: Output
  env: Readonly<Record<string, string | undefined>>
  /** Aborted by Ctrl-C: following stops, the run goes on. */
  signal: AbortSignal
}

export const RUNS_HELP = `baton runs — the durable runs in a PostgreSQL database

Usage:
  baton runs [list] [--status <status>] [--agent <name>] [--limit n] [--json]
                                             the newest runs first
  baton runs show <run-id> [--json]          its status, task, attempts, waiting calls, result
  baton runs follow <run-id> [--json]        its events live (the live tree), then its result
  baton runs cancel <run-id>                 stops it (it ends aborted)
  baton runs approve <run-id> [<call-id>] [--deny] [--by <name>]
                                             answers a tool call waiting for approval; the
                                             run goes on in a worker once every call has one
  baton runs export <run-id> [-o <file>]     its transcript (JSONL) so far, for baton replay,
                                             baton view and evals
  baton runs prune --older-than <30d|12h|…> [--limit n] [--json]
                                             deletes the runs that ended longer ago than that,
                                             with their transcripts (not those waiting for
                                             approval, nor runs under way)

Every action takes --database <postgresql-url> (or BATON_DATABASE_URL). Runs are submitted
with baton run <agent-module> "<task>" --database <url>, or durableRuns().submit, and served
by baton worker processes.

Statuses: queued, running, awaiting_approval, done, goal_failed, budget_exceeded, stalled,
aborted, error.

Examples:
  baton runs --database postgresql://baton@127.0.0.1/baton --status running
  baton runs approve req-42 call_7 --by alice
  baton runs prune --older-than 30d
  baton runs export req-42 -o runs/req-42.jsonl && baton replay runs/req-42.jsonl

Exit codes: 0 done (follow: the run is done), 1 the run ended without success, 2 usage error
(an unknown run id, a cancel of a run that has ended, an unreachable database).
`

/** `baton run <agent-module> "<task>" --database <url>`: submits the run, follows it, keeps its transcript. */
export async function durableRunCommand(args: RunArgs, loaded: LoadedAgent, io: RunsIO): Promise<number> {
  const runs = await connect(args.database!, [loaded.agent])
  try {
    const runId = await runs.submit(loaded.agent, args.task!, {
      ...(args.runId ? { runId: args.runId } : {}),
      ...(Object.keys(args.budget).length > 0 ? { budget: args.budget } : {}),
      ...(args.model ? { model: args.model } : {}),
      ...(args.prices ? { prices: args.prices } : {}),
    })
    const { status, workers } = await runs.get(runId)
    const again = status === 'queued' ? '' : ` (submitted before: it is ${status})`
    const name = oneLine(loaded.agent.name)
    ;(args.json ? io.err : io.out).write(
      `run ${runId} of ${name} is in the database${again}; ${workers === 0 ? `no worker serves ${name} yet: start one with baton worker ${args.module} --database …` : 'a worker runs it'}. Ctrl-C stops following, not the run.\n\n`,
    )
    const record = args.noRecord ? undefined : (args.record ?? runsPath(loaded.agent.name, {}))
    return await followRun(runs, runId, { json: args.json, record }, io)
  } finally {
    await runs.close()
  }
}

/** `baton runs …`. */
export async function runsCommand(args: RunsArgs, io: RunsIO): Promise<number> {
  const runs = await connect(args.database, [])
  try {
    const runId = args.runId!
    switch (args.action) {
      case 'list':
        return await list(runs, args, io)
      case 'show': {
        const run = await runs.get(runId)
        io.out.write(args.json ? `${JSON.stringify(run, null, 2)}\n` : `${describe(run)}\n`)
        return 0
      }
      case 'follow':
        return await followRun(runs, runId, { json: args.json, record: undefined }, io)
      case 'cancel': {
        await runs.cancel(runId)
        const { status } = await runs.get(runId)
        io.out.write(
          status === 'aborted'
            ? `run ${runId} is cancelled (aborted)\n`
            : `run ${runId}: asked to stop; its worker ends it (aborted) at its next step\n`,
        )
        return 0
      }
      case 'approve':
        return await approve(runs, runId, args, io)
      case 'prune': {
        const endedBefore = Date.now() - args.olderThanMs!
        const { runIds } = await runs.prune({
          endedBefore,
          ...(args.limitGiven ? { limit: args.limit } : {}),
        })
        if (args.json) io.out.write(`${JSON.stringify({ runIds })}\n`)
        else
          io.out.write(
            `deleted ${count(runIds.length, 'run')} that ended before ${new Date(endedBefore).toISOString()}${runIds.length ? `: ${runIds.join(', ')}` : ''}\n`,
          )
        return 0
      }
      case 'export': {
        const { status } = await runs.get(runId)
        const text = await runs.transcript(runId)
        if (text === '')
          throw new UsageError(
            `run ${runId} has no transcript yet (it is ${status}): no worker has taken it up`,
          )
        if (args.output === undefined) io.out.write(text)
        else {
          writeFileSync(args.output, text)
          const lines = text.split('\n').length - 1
          io.err.write(
            `${shortPath(args.output)}: the transcript of run ${runId} (${status}), ${count(lines, 'line')}\n`,
          )
        }
        return 0
      }
    }
  } finally {
    await runs.close()
  }
}

async function connect(database: string, agents: LoadedAgent['agent'][]): Promise<DurableRuns> {
  const { durableRuns } = await import('../durable/index.js')
  return durableRuns({ database, agents })
}

async function list(runs: DurableRuns, args: RunsArgs, io: RunsIO): Promise<number> {
  const { DURABLE_STATUSES } = await import('../durable/index.js')
  const status = args.status as DurableRun['status'] | undefined
  if (status !== undefined && !DURABLE_STATUSES.includes(status))
    throw new UsageError(
      `--status must be one of ${DURABLE_STATUSES.join(', ')}, got ${JSON.stringify(status)}`,
    )
  const found = await runs.list({
    limit: args.limit,
    ...(status ? { status } : {}),
    ...(args.agent !== undefined ? { agent: args.agent } : {}),
  })
  if (args.json) {
    io.out.write(`${JSON.stringify(found, null, 2)}\n`)
    return 0
  }
  if (found.length === 0) {
    io.out.write(status ? `no runs are ${status}\n` : 'no runs yet\n')
    return 0
  }
  const rows = [
    ['RUN', 'AGENT', 'STATUS', 'ATTEMPTS', 'UPDATED', 'TASK'],
    ...found.map((run) => [
      run.runId,
      oneLine(run.agent),
      run.status,
      String(run.attempts),
      stamp(run.updatedAt),
      clip(typeof run.task === 'string' ? run.task : JSON.stringify(run.task), 50),
    ]),
  ]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  for (const row of rows)
    io.out.write(
      `${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`,
    )
  return 0
}

/** `baton runs show`: the run as the database knows it. */
function describe(run: DurableRun): string {
  const lines = [
    `run:        ${run.runId}`,
    `agent:      ${oneLine(run.agent)}`,
    `status:     ${run.status}`,
    `task:       ${clip(typeof run.task === 'string' ? run.task : JSON.stringify(run.task), 200)}`,
    ...(run.workers === 0
      ? [
          `waiting:    for a worker: none serves ${oneLine(run.agent)} (baton worker <agent-module> --database …)`,
        ]
      : []),
    `attempts:   ${run.attempts}${run.attempts > 1 ? ` (taken up again ${count(run.attempts - 1, 'time')})` : ''}`,
    `submitted:  ${stamp(run.submittedAt)}`,
    `updated:    ${stamp(run.updatedAt)}`,
  ]
  if (run.pending?.length) lines.push('', ...waiting(run.runId, run.pending))
  if (run.result && run.status !== 'awaiting_approval') lines.push(formatResult(run.result))
  return lines.join('\n')
}

/** The calls waiting for an answer, and the commands that give it. */
function waiting(runId: string, pending: readonly PendingApproval[]): string[] {
  return [
    `waiting for approval (${count(pending.length, 'call')}):`,
    ...pending.map(
      (p) => `  ${p.callId}  ${oneLine(p.tool)}  ${clip(JSON.stringify(p.args) ?? '', 80)}  (${p.path})`,
    ),
    `answer: baton runs approve ${runId} ${pending.length === 1 ? '' : '<call-id> '}[--deny]`,
  ]
}

async function approve(runs: DurableRuns, runId: string, args: RunsArgs, io: RunsIO): Promise<number> {
  let call = args.call
  if (call === undefined) {
    const run = await runs.get(runId)
    const pending = run.pending ?? []
    if (run.status !== 'awaiting_approval' || pending.length === 0)
      throw new UsageError(`run ${runId} is not waiting for approval (it is ${run.status})`)
    if (pending.length > 1)
      throw new UsageError(
        `run ${runId} has ${pending.length} calls waiting: name one, baton runs approve ${runId} <call-id> (${pending.map((p) => `${p.callId}: ${p.tool}`).join(', ')})`,
      )
    call = pending[0]!.callId
  }
  const answer = await runs.approve(runId, call, !args.deny, args.by ? { by: args.by } : {})
  const verb = args.deny ? 'refused' : 'approved'
  io.out.write(
    answer.resumed
      ? `${verb} ${call} of run ${runId}; every waiting call has an answer: the run is queued again (baton runs follow ${runId})\n`
      : `${verb} ${call} of run ${runId}; still waiting:\n${waiting(runId, answer.waiting).join('\n')}\n`,
  )
  return 0
}

/**
 * Follows a run to its end with the live tree (plain lines when piped, the result alone with
 * --json); with `record`, keeps its transcript and HTML trace there. Ctrl-C stops following.
 */
async function followRun(
  runs: DurableRuns,
  runId: string,
  options: { json: boolean; record: string | undefined },
  io: RunsIO,
): Promise<number> {
  const detached = new Promise<never>((_, reject) => {
    const stop = () => reject(new Detached())
    if (io.signal.aborted) stop()
    else io.signal.addEventListener('abort', stop, { once: true })
  })
  detached.catch(() => {})
  const result = Promise.race([runs.result(runId), detached]).then(async (ended): Promise<RunResult> => {
    if (!options.record) return ended
    writeFileSync(options.record, await runs.transcript(runId))
    return { ...ended, transcript: options.record }
  })
  result.catch(() => {})
  try {
    const code = await printRun(until(runs.follow(runId), detached), result, {
      json: options.json,
      out: io.out,
      env: io.env,
    })
    if (options.record) await writeTrace(options.record, options.json, io)
    const { status, pending } = await runs.get(runId)
    if (status === 'awaiting_approval' && pending?.length)
      (options.json ? io.err : io.out).write(`\n${waiting(runId, pending).join('\n')}\n`)
    return code
  } catch (error) {
    if (!(error instanceof Detached)) throw error
    io.err.write(`\nstopped following run ${runId}; it goes on in the workers: baton runs follow ${runId}\n`)
    return 130
  }
}

class Detached extends Error {}

/** The events until `stop` rejects (Ctrl-C). */
async function* until(events: AsyncIterable<BatonEvent>, stop: Promise<never>): AsyncGenerator<BatonEvent> {
  const iterator = events[Symbol.asyncIterator]()
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stop])
      if (next.done) return
      yield next.value
    }
  } finally {
    // Not awaited: a read under way ends with the connection.
    iterator.return?.()?.catch(() => {})
  }
}

function stamp(at: Date): string {
  return new Date(at).toISOString().replace('T', ' ').slice(0, 19)
}

function clip(text: string, max: number): string {
  const flat = oneLine(text)
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
