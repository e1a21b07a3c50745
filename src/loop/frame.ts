import type { Agent, PreparedAgent } from '../agent/index.js'
import { prepareAgent } from '../agent/index.js'
import { type Budget, findPrice, type ModelPrice, type PriceTable } from '../budget/index.js'
import type { Clock, Effects } from '../effects/index.js'
import type { BatonEvent, PendingApproval } from '../events/index.js'
import type { Task, TrajectoryStep } from '../goal/index.js'
import type { Memory } from '../memory/index.js'
import type { GenerateOptions, Model } from '../model/types.js'
import { StopSignal } from './outcome.js'

/** Decides a tool call that needs approval: true runs it, false refuses it. */
export type ApproveFn = (request: PendingApproval) => boolean | Promise<boolean>

/** Shared by every agent of one run. */
export interface RunContext {
  readonly effects: Effects
  readonly clock: Clock
  readonly memory: Memory
  readonly prices: PriceTable
  readonly approve: ApproveFn | undefined
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
  /** Every tool call and delegation of the run, in the order they finished, agents included. */
  readonly trajectory: TrajectoryStep[]
  /** Whether anything sees the events (a transcript, a stream reader, non-live effects). */
  readonly observed: boolean
}

/** One agent's place in the run. */
export interface Frame {
  readonly run: RunContext
  readonly agent: Agent
  readonly prepared: PreparedAgent
  readonly model: Model
  readonly price: ModelPrice | undefined
  /** `root`, or `<parent>/<step>/agent:<name>#<k>`. */
  readonly path: string
  readonly depth: number
  readonly budget: Budget
  readonly signal: AbortSignal
  readonly task: Task
  /** Memory entries handed over with the brief. */
  readonly memoryKeys: string[] | undefined
  /** Rejects when `signal` aborts (made on first use; tool calls race against it). */
  readonly stopped: Promise<never>
  /** Options for the model call at step key `key`: the signal, the wall-clock deadline, retries as events. */
  callOptions(key: string): GenerateOptions
  /** Releases the frame's timers. */
  dispose(): void
}

export function createFrame(
  run: RunContext,
  agent: Agent,
  path: string,
  budget: Budget,
  parentSignal: AbortSignal,
  task: Task,
  memoryKeys?: string[],
): Frame {
  return new AgentFrame(run, agent, path, budget, parentSignal, task, memoryKeys)
}

// A class, not an object literal: a literal with an accessor is kept in dictionary mode,
// which costs memory for every agent of every run.
class AgentFrame implements Frame {
  readonly prepared: PreparedAgent
  readonly model: Model
  readonly price: ModelPrice | undefined
  readonly depth: number
  readonly signal: AbortSignal
  private cancelTimer: (() => void) | undefined
  private stoppedPromise: Promise<never> | undefined
  private modelKey = ''
  private options: GenerateOptions | undefined

  constructor(
    readonly run: RunContext,
    readonly agent: Agent,
    readonly path: string,
    readonly budget: Budget,
    parentSignal: AbortSignal,
    readonly task: Task,
    readonly memoryKeys: string[] | undefined,
  ) {
    this.prepared = prepareAgent(agent)
    this.model = run.models.get(agent)!
    this.price = findPrice(this.model.id, run.prices)
    this.depth = budget.depth
    this.signal = parentSignal
    const wallMs = budget.limits.maxWallMs
    if (wallMs !== undefined) {
      // Only this agent's own deadline needs a timer: an ancestor's aborts the parent signal.
      const controller = new AbortController()
      this.signal = AbortSignal.any([parentSignal, controller.signal])
      const stop = new StopSignal({
        status: 'budget_exceeded',
        stopReason: 'maxWallMs',
        error: {
          code: 'BUDGET_EXCEEDED',
          message: `maxWallMs reached at ${path}: ${wallMs} ms`,
          details: { limit: 'maxWallMs', at: path, max: wallMs },
        },
      })
      const left = Math.max(0, budget.startedAt + wallMs - run.clock.now())
      this.cancelTimer = run.clock.setTimeout(() => controller.abort(stop), left)
    }
  }

  get stopped(): Promise<never> {
    this.stoppedPromise ??= abortedPromise(this.signal)
    return this.stoppedPromise
  }

  callOptions(key: string): GenerateOptions {
    // One model call at a time per agent: the retry reporter reads the key of the current one.
    this.modelKey = key
    this.options ??= {
      signal: this.signal,
      onRetry: (retry) => this.run.emit({ type: 'model.retry', path: this.modelKey, ...retry }),
    }
    const left = this.budget.wallMsLeft(this.run.clock.now())
    return left === undefined ? this.options : { ...this.options, deadline: Date.now() + left }
  }

  dispose(): void {
    this.cancelTimer?.()
    this.cancelTimer = undefined
  }
}

function abortedPromise(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  promise.catch(() => {})
  return promise
}
