import type { Tracer } from '@opentelemetry/api'
import type { Agent } from '../agent/index.js'
import type { BudgetLimits, PriceTable } from '../budget/index.js'
import type { BatonError } from '../errors/index.js'
import type { BatonEvent, PendingApproval } from '../events/index.js'
import type { Task } from '../goal/index.js'
import type { RunResult } from '../run/types.js'
import type { DurableStatus } from './status.js'

export interface DurableOptions {
  /** The PostgreSQL URL (`postgresql://user:password@host:port/database`); made if missing. */
  database: string
  /** The agents this process submits and serves, by name. */
  agents: readonly Agent[]
  /** The prefix of the DBOS queues' names (default `baton`): runs of agent `x` go on `baton:x`. */
  queue?: string
}

export interface SubmitOptions {
  /** The run's id: submitting the same id again returns the same run (default: a new id). */
  runId?: string
  budget?: BudgetLimits
  vars?: Record<string, unknown>
  prices?: PriceTable
  /** A model string for every agent of the tree (a model object cannot travel to a worker). */
  model?: string
}

export interface ServeOptions {
  /** How many runs of each agent this worker runs at once (default 8). */
  concurrency?: number
  /** This worker's id, unique among the workers (default a new one). */
  executorId?: string
  /** How often the worker says it is alive (default 1,000 ms). */
  heartbeatMs?: number
  /** A worker silent for this long is dead: its runs are taken over (default 5,000 ms). */
  staleMs?: number
  /**
   * Called when the other workers declared this one dead (it was silent for `staleMs`, a
   * stalled process or a cut network): it has stopped serving and its runs are theirs now.
   * A process that only serves should exit. Default: an error on stderr.
   */
  onDeclaredDead?: (error: BatonError) => void
  /**
   * Traces each run this worker brings to its end (not a pause for approval: the round that
   * ends it traces it) as one OpenTelemetry trace, its sub-agents from other workers and the
   * steps of workers that died included, at the times they happened. Its spans are ended when
   * the run's result is stored; sending them is the tracer provider's business (shut it down
   * before the process exits). A run that cannot be traced still ends as it did.
   */
  tracer?: Tracer
}

export interface ApproveOptions {
  /** Who decided (recorded with the decision; default the OS user). */
  by?: string
}

export interface ApprovalAnswer {
  /** The calls of the run still waiting for an answer (none: the run is queued again). */
  waiting: PendingApproval[]
  /** Whether this answer put the run back on the queue. */
  resumed: boolean
}

/** A durable run as the database knows it. */
export interface DurableRun {
  runId: string
  agent: string
  task: unknown
  status: DurableStatus
  /** The result, once the run has ended. */
  result?: RunResult
  /** The tool calls waiting for an answer (status `awaiting_approval`). */
  pending?: PendingApproval[]
  /**
   * A queued run (from `get`): how many workers that serve its agent showed a sign of life in
   * the last 10 s. None: it waits until one starts.
   */
  workers?: number
  /** How many times a worker took the run up (more than 1 after a takeover). */
  attempts: number
  submittedAt: Date
  updatedAt: Date
}

export interface ListFilter {
  status?: DurableStatus
  agent?: string
  submittedBefore?: Date | number
  limit?: number
}

export interface PruneOptions {
  /** Runs that ended before this moment go (a `Date`, or epoch milliseconds). */
  endedBefore: Date | number
  /** At most this many runs (default: all of them, deleted 500 at a time). */
  limit?: number
}

export interface DurableRuns {
  /** Queues a run of `agent` (one of `agents`) on `task`; returns its id. */
  submit(agent: string | Agent, task: Task, options?: SubmitOptions): Promise<string>
  /** Waits for the run to end and returns its result. */
  result(runId: string, options?: { timeoutMs?: number }): Promise<RunResult>
  /** The run's events as they are stored, from the first, live until it ends (no repeats after a takeover). */
  follow(runId: string): AsyncIterable<BatonEvent>
  get(runId: string): Promise<DurableRun>
  /**
   * Runs, newest first: at most `limit` (default 100), of one `status` or `agent` if given.
   * `submittedBefore` (a `Date` or epoch ms) pages on: pass the `submittedAt` of the oldest run
   * of the page before.
   */
  list(filter?: ListFilter): Promise<DurableRun[]>
  /**
   * Answers a tool call that waits for approval (the run is `awaiting_approval`): `approved`
   * true runs it, false refuses it. The answer is stored in the database, so any process may
   * give it, any time later. Once every waiting call has an answer the run is queued again and
   * a worker carries it on from where it stopped. Returns the calls still waiting.
   */
  approve(runId: string, callId: string, approved: boolean, options?: ApproveOptions): Promise<ApprovalAnswer>
  /** Stops a queued or running run (it ends `aborted`); a run that has ended is an error. */
  cancel(runId: string): Promise<void>
  /** The run's transcript so far, as the JSONL that `replay`, `baton view` and evals read. */
  transcript(runId: string): Promise<string>
  /**
   * Deletes the runs that ended (done, failed, cancelled: not those waiting for approval) before
   * `endedBefore`, with all that is stored for them: transcripts, their sub-agents', approvals,
   * and the engine's workflows. Runs under way or queued are never touched. Returns the ids of
   * the runs deleted, the oldest first.
   */
  prune(options: PruneOptions): Promise<{ runIds: string[] }>
  /** Makes this process a worker that runs queued runs (once per process). */
  serve(options?: ServeOptions): Promise<{ executorId: string }>
  /** Stops serving (runs under way are taken over by other workers) and disconnects. */
  close(): Promise<void>
}
