import type { RecordedToolRequest } from '../effects/index.js'
import type { ErrorInfo } from '../errors/index.js'
import type { ElicitationAnswer, PendingApproval } from '../events/index.js'
import type { ScopedMemory } from '../memory/index.js'
import type { Message, Model, ModelResponse, ToolSpec } from '../model/types.js'
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
  /**
   * Relays what the tool's own server asks during the call (an MCP server's elicitation and
   * sampling requests) to the run: recorded, budgeted and replayed. Set by the loop; Baton's
   * MCP tools use it. Not part of the public contract.
   * @internal
   */
  readonly relay?: ToolRelay
}

/** See `ToolContext.relay`. */
export interface ToolRelay {
  /**
   * Asks the run for input (the run's `elicit` function, or a replay's recording). Rejects with
   * `AwaitingInput` when nobody answers now: the run pauses and a resume answers it.
   */
  elicit(request: {
    server: string
    message: string
    schema: Record<string, unknown>
  }): Promise<ElicitationAnswer>
  /** A model call on the calling agent's budget, recorded under the tool call's step key. */
  sample(request: {
    server: string
    model: Model | string
    messages: Message[]
    maxTokens: number
  }): Promise<ModelResponse>
  /** Asks again, in order, what a recorded call asked (its result comes from the recording). */
  again(asked: readonly RecordedToolRequest[]): Promise<void>
}

/**
 * Tools whose list may change while a run goes on (an MCP server's, see `mcpTools`). An agent
 * given one offers the model the list as it is at each of its steps.
 */
export interface ToolSet {
  readonly kind: 'baton.toolset'
  /** The tools as they are now: a new array each time the list changes. */
  readonly tools: readonly Tool[]
  /** Settles once a change under way (the server's list being fetched again) is in. */
  settled?(): Promise<void>
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
  /** Where the whole value is kept in memory, when `content` is truncated. */
  memoryKey?: string
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
  /** How many more issues there were than the 20 kept in `issues`. */
  issuesLeftOut?: number
}
