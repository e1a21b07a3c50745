import type { Agent } from '../agent/index.js'
import { UnpricedCosts } from '../budget/index.js'
import type { Clock, Effects } from '../effects/index.js'
import type { BatonEvent } from '../events/index.js'
import type { RunContext, StopSignal } from '../loop/index.js'
import type { Memory } from '../memory/index.js'
import type { Model } from '../model/types.js'
import type { InternalRunOptions } from './types.js'

/** What a run (or a sub-agent run as a branch of one elsewhere) shares with every agent in it. */
export function runContext(parts: {
  effects: Effects
  clock: Clock
  memory: Memory
  resolveModel: (model: Model | string) => Promise<Model>
  models: ReadonlyMap<Agent, Model>
  stop: (reason: StopSignal) => void
  emit: (event: BatonEvent) => void
  observed: boolean
  deltas: boolean
  options: Pick<
    InternalRunOptions,
    'prices' | 'contextWindows' | 'approve' | 'elicit' | 'vars' | 'ledger' | 'delegations'
  >
}): RunContext {
  const { options } = parts
  const delegations = new Map<string, number>()
  // Field by field: a literal that starts with a spread is slow to extend on Node 20.
  return {
    effects: parts.effects,
    clock: parts.clock,
    memory: parts.memory,
    resolveModel: parts.resolveModel,
    models: parts.models,
    stop: parts.stop,
    emit: parts.emit,
    observed: parts.observed,
    deltas: parts.deltas,
    prices: options.prices,
    contextWindows: options.contextWindows,
    costs: new UnpricedCosts(),
    approve: options.approve,
    elicit: options.elicit,
    vars: options.vars ?? {},
    nextDelegation: (name) => {
      const n = delegations.get(name) ?? 0
      delegations.set(name, n + 1)
      return n
    },
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.delegations ? { delegations: options.delegations } : {}),
  }
}
