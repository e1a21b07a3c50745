/**
 * What calls to a model with no known price cost, learned from the calls themselves: a model
 * may report its own `costUsd`. Without a price, the budget cannot tell what a call will cost
 * before it is made, yet `maxCostUsd` promises to overrun by at most one call. So, per model
 * and per run, while a cost limit applies:
 *
 * - until one call of the model has reported a cost, only one call of it is in flight at a
 *   time (the others wait for it): ten concurrent sub-agents cannot all start on a guess of $0;
 * - after that, each call reserves the largest cost a call of the model has reported so far,
 *   and a call starts only while the limit has room left beside what the calls in flight hold;
 * - a model that answers without reporting a cost is counted as $0 (the caller warns once),
 *   and its calls are no longer held back.
 *
 * The reservation is an estimate: a call larger than any before it can still cost more.
 */
export class UnpricedCosts {
  private readonly models = new Map<string, ModelCosts>()

  /**
   * A ticket for one call of `modelId`, or, while the first call is still out, a promise that
   * settles when it is back (then ask again). A ticket must be given back to `settle`.
   */
  admit(modelId: string): CostTicket | Promise<void> {
    let costs = this.models.get(modelId)
    if (!costs) {
      costs = { largest: undefined, silent: false, probe: undefined, release: undefined }
      this.models.set(modelId, costs)
    }
    if (costs.largest !== undefined || costs.silent) return { usd: costs.largest ?? 0, probe: false }
    if (costs.probe) return costs.probe
    const known = costs
    known.probe = new Promise<void>((resolve) => {
      known.release = resolve
    })
    return { usd: 0, probe: true }
  }

  /**
   * Gives a ticket back once its call is over. `reported` is the cost the model reported;
   * `answered` says whether it answered at all. Returns true the first time the model answers
   * without a cost (the caller warns that its calls count as $0).
   */
  settle(modelId: string, ticket: CostTicket, reported: number | undefined, answered: boolean): boolean {
    const costs = this.models.get(modelId)
    if (!costs) return false
    let silent = false
    if (reported !== undefined) costs.largest = Math.max(costs.largest ?? 0, reported)
    else if (answered && costs.largest === undefined && !costs.silent) silent = costs.silent = true
    if (ticket.probe) {
      const release = costs.release
      costs.probe = undefined
      costs.release = undefined
      release?.()
    }
    return silent
  }
}

/** What one call of a model with no known price may do: hold `usd` while it is in flight. */
export interface CostTicket {
  readonly usd: number
  /** Whether this is the call the model's other calls wait for. */
  readonly probe: boolean
}

interface ModelCosts {
  largest: number | undefined
  silent: boolean
  probe: Promise<void> | undefined
  release: (() => void) | undefined
}
