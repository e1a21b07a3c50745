import type { ErrorInfo } from '../errors/index.js'
import type { PendingApproval } from '../events/index.js'
import type { ScopedMemory } from '../memory/index.js'
import type { ToolSpec } from '../model/types.js'
import type { Schema } from '../schema/index.js'

/** What a tool's `run` receives besides its validated input. */
export interface ToolContext {
  /** Aborted when the run stops, the agent's budget runs out, or the tool times out. */
  signal: AbortSignal
  /** The calling agent's path, e.g. `root/2/agent:researcher#0`. */
  path: string
  /** The step key of this call, e.g. `root/2/agent:researcher#0/1/tool/call_3`. */
  step: string
  callId: string
  /** Shared memory, limited to the calling agent's scope. */
  memory: ScopedMemory
  /** Emits a `tool.progress` event (for live views and transcripts). */
  progress(data: unknown): void
}

/** Decides per call whether a call needs approval. (Method syntax keeps `Tool<X>` assignable to `Tool`.) */
export type ApprovalCheck<I> = { check(input: I, ctx: ToolContext): boolean | Promise<boolean> }['check']

/** A tool: a plain value made by `defineTool`. */
export interface Tool<I = unknown, O = unknown> {
  readonly kind: 'baton.tool'
  readonly name: string
  readonly description: string
  readonly input: Schema<I>
  readonly output: Schema<O> | undefined
  readonly spec: ToolSpec
  readonly timeoutMs: number | undefined
  readonly needsApproval: boolean | ApprovalCheck<I>
  /** Results longer than this many characters are truncated for the model (kept whole in memory). */
  readonly maxResultChars: number
  /** Running it twice with the same arguments does no more than once (see `ToolConfig.idempotent`). */
  readonly idempotent: boolean
  run(input: I, ctx: ToolContext): O | Promise<O>
}

/** How a tool call ended, as data. `content` is exactly what the model is sent. */
export type ToolOutcome = ToolSuccess | ToolFailure

export interface ToolSuccess {
  ok: true
  value: unknown
  content: string
  truncated: boolean
}

export interface ToolFailure {
  ok: false
  error: ToolErrorInfo
  content: string
  /** The tool threw `FatalToolError`: the run stops. */
  fatal: boolean
  /** Calls waiting for approval (the run stops as `awaiting_approval`). */
  pending?: PendingApproval[]
}

export interface ToolErrorInfo extends ErrorInfo {
  /** Validation problems, path + message, when the arguments or the output did not fit. */
  issues?: { path: (string | number)[]; message: string }[]
}
