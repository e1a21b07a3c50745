import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'

/** Budget limits. Every field is optional; a missing field means no limit at that level. */
export interface BudgetLimits {
  /** Model calls, counted across this agent and every sub-agent below it. */
  maxSteps?: number
  /** Input + output tokens. */
  maxTokens?: number
  /** Cost in US dollars, from the price table. */
  maxCostUsd?: number
  /** Wall-clock milliseconds from the start of this agent. */
  maxWallMs?: number
  /** Tool calls (delegations included). */
  maxToolCalls?: number
  /** How many levels of sub-agents may exist below this agent. */
  maxDepth?: number
}

export type BudgetLimit = keyof BudgetLimits

export const LIMITS: readonly BudgetLimit[] = [
  'maxSteps',
  'maxTokens',
  'maxCostUsd',
  'maxWallMs',
  'maxToolCalls',
  'maxDepth',
]
const INTEGER_LIMITS = new Set<BudgetLimit>(['maxSteps', 'maxTokens', 'maxToolCalls', 'maxDepth'])

/**
 * Validates a budget object; the error names the field and the value. Its code is `code`:
 * `INVALID_DEFINITION` for an agent's or an eval's own budget, `INVALID_OPTIONS` for the
 * `budget` option of a run, a replay, a resume or a fork.
 */
export function checkBudgetLimits(
  value: unknown,
  where: string,
  code: 'INVALID_DEFINITION' | 'INVALID_OPTIONS' = 'INVALID_DEFINITION',
): BudgetLimits {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BatonError(code, `${where}: expected an object of limits, got ${describe(value)}`, {
      details: { field: where },
    })
  }
  const out: BudgetLimits = {}
  for (const [key, limit] of Object.entries(value)) {
    if (!LIMITS.includes(key as BudgetLimit)) {
      const hint = LIMITS.find((name) => name.toLowerCase().startsWith(key.toLowerCase().slice(0, 5)))
      throw new BatonError(
        code,
        `${where}.${key}: unknown budget limit${hint ? ` (did you mean ${hint}?)` : ''}; known limits: ${LIMITS.join(', ')}`,
        { details: { field: `${where}.${key}` } },
      )
    }
    if (limit === undefined) continue
    const integer = INTEGER_LIMITS.has(key as BudgetLimit)
    const ok =
      typeof limit === 'number' &&
      Number.isFinite(limit) &&
      limit >= 0 &&
      (!integer || Number.isInteger(limit))
    if (!ok) {
      throw new BatonError(
        code,
        `${where}.${key} must be a non-negative ${integer ? 'integer' : 'number'}, got ${shown(limit)}`,
        { details: { field: `${where}.${key}`, value: typeof limit === 'bigint' ? String(limit) : limit } },
      )
    }
    out[key as BudgetLimit] = limit
  }
  return out
}

/** A limit as the message quotes it: a string in quotes, anything else as it reads. */
function shown(limit: unknown): string {
  if (typeof limit === 'string') return JSON.stringify(limit)
  if (typeof limit === 'object' && limit !== null) return describe(limit)
  return String(limit)
}
