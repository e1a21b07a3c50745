/**
 * @module effects
 * The one door to the world. Model calls, tool calls, the clock and ids all go through an
 * `Effects` object, addressed by a step key derived from structure (`root/3/model`,
 * `root/3/tool/<callId>`, `root/3/agent:researcher#0/2/model`), never from timing. Live runs,
 * replays, resumes and forks differ only in which implementation is passed in.
 */

import type { ErrorInfo } from '../errors/index.js'
import type { ElicitationRequestEvent, SamplingRequestEvent } from '../events/index.js'
import { type ModelDelta, streamCall } from '../model/stream-call.js'
import type { GenerateOptions, Message, Model, ModelRequest, ModelResponse } from '../model/types.js'
import type { Clock } from './clock.js'

/** A model call: the request, and what the transcript records of it (to check a replay against). */
export interface ModelEffect {
  /** The step key, e.g. `root/3/model`. */
  key: string
  model: Model
  request: ModelRequest
  options: GenerateOptions
  /** The messages added since the agent's previous request (as recorded). */
  fresh: Message[]
  /** The request hash chained over the history, tool specs and output schema (as recorded). */
  hash: string
  specHash: string
  /**
   * Set when someone reads the answer as it is generated: the call then goes through the
   * model's streaming path and every delta is handed here (a replay hands over the recorded
   * response's deltas).
   */
  onDelta?: (delta: ModelDelta) => void
}

/** Performs a model call for real: streamed when its deltas are wanted, else in one piece. */
export function callModelEffect(effect: ModelEffect): Promise<ModelResponse> {
  return effect.onDelta
    ? streamCall(effect.model, effect.request, effect.options, effect.onDelta)
    : effect.model.generate(effect.request, effect.options)
}

/** A tool call: the validated arguments and how to run the tool for real. */
export interface ToolEffect {
  /** The step key, e.g. `root/3/tool/call_1`. */
  key: string
  name: string
  args: unknown
  /** Whether running it again after a crash is harmless (`ToolConfig.idempotent`). */
  idempotent?: boolean
  /** Runs the tool (under the loop's timeout and with the call's context). */
  run: () => Promise<unknown>
}

/** A tool call's result as a transcript holds it (a `tool.result` event's fields). */
export interface RecordedToolResult {
  isError: boolean
  /** Exactly what the model was sent. */
  content: string
  /** The whole value, when `content` is a truncated copy of it. */
  value?: unknown
  truncated?: boolean
  /** The memory key the whole value was written under, when truncated. */
  memoryKey?: string
  error?: ErrorInfo & { issues?: { path: (string | number)[]; message: string }[] }
}

/**
 * What a tool effect gives back, as data: the value of the tool that ran (the loop then checks
 * and formats it), or the result a recording holds, with the memory writes the tool made then
 * (the loop makes them again, as the tool did).
 */
export type ToolAnswer =
  | { readonly from: 'tool'; readonly value: unknown }
  | {
      readonly from: 'recording'
      readonly result: RecordedToolResult
      readonly memoryWrites: readonly { readonly key: string; readonly value: unknown }[]
      /**
       * What the tool's server asked of the run during the call (elicitations, sampling
       * requests), in order: the loop asks them again, and the recording answers them.
       */
      readonly asked?: readonly RecordedToolRequest[]
    }

/** A request a tool relayed from its server to the run (MCP elicitation or sampling), as recorded. */
export type RecordedToolRequest = ElicitationRequestEvent | SamplingRequestEvent

/**
 * Decisions a run makes that a replay must make the same way: which memory key a delegation
 * writes its result under (concurrent delegations may number differently), whether a call
 * that needed approval was approved, the answer to an MCP server's elicitation, and the tools
 * an agent with a live tool set was offered at a step.
 */
export type DecisionKind = 'delegation-key' | 'approval' | 'elicitation' | 'tools'

export interface Effects {
  readonly spec: 'baton.effects.v3'
  readonly clock: Clock
  model(effect: ModelEffect): Promise<ModelResponse>
  tool(effect: ToolEffect): Promise<ToolAnswer>
  /** A fresh id for `kind` (e.g. `run`). */
  id(kind: string): string
  /**
   * The decision of `kind` at step `key`: live effects make it now with `decide`; a replay
   * answers with the recorded one when its recording holds it, else decides too.
   */
  decision<T>(kind: DecisionKind, key: string, decide: () => T | Promise<T>): Promise<T>
}
