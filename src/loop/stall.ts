import type { StallOptions } from '../agent/index.js'
import type { ToolCall } from '../model/types.js'
import { stableStringify } from './stable-stringify.js'

export interface StallVerdict {
  /** Set when the run must stop: why, for the model and the result. */
  stop?: { reason: 'repeatedCall' | 'noProgress'; message: string }
  /** Warnings to attach: by call index for repeats, or for the step. */
  warnings: { index?: number; reason: 'repeatedCall' | 'noProgress'; message: string }[]
}

/**
 * Notices a model going in circles: the same call with the same arguments more than
 * `maxRepeats` times, or more than `maxIdleSteps` steps in a row without progress (every call
 * failed or repeated an earlier one). Warns the model once at the limit when `warn` is set.
 */
export class StallTracker {
  private counts: Map<string, number> | undefined
  private idle = 0

  constructor(private readonly options: Required<StallOptions>) {}

  /** Before a step's calls run. `fresh[i]` tells whether call i was never made before. */
  beforeCalls(calls: readonly ToolCall[]): StallVerdict & { fresh: boolean[] } {
    const verdict: StallVerdict & { fresh: boolean[] } = { warnings: [], fresh: [] }
    const { maxRepeats, warn } = this.options
    // Identical calls in one response (roll the dice three times) are one repetition, not three:
    // what counts is how many steps asked for the same call.
    const thisStep = calls.length > 1 ? new Map<string, number>() : undefined
    calls.forEach((call, index) => {
      const key = `${call.name}\u0000${call.argsText ?? stableStringify(call.args)}`
      let count = thisStep?.get(key)
      const first = count === undefined
      if (count === undefined) {
        this.counts ??= new Map()
        count = (this.counts.get(key) ?? 0) + 1
        this.counts.set(key, count)
        thisStep?.set(key, count)
      }
      verdict.fresh.push(count === 1)
      if (!first) return
      if (count > maxRepeats) {
        verdict.stop ??= {
          reason: 'repeatedCall',
          message: `"${call.name}" was called in ${count} steps with the same arguments`,
        }
      } else if (count === maxRepeats && warn) {
        verdict.warnings.push({
          index,
          reason: 'repeatedCall',
          message: `Note: you have now called "${call.name}" with these exact arguments in ${count} steps. Calling it again with the same arguments will stop the run; change approach or give your final answer.`,
        })
      }
    })
    return verdict
  }

  /** After a step's calls ran. */
  afterStep(progress: boolean): StallVerdict {
    this.idle = progress ? 0 : this.idle + 1
    const { maxIdleSteps, warn } = this.options
    if (this.idle > maxIdleSteps) {
      return {
        stop: { reason: 'noProgress', message: `${this.idle} steps in a row made no progress` },
        warnings: [],
      }
    }
    if (this.idle === maxIdleSteps && warn) {
      return {
        warnings: [
          {
            reason: 'noProgress',
            message: `Note: the last ${this.idle} steps made no progress (every call failed or repeated an earlier one). One more such step will stop the run; change approach or give your final answer.`,
          },
        ],
      }
    }
    return { warnings: [] }
  }
}
