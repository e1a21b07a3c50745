import { defaultMaxListeners, setMaxListeners } from 'node:events'
import type { Agent, PreparedAgent } from '../agent/index.js'
import { prepareAgent } from '../agent/index.js'
import {
  type Budget,
  DEFAULT_PRICES,
  layerPrices,
  type ModelPrice,
  type PriceTable,
  priceFor,
  type UnpricedCosts,
} from '../budget/index.js'
import type { Clock, Effects } from '../effects/index.js'
import type { BatonEvent, ElicitationAnswer, ElicitationRequest, PendingApproval } from '../events/index.js'
import type { Task } from '../goal/index.js'
import type { Memory, MemoryEntry } from '../memory/index.js'
import type { GenerateOptions, Model } from '../model/types.js'
import { withFields } from '../objects.js'
import { resultMemoryKey } from '../tool/index.js'
import { raceStop } from './on-abort.js'
import { type AgentOutcome, StopSignal } from './outcome.js'
import { claimResultKey } from './result-key.js'
import { Stopper } from './stopper.js'

/**
 * Decides a tool call that needs approval: true runs it, false refuses it, and undefined leaves
 * it waiting (the run then ends `awaiting_approval`, to be resumed once it has an answer).
 */
export type ApproveFn = (
  request: PendingApproval,
) => ApprovalAnswer | boolean | undefined | Promise<ApprovalAnswer | boolean | undefined>

/** An approval with who gave it: recorded in the transcript (`approval.decision`). */
export interface ApprovalAnswer {
  approved: boolean
  /** Who decided (a user name, a reviewer's id); recorded as given. */
  by?: string
}

/**
 * Answers an MCP server's request for input during a tool call (elicitation): accept with the
 * form's content, decline or cancel; undefined leaves the call waiting (the run then ends
 * `awaiting_approval`, to be resumed with an answer, as an approval is).
 */
export type ElicitFn = (
  request: ElicitationRequest,
) => ElicitationAnswer | undefined | Promise<ElicitationAnswer | undefined>

/**
 * A budget tree shared with other processes: a durable run whose sub-agents run on other
 * workers keeps every agent's usage in its database.
 */
export interface BudgetLedger {
  /**
   * Whether step `key` was charged already: a resumed run replays it from its transcript, and
   * it is neither checked nor charged again.
   */
  charged(key: string): boolean
  /**
   * Runs `work` (a check and a hold, a charge, a tool call's count) for step `key` of the agent
   * whose node is `budget`, with that node and its ancestors loaded from the ledger first,
   * and stores what it did: one process at a time.
   */
  update<T>(budget: Budget, key: string, work: () => T): Promise<T>
  /** Loads `budget` and its ancestors from the ledger (what agents elsewhere spent). */
  refresh(budget: Budget): Promise<void>
}

/** Shared by every agent of one run. */
export interface RunContext {
  readonly effects: Effects
  readonly clock: Clock
  readonly memory: Memory
  /** The run's `prices` option: it wins over the agents' own prices and the shipped table. */
  readonly prices: PriceTable | undefined
  /** The run's `contextWindows` option: it wins over a model's own and the shipped table. */
  readonly contextWindows: Readonly<Record<string, number>> | undefined
  /** What calls to models with no known price have cost so far (see `UnpricedCosts`). */
  readonly costs: UnpricedCosts
  readonly approve: ApproveFn | undefined
  readonly elicit: ElicitFn | undefined
  /** Turns a model string into a model (the loop never loads a provider itself). */
  resolveModel(model: Model | string): Promise<Model>
  /** The resolved model of every agent in the tree. */
  readonly models: ReadonlyMap<Agent, Model>
  /** Values for `{{var}}` placeholders still open in instructions. */
  readonly vars: Record<string, unknown>
  /** The next `n` of `agents/<name>/<n>` memory keys for a sub-agent. */
  nextDelegation(agent: string): number
  /** Stops the whole run (every agent's signal aborts with this reason). */
  stop(reason: StopSignal): void
  /** Puts an event into the run's event stream (stamped, recorded, handed to the consumer). */
  emit(event: BatonEvent): void
  /**
   * The one switch for work nobody may see: whether `model.request` events (each request's new
   * messages and the chained request hash) are built. True when something sees the events (a
   * transcript, a stream reader, non-live effects). Every other event is always emitted: the
   * result is folded from them.
   */
  readonly observed: boolean
  /** Whether model calls stream their deltas into the events (`model.delta`, `model.restart`). */
  readonly deltas: boolean
  /** Set when the budget tree is shared with other processes; absent, it lives in this one. */
  readonly ledger?: BudgetLedger
  /** Set when sub-agents may run elsewhere (see `Delegations`); absent, they run here. */
  readonly delegations?: Delegations
}

/** A sub-agent about to run for a delegation call, as `Delegations.run` is asked for it. */
export interface DelegationRequest {
  /** The delegation call's step key (`root/2/tool/call_1`). */
  key: string
  /** The sub-agent's path (`root/2/agent:researcher#0`). */
  path: string
  agent: Agent
  task: Task
  memoryKeys: string[] | undefined
  /** The memory entries handed over with the brief. */
  handed: MemoryEntry[]
  /** The budget node made for it under its parent's. */
  budget: Budget
}

/**
 * Runs sub-agents somewhere else (another worker). `run` returns the sub-agent's outcome once
 * it has ended, and every event it emitted meanwhile (the loop puts them into the run's
 * stream and memory), or undefined to run it here, in this process.
 */
export interface Delegations {
  run(
    request: DelegationRequest,
    frame: Frame,
  ): Promise<{ outcome: AgentOutcome; events: BatonEvent[] } | undefined>
}

/** One agent's place in the run. */
export interface Frame {
  readonly run: RunContext
  readonly agent: Agent
  /** Its tool table and specs: those of its definition, or what a live tool set offers at this step. */
  readonly prepared: PreparedAgent
  readonly model: Model
  readonly price: ModelPrice | undefined
  /** Whether a `maxCostUsd` applies to this agent (its own or an ancestor's). */
  readonly costLimited: boolean
  /** `root`, or `<parent>/<step>/agent:<name>#<k>`. */
  readonly path: string
  readonly depth: number
  readonly budget: Budget
  /** This agent's own signal: aborted when the run, an ancestor or its own deadline stops it. */
  readonly signal: AbortSignal
  /** Whether this agent has stopped (its signal is aborted); cheaper to ask than the signal. */
  readonly stopped: boolean
  /** Why it stopped, while `stopped`. */
  readonly reason: unknown
  readonly task: Task
  /** Memory entries handed over with the brief. */
  readonly memoryKeys: string[] | undefined
  /**
   * The price of `modelId` for this agent. The most specific entry wins (an exact id before a
   * prefix); for the same entry, the run's `prices` win over this agent's, this agent's over its
   * ancestors', and theirs over the shipped table.
   */
  priceOf(modelId: string): ModelPrice | undefined
  /** Calls `fn` with the reason when this agent stops; returns a function that stops waiting. */
  onStop(fn: (reason: unknown) => void): () => void
  /**
   * `work`, or its rejection with the stop reason as soon as this agent stops, whichever is
   * first: work that ignores its signal (a hung model, a goal check) is abandoned, not awaited.
   */
  race<T>(work: Promise<T>): Promise<T>
  /** The memory key for the whole value of a truncated tool result (see `claimResultKey`). */
  resultKey(toolName: string, callId: string, step: string): string
  /** Offers the agent these tools from its next model call on (its live tool sets changed). */
  offer(prepared: PreparedAgent): void
  /** Says that `concurrentCalls` tool calls are about to share this agent's signal. */
  expectListeners(concurrentCalls: number): void
  /** Options for the model call at step key `key`: the signal, the wall-clock deadline, retries as events. */
  callOptions(key: string): GenerateOptions
  /** Releases the frame's timer and its link to the parent. */
  dispose(): void
}

/** What an agent stops with: its parent agent's frame, or for the root the run. */
export type StopParent = Pick<Frame, 'onStop'> & {
  /** The prices of the agents above (the shipped table with their `prices` laid over it). */
  readonly agentPrices?: PriceTable
}

/**
 * A frame for `agent`. `parent` is the parent agent's frame, or for the root the run's stopper.
 * Each agent gets its own signal, linked to its parent by a plain callback: concurrent
 * sub-agents never pile listeners on one shared signal.
 */
export function createFrame(
  run: RunContext,
  agent: Agent,
  path: string,
  budget: Budget,
  parent: StopParent,
  task: Task,
  memoryKeys?: string[],
): Frame {
  return new AgentFrame(run, agent, path, budget, parent, task, memoryKeys)
}

// A class, not an object literal: a literal with an accessor is kept in dictionary mode,
// which costs memory for every agent of every run.
class AgentFrame extends Stopper implements Frame {
  prepared: PreparedAgent
  readonly model: Model
  readonly price: ModelPrice | undefined
  readonly costLimited: boolean
  readonly depth: number
  readonly signal: AbortSignal
  /** The shipped table with the `prices` of this agent and its ancestors laid over it. */
  readonly agentPrices: PriceTable
  /** `agentPrices` with the run's `prices` option laid over it. */
  private readonly prices: PriceTable
  private readonly controller = new AbortController()
  private cancelTimer: (() => void) | undefined
  private unlink: (() => void) | undefined
  private modelKey = ''
  private maxListeners = defaultMaxListeners
  private options: GenerateOptions | undefined

  constructor(
    readonly run: RunContext,
    readonly agent: Agent,
    readonly path: string,
    readonly budget: Budget,
    parent: StopParent,
    readonly task: Task,
    readonly memoryKeys: string[] | undefined,
  ) {
    super()
    this.signal = this.controller.signal
    this.prepared = prepareAgent(agent)
    this.model = run.models.get(agent)!
    const inherited = parent.agentPrices ?? DEFAULT_PRICES
    this.agentPrices = agent.prices ? layerPrices(inherited, agent.prices) : inherited
    this.prices = run.prices ? layerPrices(this.agentPrices, run.prices) : this.agentPrices
    this.price = this.model.candidates ? this.dearestOf(this.model.candidates) : this.priceOf(this.model.id)
    this.costLimited = hasCostLimit(budget)
    this.depth = budget.depth
    const stop = (reason: unknown): void => this.stop(reason)
    this.unlink = parent.onStop(stop)
    const wallMs = budget.limits.maxWallMs
    if (wallMs !== undefined && !this.stopped) {
      // Only this agent's own deadline needs a timer: an ancestor's stops the parent.
      const deadline = new StopSignal({
        status: 'budget_exceeded',
        stopReason: 'maxWallMs',
        error: {
          code: 'BUDGET_EXCEEDED',
          message: `maxWallMs reached at ${path}: ${wallMs} ms`,
          details: { limit: 'maxWallMs', at: path, max: wallMs },
        },
      })
      const left = Math.max(0, budget.startedAt + wallMs - run.clock.now())
      this.cancelTimer = run.clock.setTimeout(() => {
        if (this.stopped) return
        // The deadline reports itself, when it passes.
        const used = run.clock.now() - budget.startedAt
        run.emit({ type: 'budget.exceeded', path, limit: 'maxWallMs', used, max: wallMs, at: path })
        this.stop(deadline)
      }, left)
    }
  }

  priceOf(modelId: string): ModelPrice | undefined {
    return priceFor(modelId, this.prices)
  }

  /**
   * What a call to a model that answers with one of `models` (a chain, a router) may cost: each
   * rate at its dearest among them; unknown when one of them has no price.
   */
  private dearestOf(models: readonly string[]): ModelPrice | undefined {
    let dearest: Required<ModelPrice> | undefined
    for (const model of models) {
      const price = this.priceOf(model)
      if (!price) return undefined
      const full = {
        input: price.input,
        output: price.output,
        cachedInput: price.cachedInput ?? price.input,
        cacheWrite: price.cacheWrite ?? price.input,
      }
      dearest = !dearest
        ? full
        : {
            input: Math.max(dearest.input, full.input),
            output: Math.max(dearest.output, full.output),
            cachedInput: Math.max(dearest.cachedInput, full.cachedInput),
            cacheWrite: Math.max(dearest.cacheWrite, full.cacheWrite),
          }
    }
    return dearest
  }

  offer(prepared: PreparedAgent): void {
    this.prepared = prepared
  }

  expectListeners(concurrentCalls: number): void {
    // A tool may listen on the signal once or twice a call (a DNS lookup, then the request):
    // that many listeners are no leak. Past them Node still warns, as it should for a tool that
    // never removes its listener.
    const expected = 2 * concurrentCalls + 2
    if (expected > this.maxListeners) {
      this.maxListeners = expected
      setMaxListeners(expected, this.signal)
    }
  }

  race<T>(work: Promise<T>): Promise<T> {
    return raceStop(work, this)
  }

  resultKey(toolName: string, callId: string, step: string): string {
    return claimResultKey(this.run.memory, resultMemoryKey(toolName, callId), step)
  }

  callOptions(key: string): GenerateOptions {
    // One model call at a time per agent: the retry reporter reads the key of the current one.
    this.modelKey = key
    this.options ??= {
      signal: this.signal,
      onRetry: (retry) => this.run.emit({ type: 'model.retry', path: this.modelKey, ...retry }),
      onQueued: (wait) => this.run.emit({ type: 'model.queued', path: this.modelKey, ...wait }),
      onFallback: (fallback) => this.run.emit({ type: 'model.fallback', path: this.modelKey, ...fallback }),
      onRoute: (choice) => this.run.emit({ type: 'model.route', path: this.modelKey, ...choice }),
      clock: this.run.clock,
    }
    const left = this.budget.wallMsLeft(this.run.clock.now())
    return left === undefined
      ? this.options
      : withFields(this.options, { deadline: this.run.clock.now() + left })
  }

  dispose(): void {
    this.cancelTimer?.()
    this.cancelTimer = undefined
    this.unlink?.()
    this.unlink = undefined
  }

  protected override stopping(reason: unknown): void {
    this.controller.abort(reason)
  }
}

function hasCostLimit(budget: Budget): boolean {
  for (let node: Budget | undefined = budget; node; node = node.parent) {
    if (node.limits.maxCostUsd !== undefined) return true
  }
  return false
}
