import type { Budget, BudgetUsage, Reservation } from '../budget/budget.js'
import type { BudgetLedger } from '../loop/index.js'
import type { DurableStore, LedgerChange } from './store.js'

/**
 * The budget tree of a durable run kept in its database, for agents on several workers: before
 * each check every node on the way to the root is loaded with what its agent and every agent
 * below it have spent and hold, wherever they run; what the step did is stored by its step key
 * (a step replayed after a takeover is not charged again).
 */
export function databaseLedger(
  store: DurableStore,
  runId: string,
  charged: ReadonlySet<string>,
): BudgetLedger {
  /** Loads the budget's node and those above it from the database, then does `work` under the run's lock. */
  const loaded = <T>(budget: Budget, work: () => LedgerChange<T>) => {
    const chain = budget.chain()
    return store.ledger(
      runId,
      chain.map((node) => node.path),
      (states) => {
        for (const node of chain) {
          const state = states.get(node.path)
          if (state) node.load(state)
        }
        return work()
      },
    )
  }
  return {
    charged: (key) => charged.has(key),
    update: (budget, key, work) =>
      loaded(budget, () => {
        const before = budget.state()
        const result = work()
        const after = budget.state()
        const used = difference(after.used, before.used)
        const held = difference(after.reserved, before.reserved)
        return {
          result,
          path: budget.path,
          key,
          ...(used ? { used } : {}),
          // A hold made (a call starts) or released (it ended).
          ...(held ? { held: held.steps > 0 || held.tokens > 0 || held.costUsd > 0 ? held : null } : {}),
        }
      }),
    refresh: (budget) => loaded(budget, () => ({ result: undefined, path: budget.path, key: '' })),
  }
}

/** `after - before` field by field, or undefined when nothing changed. */
function difference<T extends BudgetUsage | Reservation>(after: T, before: T): T | undefined {
  const out = {} as Record<string, number>
  let changed = false
  for (const [field, value] of Object.entries(after)) {
    out[field] = (value as number) - (before as unknown as Record<string, number>)[field]!
    if (out[field] !== 0) changed = true
  }
  return changed ? (out as unknown as T) : undefined
}
