/**
 * What calls to models with no known price cost, learned from the calls themselves: a model
 * may report its own `costUsd`. Without a price, the budget cannot tell what a call will cost
 * before it is made, yet `maxCostUsd` promises to overrun by at most one call. So, per run,
 * while a cost limit applies:
 *
 * - a call of a model none of whose calls has reported a cost yet holds nothing, so only one
 *   such call is in flight at a time, whatever its model (the others wait for it): ten
 *   concurrent sub-agents cannot all start on a guess of $0;
 * - once a call of a model has reported a cost, each call of that model holds the largest cost
 *   a call of it has reported so far, and starts only while the limit has room left beside
 *   what the calls in flight hold;
 * - a model that answers without reporting a cost counts as $0 (the caller warns once), and
 *   its calls are no longer held back.
 *
 * The hold is an estimate: a call larger than any before it can still cost more.
 */
export class UnpricedCosts {
  private readonly models = new Map<string, ModelCosts>()
  /** Settles when the call in flight that holds nothing is back. */
  private probe: Promise<void> | undefined
  private release: (() => void) | undefined

  /**
   * A ticket for one call of `modelId`, or, while a call that holds nothing is still out, a
   * promise that settles when it is back (then ask again). A ticket goes back to `settle`.
   */
  admit(modelId: string): CostTicket | Promise<void> {
    const costs = this.models.get(modelId)
    if (costs) return { usd: costs.largest ?? 0, probe: false }
    if (this.probe) return this.probe
    this.probe = new Promise<void>((resolve) => {
      this.release = resolve
    })
    return { usd: 0, probe: true }
  }

  /**
   * Gives a ticket back once its call is over. `reported` is the cost the model reported;
   * `answered` says whether it answered at all. Returns true the first time the model answers
   * without a cost (the caller warns that its calls count as $0).
   */
  settle(modelId: string, ticket: CostTicket, reported: number | undefined, answered: boolean): boolean {
    let silent = false
    const costs = this.models.get(modelId)
    if (reported !== undefined) {
      if (costs) costs.largest = Math.max(costs.largest ?? 0, reported)
      else this.models.set(modelId, { largest: reported })
    } else if (answered && !costs) {
      this.models.set(modelId, { largest: undefined })
      silent = true
    }
    if (ticket.probe) {
      const release = this.release
      this.probe = undefined
      this.release = undefined
      release?.()
    }
    return silent
  }
}

/** What one call of a model with no known price may do: hold `usd` while it is in flight. */
export interface CostTicket {
  readonly usd: number
  /** Whether this is the one call in flight that holds nothing (the others wait for it). */
  readonly probe: boolean
}

interface ModelCosts {
  /** The largest cost one call reported; undefined when the model reports none (it counts as $0). */
  largest: number | undefined
}
