import { BatonError } from '../../errors/index.js'
import { defineScorer, type Scorer, type TrajectoryStep } from '../../goal/index.js'
import { checkOptionKeys } from '../../schema/known-keys.js'

const TRAJECTORY_KEYS: ReadonlySet<string> = new Set(['mode', 'agent'])

export interface TrajectoryOptions {
  /**
   * `in-order` (default): the names were called in this order, other calls in between allowed.
   * `exact`: exactly these calls, in this order, nothing else.
   * `set`: each name was called at least once, in any order, other calls allowed.
   */
  mode?: 'in-order' | 'exact' | 'set'
  /**
   * Only the calls made by this agent: an agent path (`root`, `root/2/agent:researcher#0`) or a
   * sub-agent's name (every delegation to it). Default: every call in the tree.
   */
  agent?: string
}

const MODES = new Set(['in-order', 'exact', 'set'])

/**
 * Checks the tool calls and delegations the run made (`ScoreInput.trajectory`), by name.
 * A delegation to sub-agent `x` is the call `delegate_x`.
 *
 * @example
 * scorers: [trajectory(['delegate_researcher', 'book_hotel']), trajectory(['search'], { agent: 'researcher' })]
 */
export function trajectory(names: readonly string[], options: TrajectoryOptions = {}): Scorer {
  checkOptionKeys(options, TRAJECTORY_KEYS, {
    where: 'trajectory',
    what: 'trajectory option',
    hints: { order: 'mode', by: 'agent' },
  })
  const mode = options.mode ?? 'in-order'
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === ''))
    throw new BatonError('INVALID_DEFINITION', 'trajectory: expected a list of tool or delegation names', {
      details: { value: names },
    })
  if (!MODES.has(mode))
    throw new BatonError(
      'INVALID_DEFINITION',
      `trajectory: mode must be "in-order", "exact" or "set", got ${JSON.stringify(mode)}`,
      {
        details: { field: 'mode', value: mode },
      },
    )
  const wanted = [...names]
  const by = options.agent
  return defineScorer('trajectory', ({ trajectory: steps }) => {
    const called = steps.filter((step) => by === undefined || madeBy(step, by)).map((step) => step.name)
    const got = `got ${list(called)}${by === undefined ? '' : ` (calls by ${by})`}`
    if (mode === 'set') {
      const unique = [...new Set(wanted)]
      const missing = unique.filter((name) => !called.includes(name))
      const score = unique.length ? (unique.length - missing.length) / unique.length : 1
      return missing.length
        ? {
            pass: false,
            score,
            reason: `expected calls to ${list(unique)} in any order, ${got}: ${subject(missing)} not called`,
          }
        : { pass: true, score, reason: `called ${list(unique)}` }
    }
    if (mode === 'exact') {
      const at = firstMismatch(wanted, called)
      if (at === undefined) return { pass: true, score: 1, reason: `called exactly ${list(wanted)}` }
      const what =
        at >= wanted.length
          ? `call ${at + 1} is ${called[at]}, expected no more calls`
          : at >= called.length
            ? `call ${at + 1} should be ${wanted[at]} but there are no more calls`
            : `call ${at + 1} is ${called[at]}, expected ${wanted[at]}`
      return {
        pass: false,
        score: at / Math.max(wanted.length, called.length),
        reason: `expected exactly ${list(wanted)}, ${got}: ${what}`,
      }
    }
    let matched = 0
    for (const name of called) if (name === wanted[matched]) matched++
    if (matched === wanted.length) return { pass: true, score: 1, reason: `called ${list(wanted)} in order` }
    const after = matched > 0 ? ` after ${wanted[matched - 1]}` : ''
    return {
      pass: false,
      score: matched / wanted.length,
      reason: `expected calls in order ${list(wanted)}, ${got}: ${wanted[matched]} was not called${after}`,
    }
  })
}

function madeBy(step: TrajectoryStep, agent: string): boolean {
  if (step.path === agent) return true
  if (agent.includes('/') || agent === 'root') return false
  // A sub-agent's path ends with `agent:<name>#<n>`, one per delegation.
  return step.path.slice(step.path.lastIndexOf('/') + 1).startsWith(`agent:${agent}#`)
}

function firstMismatch(a: readonly string[], b: readonly string[]): number | undefined {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i
  return undefined
}

function list(names: readonly string[]): string {
  const shown = names.length > 20 ? [...names.slice(0, 20), `… ${names.length - 20} more`] : names
  return `[${shown.join(', ')}]`
}

function subject(names: readonly string[]): string {
  return names.length === 1 ? `${names[0]} was` : `${names.join(', ')} were`
}
