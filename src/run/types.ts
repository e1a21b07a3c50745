import type { KeyObject } from 'node:crypto'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import type { BudgetLimits, PriceTable } from '../budget/index.js'
import type { Clock, Effects } from '../effects/index.js'
import type { ErrorInfo } from '../errors/index.js'
import type { BatonEvent, PendingApproval, RunStatus, RunUsage, StopReason } from '../events/index.js'
import type { TrajectoryStep } from '../goal/index.js'
import type { ApproveFn, BudgetLedger, Delegations, ElicitFn } from '../loop/index.js'
import type { MemoryEntry } from '../memory/index.js'
import type { Model } from '../model/types.js'
import type { TranscriptIo } from '../transcript/writer.js'

export interface RunOptions {
  /** Write a JSONL transcript to this path (flushed at every step boundary). */
  record?: string
  /** Aborting it stops the run with status `aborted`. */
  signal?: AbortSignal
  /** Limits for the root agent, replacing the agent's own field by field. */
  budget?: BudgetLimits
  /** Replaces the model of every agent in the tree (try a whole agent tree on another model). */
  model?: Model | string
  /** Model prices (USD per million tokens), merged over the shipped table. */
  prices?: PriceTable
  /**
   * Context windows in tokens by model id (`{ 'compatible:llama3.1': 32768 }`), over the shipped
   * table, for agents with a `context` policy that gives no `window` of its own.
   */
  contextWindows?: Record<string, number>
  /**
   * An OpenTelemetry `Tracer` (`trace.getTracer('my-app')` from `@opentelemetry/api`): the run
   * becomes a trace after the GenAI conventions (`invoke_agent`, `chat`, `execute_tool` spans),
   * built as it goes. `@opentelemetry/api` loads only when this is given.
   */
  tracer?: { startSpan(name: string, options?: never, context?: never): unknown }
  /**
   * Put message contents on the trace's spans (prompts, answers, tool arguments and results),
   * redacted as the transcript redacts them. Default: the variable
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`, else off.
   */
  traceContent?: boolean
  /**
   * An OpenTelemetry `Meter` (`metrics.getMeter('my-app')`): each model call is recorded in the
   * GenAI conventions' `gen_ai.client.token.usage` and `gen_ai.client.operation.duration`.
   */
  meter?: { createHistogram(name: string, options?: never): unknown }
  /** Values for `{{var}}` placeholders left open in instructions. */
  vars?: Record<string, unknown>
  /**
   * Decides tool calls that need approval; without it (or when it answers undefined) such calls
   * stop the run as `awaiting_approval`.
   */
  approve?: ApproveFn
  /**
   * Answers an MCP server that asks for input during a tool call (elicitation): accept with the
   * form's content (its defaults fill what is left out), decline or cancel. Without it (or when
   * it answers undefined) the call waits and the run stops as `awaiting_approval`; `resume` with
   * an `elicit` that answers runs the call again, and the server's question gets the answer.
   */
  elicit?: ElicitFn
  /** The clock (e.g. `fakeClock()` from `baton/testing`). */
  clock?: Clock
  /**
   * Stream each model call's answer as it is generated (`model.delta` events) to a reader of
   * `stream()`. Default true; false gives whole steps only. `run()` has no reader and no deltas.
   */
  deltas?: boolean
  /** Keep the deltas in the transcript too (by default it keeps the responses, which hold them all). */
  recordDeltas?: boolean
  /**
   * Sign the transcript with this Ed25519 private key (a `KeyObject`, PEM text, or the path of a
   * PEM file); default: the `BATON_SIGNING_KEY` variable (PEM text or a path), if set. The last
   * line of each write is signed, so a crashed run's prefix is signed too; `baton verify --key`
   * checks it. The key is never written anywhere. Needs `record`.
   */
  sign?: KeyObject | string
  /** The effects door (live by default; replay and resume pass their own). */
  effects?: Effects
}

/** What Baton's own callers (replays, the CLI) also give a run, for its transcript's header. */
export interface InternalRunOptions extends RunOptions {
  /** The agent's module, so `baton replay` can find it. */
  source?: { module: string; export?: string }
  /** The run this one replays, resumes or forks. */
  from?: { runId: string; mode: 'replay' | 'resume' | 'fork'; digest?: string }
  /** Where the transcript's lines go instead of a file at `record` (a database, in durable runs). */
  transcriptIo?: TranscriptIo
  /** A budget tree shared with other processes (durable runs whose sub-agents run elsewhere). */
  ledger?: BudgetLedger
  /** Runs sub-agents elsewhere (on other workers, in durable runs). */
  delegations?: Delegations
}

export interface RunResult<O = unknown> {
  status: RunStatus
  /** Machine-readable detail: `goal`, `maxSteps`, `maxCostUsd`, `repeatedCall`, `TOOL_FATAL`, ... */
  stopReason: StopReason
  /** The parsed output (with an output schema) or the final text. */
  output: O | undefined
  usage: RunUsage
  /** Shared memory at the end, each entry with its provenance. */
  memory: MemoryEntry[]
  /**
   * Every tool call and delegation, sub-agents' included: each step's calls in the order the model
   * made them, a sub-agent's calls before the delegation that started it.
   */
  trajectory: TrajectoryStep[]
  /** The transcript path, when recorded. */
  transcript?: string
  error?: ErrorInfo
  /**
   * Tool calls waiting for approval (status `awaiting_approval`), or for input an MCP server asked
   * for (those have `elicitation`).
   */
  pending?: PendingApproval[]
  runId: string
}

/**
 * A server-sent events body: Node's web stream, typed as both the DOM's `ReadableStream` and
 * Node's, so that `new Response(body)` and `Readable.fromWeb(body)` both take it whether or not
 * the DOM library is in a project's TypeScript settings.
 */
export type EventStreamBody = ReadableStream<Uint8Array> & NodeReadableStream<Uint8Array>

/**
 * The events of a run as they happen, and its result at the end. The events can be read once,
 * in one of three forms: iterate the stream itself, or take `text()` or `toResponse()` /
 * `toReadableStream()`. Leaving early (breaking out, cancelling the body) aborts the run.
 */
export interface RunStream<O = unknown> extends AsyncIterable<BatonEvent> {
  readonly result: Promise<RunResult<O>>
  /**
   * The root agent's text as it is written, step after step (sub-agents' and judges' text left
   * out). A step retried after a cut stream is written again from its start.
   */
  text(): AsyncIterable<string>
  /** The events as server-sent events (`event: <type>`, `data: <JSON>`), secrets redacted. */
  toReadableStream(options?: ServerSentOptions): EventStreamBody
  /** A `text/event-stream` response of those events, for Hono, Next.js route handlers or any fetch server. */
  toResponse(init?: ResponseInit, options?: ServerSentOptions): Response
}

/** How a run's events are sent as server-sent events. */
export interface ServerSentOptions {
  /**
   * After this long without an event (a long tool or model call), a comment line
   * (`: keep-alive`) is sent, which clients ignore, so that proxies that close idle connections
   * keep this one open. 0: never. Default 15,000 ms.
   */
  heartbeatMs?: number
}
