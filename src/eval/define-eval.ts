/**
 * @module eval
 * An eval is a plain value: an agent (or a factory of fresh agents), the cases to run it on,
 * and the scorers that grade each run. Everything that can be checked is checked here, with a
 * message that names the field and the value.
 */
import { type Agent, isAgent } from '../agent/index.js'
import { type BudgetLimits, checkBudgetLimits } from '../budget/index.js'
import { BatonError } from '../errors/index.js'
import { isScorer, type Scorer, type Task } from '../goal/index.js'
import { checkModelString } from '../model/model-string.js'
import { isModel, type Model } from '../model/types.js'
import { describe } from '../schema/index.js'
import { unknownKey } from '../schema/known-keys.js'

/**
 * Case and eval names become file names (`<eval>/<case>.jsonl`): letters, digits, `_` and `-`.
 * No dots, so `<case>.<trial>.jsonl` and `<case>.scores.json` can never collide with a case.
 */
export const EVAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/

/** One input to run the agent on, and what to expect of it. */
export interface EvalCase<O = unknown> {
  /** Unique in the eval; names the cassette file. Letters, digits, `_` and `-`. */
  name: string
  /** The task: text, or a JSON object (for agents with an input schema). */
  input: Task
  /** What the answer should be; scorers read it as `ScoreInput.expected` (e.g. `exact()`). */
  expected?: unknown
  /** Scorers for this case only, run after the eval's own. */
  scorers?: Scorer<O>[]
  /** Values for `{{var}}` placeholders in the agent's instructions. */
  vars?: Record<string, unknown>
}

/** Makes a fresh agent for one case and trial (a scripted model is used up as it plays). */
export type AgentFactory<O = unknown> = (at: { case: string; trial: number }) => Agent<O>

export interface EvalConfig<O = unknown> {
  /** Unique among evals; names the cassette folder. Letters, digits, `_` and `-`. */
  name: string
  /** The agent, or a function that returns a fresh one per case and trial. */
  agent: Agent<O> | AgentFactory<O>
  cases: EvalCase<O>[]
  /** Scorers run on every case. */
  scorers?: Scorer<O>[]
  /** Runs per case (pass@k counts a case as passed when any of its k trials passed). Default 1. */
  trials?: number
  /** Runs at once. Default 4. */
  concurrency?: number
  /** Limits for each run, replacing the agent's own field by field. */
  budget?: BudgetLimits
  /** Runs every agent of the tree on this model instead (record and live modes). */
  model?: Model | string
}

/** An eval, made by `defineEval`. */
export interface Eval<O = unknown> {
  readonly kind: 'baton.eval'
  readonly name: string
  readonly agent: AgentFactory<O>
  readonly cases: readonly EvalCase<O>[]
  readonly scorers: readonly Scorer<O>[]
  readonly trials: number | undefined
  readonly concurrency: number | undefined
  readonly budget: BudgetLimits | undefined
  readonly model: Model | string | undefined
}

/** More trials than pass@k needs; past it a typo (`1e6`) would fill the memory with runs to make. */
export const MAX_TRIALS = 1_000

const KNOWN_KEYS = new Set(['name', 'agent', 'cases', 'scorers', 'trials', 'concurrency', 'budget', 'model'])
const CASE_KEYS = new Set(['name', 'input', 'expected', 'scorers', 'vars'])

/**
 * Defines an eval: cases to run an agent on and scorers to grade each run.
 *
 * @example
 * export default defineEval({
 *   name: 'support-desk',
 *   agent: () => supportDesk(),
 *   cases: [{ name: 'late-order', input: 'Where is order #1043?', expected: { category: 'shipping' } }],
 *   scorers: [matchesSchema(Triage), trajectory(['lookup_order'])],
 * })
 */
export function defineEval<O>(config: EvalConfig<O>): Eval<O> {
  if (typeof config !== 'object' || config === null)
    throw invalid(`defineEval: expected an eval definition object, got ${describe(config)}`, 'config', config)
  const name = checkName(config.name, 'defineEval: name', 'eval', 'name')
  const where = `eval "${name}"`
  const fail = (field: string, problem: string, value: unknown): never => {
    throw invalid(`${where}: ${field} ${problem}`, field, value)
  }
  const unknown = unknownKey(Object.keys(config), KNOWN_KEYS, 'eval option', {
    tests: 'cases',
    examples: 'cases',
  })
  if (unknown) fail(unknown.key, unknown.problem, unknown.key)

  const { agent } = config
  if (!isAgent(agent) && typeof agent !== 'function')
    fail(
      'agent',
      `must be an agent made by defineAgent or a function returning one, got ${describe(agent)}`,
      agent,
    )
  const scorers = checkScorers(config.scorers, 'scorers', fail)
  if (!Array.isArray(config.cases) || config.cases.length === 0)
    fail('cases', `must be a non-empty array of { name, input }, got ${describe(config.cases)}`, config.cases)
  const seen = new Map<string, number>()
  const cases = config.cases.map((item, i) => {
    const at = `cases[${i}]`
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      fail(at, `must be an object { name, input }, got ${describe(item)}`, item)
    const field = unknownKey(Object.keys(item), CASE_KEYS, 'case field', {
      expect: 'expected',
      output: 'expected',
    })
    if (field) fail(`${at}.${field.key}`, field.problem, field.key)
    const caseName = checkName(item.name, `${where}: ${at}.name`, 'case', `${at}.name`)
    // Case-insensitive: on macOS and Windows `A.jsonl` and `a.jsonl` are one file.
    const before = seen.get(caseName.toLowerCase())
    if (before !== undefined)
      fail(
        `${at}.name`,
        `"${caseName}" is already used by cases[${before}] (case names must be unique)`,
        caseName,
      )
    seen.set(caseName.toLowerCase(), i)
    checkInput(item.input, `${at}.input`, fail)
    if (
      item.vars !== undefined &&
      (typeof item.vars !== 'object' || item.vars === null || Array.isArray(item.vars))
    )
      fail(`${at}.vars`, `must be an object, got ${describe(item.vars)}`, item.vars)
    return { ...item, name: caseName, scorers: checkScorers(item.scorers, `${at}.scorers`, fail) }
  })
  const count = (field: 'trials' | 'concurrency') => {
    const value = config[field]
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      fail(field, `must be a whole number of 1 or more, got ${describe(value)}`, value)
    if (field === 'trials' && value !== undefined && value > MAX_TRIALS)
      fail(field, `must be at most ${MAX_TRIALS}, got ${describe(value)}`, value)
    return value
  }
  const budget =
    config.budget === undefined ? undefined : checkBudgetLimits(config.budget, `${where}: budget`)
  const { model } = config
  if (typeof model === 'string') {
    const problem = checkModelString(model)
    if (problem) fail('model', problem, model)
  } else if (model !== undefined && !isModel(model))
    fail('model', `must be a model string or a Model, got ${describe(model)}`, model)
  return {
    kind: 'baton.eval',
    name,
    agent: isAgent(agent) ? () => agent : (agent as AgentFactory<O>),
    cases,
    scorers,
    trials: count('trials'),
    concurrency: count('concurrency'),
    budget,
    model,
  }
}

/** Whether a value is an eval made by `defineEval` (what `baton eval` looks for in a module). */
export function isEval(value: unknown): value is Eval {
  return typeof value === 'object' && value !== null && (value as Eval).kind === 'baton.eval'
}

function checkName(value: unknown, where: string, what: 'eval' | 'case', field: string): string {
  if (typeof value === 'string' && EVAL_NAME.test(value)) return value
  const shown = typeof value === 'string' ? JSON.stringify(value) : describe(value)
  throw invalid(
    `${where} must be 1-100 letters, digits, "_" or "-" (it names the ${what === 'eval' ? 'cassette folder' : 'cassette file'}), got ${shown}`,
    field,
    value,
  )
}

function checkInput(value: unknown, field: string, fail: (f: string, p: string, v: unknown) => never): void {
  if (typeof value === 'string') {
    if (value.trim() === '') fail(field, 'is an empty string; say what the agent should do', value)
    return
  }
  const plain =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    [Object.prototype, null].includes(Object.getPrototypeOf(value))
  if (!plain) fail(field, `must be a task: a string or a JSON object, got ${describe(value)}`, value)
}

function checkScorers<O>(
  value: unknown,
  field: string,
  fail: (f: string, p: string, v: unknown) => never,
): Scorer<O>[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) return fail(field, `must be an array of scorers, got ${describe(value)}`, value)
  value.forEach((scorer, i) => {
    if (!isScorer(scorer))
      fail(
        `${field}[${i}]`,
        `must be a scorer (made by defineScorer, exact(), judge()...), got ${describe(scorer)}`,
        scorer,
      )
  })
  return value as Scorer<O>[]
}

function invalid(message: string, field: string, value: unknown): BatonError {
  return new BatonError('INVALID_DEFINITION', message, { details: { field, value } })
}
