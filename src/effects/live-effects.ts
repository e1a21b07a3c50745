import { randomUUID } from 'node:crypto'
import { type Clock, systemClock } from './clock.js'
import { callModelEffect, type Effects, type ToolAnswer } from './effects.js'

/** Performs every effect for real. The default. */
export function liveEffects(options: { clock?: Clock; ids?: (kind: string) => string } = {}): Effects {
  const clock = options.clock ?? systemClock
  const ids = options.ids ?? ((kind: string) => `${kind}_${randomUUID()}`)
  return {
    spec: 'baton.effects.v3',
    clock,
    model: callModelEffect,
    tool: (effect) => effect.run().then(ranTool),
    id: ids,
    decision: async (_kind, _key, decide) => decide(),
  }
}

const ranTool = (value: unknown): ToolAnswer => ({ from: 'tool', value })
