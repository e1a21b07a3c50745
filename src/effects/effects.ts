/**
 * @module effects
 * The one door to the world. Model calls, tool calls, the clock and ids all go through an
 * `Effects` object, addressed by a step key derived from structure (`root/3/model`,
 * `root/3/tool/<callId>`, `root/3/agent:researcher#0/2/model`), never from timing. Live runs,
 * replays and resumes differ only in which implementation is passed in.
 */
import type { GenerateOptions, Model, ModelRequest, ModelResponse } from '../model/types.js'
import type { Clock } from './clock.js'

/** What a tool effect needs: the tool's run function and its arguments. */
export interface ToolEffect {
  /** The step key, e.g. `root/3/tool/call_1`. */
  key: string
  name: string
  args: unknown
  run: () => Promise<unknown>
}

export interface Effects {
  readonly spec: 'baton.effects.v1'
  readonly clock: Clock
  model(key: string, model: Model, request: ModelRequest, options: GenerateOptions): Promise<ModelResponse>
  tool(effect: ToolEffect): Promise<unknown>
  /** A fresh id for `kind` (e.g. `run`). */
  id(kind: string): string
}
