/**
 * @module effects
 * The one door to the world. Model calls, tool calls, the clock and ids all go through an
 * `Effects` object, addressed by a step key derived from structure (`root/3/model`,
 * `root/3/tool/<callId>`, `root/3/agent:researcher#0/2/model`), never from timing. Live runs,
 * replays, resumes and forks differ only in which implementation is passed in.
 */
import { type ModelDelta, streamCall } from '../model/stream-call.js'
import type { GenerateOptions, Message, Model, ModelRequest, ModelResponse } from '../model/types.js'
import type { ToolContext } from '../tool/types.js'
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
  ctx: ToolContext
  run: () => Promise<unknown>
}

export interface Effects {
  readonly spec: 'baton.effects.v2'
  readonly clock: Clock
  model(effect: ModelEffect): Promise<ModelResponse>
  /** The tool's value, or a `RecordedOutcome` to use as it is (replays). */
  tool(effect: ToolEffect): Promise<unknown>
  /** A fresh id for `kind` (e.g. `run`). */
  id(kind: string): string
  /** The memory key a delegation made at `toolKey` wrote its result under (replays keep it). */
  delegationKey?(toolKey: string): string | undefined
  /** The recorded approval decision for the call at `toolKey`, if there is one (replays). */
  approval?(toolKey: string): boolean | undefined
}
