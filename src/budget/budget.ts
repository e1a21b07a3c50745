/**
 * @module budget
 * The budget tree. Every agent has a node; a child's usage is charged to every ancestor, and a
 * call is refused before it is made if any node on the way to the root would go over. Calls in
 * flight hold a reservation, so concurrent sub-agents cannot jointly overspend.
 */
import type { Usage } from '../model/types.js'
import type { BudgetLimit, BudgetLimits } from './limits.js'
import { type ModelPrice, tokens } from './price-table.js'

export interface BudgetUsage {
  steps: number
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number
  reasoningTokens: number
  costUsd: number
  toolCalls: number
}

/** Why a call was refused: which limit, at which agent, how much was used of how much. */
export interface BudgetRefusal {
  limit: BudgetLimit
  used: number
  max: number
  /** The agent path whose budget refused. */
  at: string
}

/** What a model call may do: its clipped `maxTokens`, and the reservation to settle after. */
export interface ModelCallGrant {
  maxTokens: number | undefined
  reservation: Reservation
}

/** What is left of the limits that are set: model calls, tokens, US dollars, tool calls, ms. */
export interface BudgetLeft {
  steps?: number
  tokens?: number
  costUsd?: number
  toolCalls?: number
  wallMs?: number
}

export interface Reservation {
  steps: number
  tokens: number
  costUsd: number
}

/** What a node has used and holds for calls in flight: what a shared ledger stores for it. */
export interface BudgetState {
  used: BudgetUsage
  reserved: Reservation
}

/** Output tokens held for a call in flight when the agent sets no `maxOutputTokens`. */
export const RESERVED_OUTPUT_TOKENS = 4096

/** Usage before anything was used. */
export const emptyUsage = (): BudgetUsage => ({
  steps: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  reasoningTokens: 0,
  costUsd: 0,
  toolCalls: 0,
})

export class Budget {
  readonly used: BudgetUsage = emptyUsage()
  private readonly reserved: Reservation = { steps: 0, tokens: 0, costUsd: 0 }
  /** The deepest absolute depth this node allows below it. */
  private readonly depthLimit: number

  constructor(
    readonly path: string,
    readonly limits: BudgetLimits,
    readonly startedAt: number,
    readonly depth = 0,
    readonly parent?: Budget,
  ) {
    this.depthLimit = limits.maxDepth === undefined ? Number.POSITIVE_INFINITY : depth + limits.maxDepth
  }

  /** This node and its ancestors, from this one up to the root. */
  chain(): Budget[] {
    const nodes: Budget[] = []
    for (let node: Budget | undefined = this; node; node = node.parent) nodes.push(node)
    return nodes
  }

  /** What this node has used and holds (copies). */
  state(): BudgetState {
    return { used: { ...this.used }, reserved: { ...this.reserved } }
  }

  /** Takes `state` as this node's (from a ledger that other processes charge too). */
  load(state: BudgetState): void {
    Object.assign(this.used, state.used)
    Object.assign(this.reserved, state.reserved)
  }

  child(path: string, limits: BudgetLimits, now: number): Budget {
    return new Budget(path, limits, now, this.depth + 1, this)
  }

  /** Refuses a sub-agent one level below this node if any node's `maxDepth` forbids it. */
  checkDelegation(): BudgetRefusal | undefined {
    const depth = this.depth + 1
    for (let node: Budget | undefined = this; node; node = node.parent) {
      if (depth > node.depthLimit) {
        return { limit: 'maxDepth', used: depth - node.depth, max: node.limits.maxDepth!, at: node.path }
      }
    }
    return undefined
  }

  /** The first limit (from this node up to the root) that is already spent, if any. */
  checkSpent(now: number): BudgetRefusal | undefined {
    for (let node: Budget | undefined = this; node; node = node.parent) {
      const refusal = node.spent(now)
      if (refusal) return refusal
    }
    return undefined
  }

  /**
   * Asks every node for room for one model call whose input is about `inputTokens` long.
   * Returns the grant (with `maxTokens` clipped to what is left) or the refusal. A model with no
   * `price` holds `unpricedUsd` instead (see `UnpricedCosts`), and is let through while the
   * cost limits have room beside what the calls in flight hold.
   */
  beforeModelCall(
    now: number,
    inputTokens: number,
    price: ModelPrice | undefined,
    wantedMaxTokens: number | undefined,
    unpricedUsd = 0,
  ): ModelCallGrant | BudgetRefusal {
    let maxTokens = wantedMaxTokens
    for (let node: Budget | undefined = this; node; node = node.parent) {
      const spent = node.spent(now)
      if (spent) return spent
      const { limits, used, reserved } = node
      if (limits.maxTokens !== undefined) {
        const left = limits.maxTokens - used.inputTokens - used.outputTokens - reserved.tokens - inputTokens
        if (left < 1)
          return { limit: 'maxTokens', used: limits.maxTokens - left, max: limits.maxTokens, at: node.path }
        maxTokens = maxTokens === undefined ? left : Math.min(maxTokens, left)
      }
      if (limits.maxCostUsd !== undefined && price) {
        const left = limits.maxCostUsd - used.costUsd - reserved.costUsd - (inputTokens * price.input) / 1e6
        const affordable =
          price.output > 0 ? Math.floor((left * 1e6) / price.output) : Number.POSITIVE_INFINITY
        if (left <= 0 || affordable < 1) {
          return {
            limit: 'maxCostUsd',
            used: used.costUsd + reserved.costUsd,
            max: limits.maxCostUsd,
            at: node.path,
          }
        }
        if (Number.isFinite(affordable))
          maxTokens = maxTokens === undefined ? affordable : Math.min(maxTokens, affordable)
      } else if (limits.maxCostUsd !== undefined && used.costUsd + reserved.costUsd >= limits.maxCostUsd) {
        return {
          limit: 'maxCostUsd',
          used: used.costUsd + reserved.costUsd,
          max: limits.maxCostUsd,
          at: node.path,
        }
      }
    }
    // Hold the input and the expected output (not the whole clipped maximum: a first call
    // would otherwise hold everything that is left and starve its concurrent siblings).
    const output = Math.min(maxTokens ?? 0, wantedMaxTokens ?? RESERVED_OUTPUT_TOKENS)
    const reservation: Reservation = {
      steps: 1,
      tokens: inputTokens + output,
      costUsd: price ? (inputTokens * price.input + output * price.output) / 1e6 : unpricedUsd,
    }
    for (let node: Budget | undefined = this; node; node = node.parent) {
      node.reserved.steps += reservation.steps
      node.reserved.tokens += reservation.tokens
      node.reserved.costUsd += reservation.costUsd
    }
    return { maxTokens, reservation }
  }

  /** Settles a model call: releases its reservation and charges its real usage up the tree. */
  settleModelCall(grant: ModelCallGrant | undefined, usage: Usage | undefined, costUsd: number): void {
    // One NaN would stick to the node for good and no limit would ever be reached again: what
    // cannot be counted is 0. An infinite count is kept finite (the limits still see it as spent).
    const counted = {
      inputTokens: finite(tokens(usage?.inputTokens)),
      outputTokens: finite(tokens(usage?.outputTokens)),
      cachedInputTokens: finite(tokens(usage?.cachedInputTokens)),
      reasoningTokens: finite(tokens(usage?.reasoningTokens)),
      costUsd: finite(tokens(costUsd)),
    }
    // Plain loops on the tree here and below: these run for every call of every agent.
    for (let node: Budget | undefined = this; node; node = node.parent) {
      if (grant) {
        node.reserved.steps -= grant.reservation.steps
        node.reserved.tokens -= grant.reservation.tokens
        node.reserved.costUsd -= grant.reservation.costUsd
      }
      if (!usage) continue
      node.used.steps += 1
      node.used.inputTokens += counted.inputTokens
      node.used.outputTokens += counted.outputTokens
      node.used.cachedInputTokens += counted.cachedInputTokens
      node.used.reasoningTokens += counted.reasoningTokens
      node.used.costUsd += counted.costUsd
    }
  }

  /** Counts one tool call, or refuses it when a node's `maxToolCalls` is reached. */
  takeToolCall(now: number): BudgetRefusal | undefined {
    for (let node: Budget | undefined = this; node; node = node.parent) {
      const { maxToolCalls, maxWallMs } = node.limits
      if (maxToolCalls !== undefined && node.used.toolCalls >= maxToolCalls) {
        return { limit: 'maxToolCalls', used: node.used.toolCalls, max: maxToolCalls, at: node.path }
      }
      if (maxWallMs !== undefined && now - node.startedAt >= maxWallMs) {
        return { limit: 'maxWallMs', used: now - node.startedAt, max: maxWallMs, at: node.path }
      }
    }
    for (let node: Budget | undefined = this; node; node = node.parent) node.used.toolCalls += 1
    return undefined
  }

  /**
   * What is left of each limit set on the way to the root (the tightest of them), calls in flight
   * held; a limit no node sets is left out.
   */
  left(now: number): BudgetLeft {
    const left: BudgetLeft = {}
    const least = (name: keyof BudgetLeft, value: number) => {
      left[name] = Math.max(0, Math.min(left[name] ?? Number.POSITIVE_INFINITY, value))
    }
    for (let node: Budget | undefined = this; node; node = node.parent) {
      const { limits, used, reserved } = node
      if (limits.maxSteps !== undefined) least('steps', limits.maxSteps - used.steps - reserved.steps)
      if (limits.maxTokens !== undefined)
        least('tokens', limits.maxTokens - used.inputTokens - used.outputTokens - reserved.tokens)
      if (limits.maxCostUsd !== undefined)
        least('costUsd', limits.maxCostUsd - used.costUsd - reserved.costUsd)
      if (limits.maxToolCalls !== undefined) least('toolCalls', limits.maxToolCalls - used.toolCalls)
      if (limits.maxWallMs !== undefined) least('wallMs', node.startedAt + limits.maxWallMs - now)
    }
    return left
  }

  /** Milliseconds until the nearest `maxWallMs` deadline on the way to the root, if any. */
  wallMsLeft(now: number): number | undefined {
    let left: number | undefined
    for (let node: Budget | undefined = this; node; node = node.parent) {
      if (node.limits.maxWallMs === undefined) continue
      const mine = node.startedAt + node.limits.maxWallMs - now
      left = left === undefined ? mine : Math.min(left, mine)
    }
    return left
  }

  private spent(now: number): BudgetRefusal | undefined {
    const { limits, used, reserved } = this
    if (limits.maxSteps !== undefined && used.steps + reserved.steps >= limits.maxSteps) {
      return { limit: 'maxSteps', used: used.steps, max: limits.maxSteps, at: this.path }
    }
    if (limits.maxWallMs !== undefined && now - this.startedAt >= limits.maxWallMs) {
      return { limit: 'maxWallMs', used: now - this.startedAt, max: limits.maxWallMs, at: this.path }
    }
    const tokens = used.inputTokens + used.outputTokens
    if (limits.maxTokens !== undefined && tokens >= limits.maxTokens) {
      return { limit: 'maxTokens', used: tokens, max: limits.maxTokens, at: this.path }
    }
    if (limits.maxCostUsd !== undefined && used.costUsd >= limits.maxCostUsd) {
      return { limit: 'maxCostUsd', used: used.costUsd, max: limits.maxCostUsd, at: this.path }
    }
    return undefined
  }
}

/** A count or cost that stays finite: infinity becomes the largest number there is. */
function finite(n: number): number {
  return n === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : n
}
