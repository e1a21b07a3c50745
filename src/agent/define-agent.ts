/**
 * @module agent
 * Agents are plain values. Everything that can be checked is checked here, at definition
 * time, with a message that names the field and the value.
 */
import { type BudgetLimits, checkBudgetLimits, type PriceTable, pricesProblem } from '../budget/index.js'
import { type ContextOptions, type ContextPolicyFn, checkContext } from '../context/policy.js'
import { BatonError } from '../errors/index.js'
import { type GoalCheck, isScorer } from '../goal/index.js'
import type { MemoryScope } from '../memory/index.js'
import { checkModelString } from '../model/model-string.js'
import { isModel, type Model } from '../model/types.js'
import { describe, type InferSchema, type SchemaInput, toObjectSchema, toSchema } from '../schema/index.js'
import { type KeyHints, unknownKey } from '../schema/known-keys.js'
import { isTool, isToolSet, type Tool, type ToolSet } from '../tool/index.js'
import { isMemoryTool } from '../tool/memory-tools.js'
import { loadInstructions, openPlaceholders, varsProblem } from './instructions.js'
import { PLAN_TOOL_NAME, type PlanMode } from './plan-tool.js'
import { checkAgentTree, delegationToolName, prepareAgent } from './prepare-agent.js'
import type { StopWhen } from './stop-when.js'
import type { Agent, StallOptions } from './types.js'

const MEMORY_READ = 'memory_read'

export const AGENT_NAME = /^[A-Za-z0-9_-]{1,55}$/

/** What one model call asks for when the agent does not say (the budget may clip it lower). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096

export interface AgentConfig<S extends SchemaInput | undefined = undefined> {
  /** Letters, digits, `_` and `-`. Sub-agents are offered to their parent as `delegate_<name>`. */
  name: string
  /** What this agent is good for. Required for sub-agents: the parent's model reads it. */
  description?: string
  /** Inline text, or a prompt file path such as `prompts/lead.md`, with `{{var}}` placeholders. */
  instructions: string | URL
  /** Values for `{{var}}` placeholders in the instructions. */
  vars?: Record<string, unknown>
  /** A `Model`, or a model string: `openai:<model>`, `anthropic:<model>`, `compatible:<model>`. */
  model: Model | string
  /**
   * Tools made by `defineTool`, and live tool sets (what `mcpTools` returns): the model is offered
   * a set's tools as they are at each step, after the agent's own tools.
   */
  tools?: (Tool | ToolSet)[]
  /** Sub-agents this agent may delegate to. */
  agents?: Agent[]
  /** A typed task (for the root task and for delegations to this agent). Must describe an object. */
  input?: SchemaInput
  /** The final answer is parsed as JSON and validated against this schema. */
  output?: S
  /** Checks the final answer; a string result is feedback and the loop goes on. */
  goal?: GoalCheck<Output<S>> | GoalCheck<Output<S>>[]
  budget?: BudgetLimits
  /**
   * Prices (USD per million tokens) of the models this agent and its sub-agents use, e.g.
   * `{ 'compatible:llama3.1': { input: 0.2, output: 0.6 } }`. The `prices` run option wins over
   * them for the same entry; a sub-agent's own prices win over its parent's.
   */
  prices?: PriceTable
  /** Memory key globs this agent may read and write (default: all). */
  memory?: MemoryScope
  /** The most output tokens one model call asks for (default 4096; the budget may clip it lower). */
  maxOutputTokens?: number
  /** How many tool calls of one response run at once. Default 16. */
  toolConcurrency?: number
  /** Stall detection; `false` turns it off. */
  stall?: StallOptions | false
  /** Final answers that fail the goal check before the run ends as `goal_failed`. Default 3. */
  maxGoalAttempts?: number
  /**
   * Ends the loop early after a step, e.g. `stepCountIs(5)` or `hasToolCall('submit')`: the
   * agent ends `done` with that step's text, without a goal check. See `StopWhen`.
   */
  stopWhen?: StopWhen | StopWhen[]
  /**
   * Plan mode: instead of one call at a time, the model plans a graph of calls to the tools and
   * sub-agents (`plan` tool), which run as soon as their inputs are ready; it then sees every
   * result and answers or plans again. `true` allows 2 plans after the first; or
   * `{ maxReplans }`.
   */
  plan?: boolean | { maxReplans?: number }
  /**
   * Context that fits: before a model call whose request would pass a share of the model's
   * window (or a number of tokens), the history is compacted. Old tool results become stubs
   * naming the memory key that keeps them, then older turns are summarised by a model call; a
   * provider's "context length exceeded" compacts and retries once. `true` for the defaults,
   * options, or your own function over the history. Off by default. See docs/context.md.
   */
  context?: boolean | ContextOptions | ContextPolicyFn
}

/** The most tool calls of one response that run at once. */
export const MAX_TOOL_CONCURRENCY = 10_000
/** The most plans plan mode (or a workflow) makes after the first. */
export const MAX_REPLANS = 1_000_000

/** The largest value each numeric option takes. */
const MAX_OPTION = {
  maxOutputTokens: 2_147_483_647,
  toolConcurrency: MAX_TOOL_CONCURRENCY,
  maxGoalAttempts: 1_000,
} as const

type Output<S> = S extends SchemaInput ? InferSchema<S> : string

const KNOWN_KEYS = new Set([
  'name',
  'description',
  'instructions',
  'vars',
  'model',
  'tools',
  'agents',
  'input',
  'output',
  'goal',
  'budget',
  'prices',
  'memory',
  'maxOutputTokens',
  'toolConcurrency',
  'stall',
  'maxGoalAttempts',
  'stopWhen',
  'plan',
  'context',
])

// Other frameworks' names for Baton's agent options.
const AGENT_HINTS: KeyHints = {
  system: 'instructions',
  systemPrompt: 'instructions',
  prompt: 'instructions',
  maxTurns: 'budget: { maxSteps }',
  maxSteps: 'budget: { maxSteps }',
  maxIterations: 'budget: { maxSteps }',
  handoffs: 'agents',
  subAgents: 'agents',
  subagents: 'agents',
  inputSchema: 'input',
  outputType: 'output',
  outputSchema: 'output',
  maxTokens: 'maxOutputTokens',
}

/**
 * Defines an agent.
 *
 * @example
 * const researcher = defineAgent({
 *   name: 'researcher',
 *   description: 'Finds facts on the web',
 *   instructions: 'prompts/researcher.md',
 *   model: 'openai:gpt-4o-mini',
 *   tools: [httpFetch()],
 *   budget: { maxSteps: 10 },
 * })
 */
export function defineAgent<S extends SchemaInput | undefined = undefined>(
  config: AgentConfig<S>,
): Agent<Output<S>> {
  if (typeof config !== 'object' || config === null) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `defineAgent: expected an agent definition object, got ${describe(config)}`,
    )
  }
  const { name } = config
  if (typeof name !== 'string' || !AGENT_NAME.test(name)) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `agent name must be 1-55 letters, digits, "_" or "-", got ${typeof name === 'string' ? JSON.stringify(name) : describe(name)}`,
      { details: { field: 'name', value: name } },
    )
  }
  const where = `agent "${name}"`
  const fail = (field: string, message: string, value?: unknown): never => {
    throw new BatonError('INVALID_DEFINITION', `${where}: ${field} ${message}`, {
      details: { agent: name, field, value },
    })
  }
  const unknown = unknownKey(Object.keys(config), KNOWN_KEYS, 'agent option', AGENT_HINTS)
  if (unknown) fail(unknown.key, unknown.problem)

  if (config.description !== undefined && typeof config.description !== 'string')
    fail('description', `must be a string, got ${describe(config.description)}`)
  if (typeof config.instructions !== 'string' && !(config.instructions instanceof URL)) {
    fail('instructions', `must be a string or a prompt file path, got ${describe(config.instructions)}`)
  }
  if (config.model === undefined || config.model === null) {
    fail('model', 'is required: a Model object or a model string such as "openai:gpt-4o"')
  } else if (typeof config.model === 'string') {
    const problem = checkModelString(config.model)
    if (problem) fail('model', problem, config.model)
  } else if (!isModel(config.model)) {
    fail('model', `must be a model string or a Model (spec "baton.model.v1"), got ${describe(config.model)}`)
  }

  const given = listOf(
    config.tools,
    'tools',
    (v): v is Tool | ToolSet => isTool(v) || isToolSet(v),
    'a tool made by defineTool or a tool set (e.g. what mcpTools returns)',
    fail,
  )
  const tools = given.filter(isTool)
  const toolSets = given.filter(isToolSet)
  const agents = listOf(config.agents, 'agents', isAgent, 'an agent made by defineAgent', fail)
  const seen = new Map<string, string>()
  const named = (tool: Tool, field: string) => {
    const before = seen.get(tool.name)
    if (before)
      fail(
        field,
        `has the name "${tool.name}", which ${before} already uses (tool names must be unique)`,
        tool.name,
      )
    seen.set(tool.name, field)
  }
  given.forEach((item, i) => {
    if (isTool(item)) named(item, `tools[${i}]`)
  })
  // A set's tools as they are now (a later change that clashes leaves the newcomer out).
  given.forEach((item, i) => {
    if (!isToolSet(item)) return
    for (const tool of item.tools) named(tool, `tools[${i}] (a tool set: "${tool.name}")`)
  })
  agents.forEach((agent, i) => {
    if (!agent.description.trim())
      fail(
        `agents[${i}]`,
        `("${agent.name}") needs a description: the planning model chooses sub-agents by it`,
      )
    for (const taken of [agent.name, delegationToolName(agent.name)]) {
      const before = seen.get(taken)
      if (before)
        fail(
          `agents[${i}]`,
          `("${agent.name}") clashes with ${before}: the name "${taken}" is already taken`,
          agent.name,
        )
    }
    seen.set(agent.name, `agents[${i}]`)
    seen.set(delegationToolName(agent.name), `agents[${i}]`)
  })

  const goal = config.goal === undefined ? [] : Array.isArray(config.goal) ? config.goal : [config.goal]
  checkNoHoles(goal, 'goal', fail)
  goal.forEach((check, i) => {
    if (typeof check !== 'function' && !isScorer(check))
      fail(`goal[${i}]`, `must be a function or a scorer, got ${describe(check)}`)
  })
  const positive = (field: 'maxOutputTokens' | 'toolConcurrency' | 'maxGoalAttempts'): number | undefined => {
    const value = config[field]
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 1)) {
      fail(field, `must be a positive integer, got ${describe(value)}`, value)
    }
    if (value !== undefined && value > MAX_OPTION[field])
      fail(field, `must be a whole number from 1 to ${MAX_OPTION[field]}, got ${describe(value)}`, value)
    return value
  }

  if (config.prices !== undefined) {
    const wrong = pricesProblem(config.prices)
    if (wrong) fail(wrong.field, wrong.problem, config.prices)
  }

  const { vars } = config
  if (vars !== undefined && (typeof vars !== 'object' || vars === null || Array.isArray(vars)))
    fail('vars', `must be an object of values for the instructions' {{placeholders}}, got ${describe(vars)}`)
  if (vars !== undefined) {
    const wrong = varsProblem(vars)
    if (wrong) fail(`vars.${wrong.name}`, wrong.problem)
  }
  const instructions = loadInstructions(config.instructions, vars, `${where}: instructions`)
  const agent: Agent<Output<S>> = {
    kind: 'baton.agent',
    name,
    description: config.description ?? '',
    instructions,
    placeholders: openPlaceholders(instructions),
    model: config.model,
    tools,
    ...(toolSets.length ? { toolSets } : {}),
    agents,
    input: config.input === undefined ? undefined : toObjectSchema(config.input, `${where}: input`),
    output: (config.output === undefined ? undefined : toSchema(config.output, `${where}: output`)) as Agent<
      Output<S>
    >['output'],
    goal: goal as unknown as GoalCheck[],
    budget: checkBudgetLimits(config.budget, `${where}: budget`),
    prices: config.prices === undefined ? undefined : frozenPrices(config.prices),
    memory: checkScope(config.memory, fail),
    maxOutputTokens: positive('maxOutputTokens') ?? DEFAULT_MAX_OUTPUT_TOKENS,
    toolConcurrency: positive('toolConcurrency') ?? 16,
    stall: checkStall(config.stall, fail),
    maxGoalAttempts: positive('maxGoalAttempts') ?? 3,
    stopWhen: checkStopWhen(config.stopWhen, fail),
    plan: checkPlanMode(config.plan, [...tools, ...toolSets.flatMap((set) => set.tools)], agents, fail),
    context: checkContext(config.context, fail),
  }
  if (agent.context?.stub) checkMemoryReadFree(given, fail)
  checkAgentTree(agent)
  // Tool table, specs and their hash are computed now, once per definition, not in the first run.
  prepareAgent(agent)
  return agent
}

/**
 * An agent whose context policy stubs old tool results reads them back with Baton's own
 * `memory_read`: a tool of the user's with that name would take its place without a word.
 */
function checkMemoryReadFree(given: readonly (Tool | ToolSet)[], fail: Fail): void {
  given.forEach((item, i) => {
    const list = isTool(item) ? [item] : item.tools
    for (const tool of list)
      if (tool.name === MEMORY_READ && !isMemoryTool(tool))
        fail(
          isTool(item) ? `tools[${i}]` : `tools[${i}] (a tool set: "${tool.name}")`,
          `is named "${MEMORY_READ}", the name of the memory tool that context compaction adds to read stubbed results back; rename it (or pass memoryTools() for Baton's own)`,
          tool.name,
        )
  })
}

/** Plan mode's settings, or undefined when off; it needs something to plan calls to. */
function checkPlanMode(
  value: AgentConfig['plan'],
  tools: readonly Tool[],
  agents: readonly Agent[],
  fail: Fail,
): PlanMode | undefined {
  if (value === undefined || value === false) return undefined
  let maxReplans = 2
  if (value !== true) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail('plan', `must be true, false or { maxReplans }, got ${describe(value)}`, value)
    for (const key of Object.keys(value))
      if (key !== 'maxReplans') fail(`plan.${key}`, 'is not a plan option (known: maxReplans)')
    if (value.maxReplans !== undefined) {
      if (
        typeof value.maxReplans !== 'number' ||
        !Number.isInteger(value.maxReplans) ||
        value.maxReplans < 0 ||
        value.maxReplans > MAX_REPLANS
      )
        fail(
          'plan.maxReplans',
          `must be a whole number of 0 or more (at most ${MAX_REPLANS}), got ${describe(value.maxReplans)}`,
          value.maxReplans,
        )
      maxReplans = value.maxReplans
    }
  }
  if (tools.length === 0 && agents.length === 0)
    fail('plan', 'needs tools or sub-agents to plan calls to; this agent has neither')
  const taken = tools.findIndex((tool) => tool.name === PLAN_TOOL_NAME)
  if (taken !== -1)
    fail(`tools[${taken}]`, `is named "${PLAN_TOOL_NAME}", the name of plan mode's own tool; rename it`)
  return { maxReplans }
}

export function isAgent(value: unknown): value is Agent {
  return typeof value === 'object' && value !== null && (value as Agent).kind === 'baton.agent'
}

type Fail = (field: string, message: string, value?: unknown) => never

function listOf<T>(value: unknown, field: string, is: (v: unknown) => v is T, what: string, fail: Fail): T[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) return fail(field, `must be an array, got ${describe(value)}`)
  checkNoHoles(value, field, fail)
  value.forEach((item, i) => {
    if (!is(item)) fail(`${field}[${i}]`, `must be ${what}, got ${describe(item)}`)
  })
  return [...value]
}

/** Refuses a sparse array (`[a, , b]`): `forEach` and its kin skip the hole without a word. */
export function checkNoHoles(list: readonly unknown[], field: string, fail: Fail): void {
  for (let i = 0; i < list.length; i++)
    if (!(i in list))
      fail(`${field}[${i}]`, 'is a hole in the array (an empty slot); remove it or give a value')
}

// A copy: the table the caller keeps cannot change the agent's prices after it is defined.
function frozenPrices(prices: PriceTable): PriceTable {
  const copy: PriceTable = {}
  for (const [model, price] of Object.entries(prices)) copy[model] = Object.freeze({ ...price })
  return Object.freeze(copy)
}

/** Refuses a nested option object that is not one, or has a key it does not know. */
function checkNested(
  value: unknown,
  field: string,
  known: ReadonlySet<string>,
  shape: string,
  fail: Fail,
): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(field, `must be ${shape}, got ${describe(value)}`)
  const unknown = unknownKey(Object.keys(value as object), known, `${field} option`)
  if (unknown) fail(`${field}.${unknown.key}`, unknown.problem)
}

function checkScope(scope: MemoryScope | undefined, fail: Fail): MemoryScope | undefined {
  if (scope === undefined) return undefined
  checkNested(scope, 'memory', new Set(['read', 'write']), '{ read?: [globs], write?: [globs] }', fail)
  for (const field of ['read', 'write'] as const) {
    const globs = scope[field]
    if (Array.isArray(globs)) checkNoHoles(globs, `memory.${field}`, fail)
    if (globs !== undefined && (!Array.isArray(globs) || globs.some((glob) => typeof glob !== 'string'))) {
      fail(`memory.${field}`, `must be an array of key globs, got ${JSON.stringify(globs)}`)
    }
  }
  return scope
}

function checkStopWhen(stopWhen: StopWhen | StopWhen[] | undefined, fail: Fail): StopWhen[] {
  if (stopWhen === undefined) return []
  const list = Array.isArray(stopWhen) ? stopWhen : [stopWhen]
  checkNoHoles(list, 'stopWhen', fail)
  list.forEach((condition, i) => {
    if (typeof condition !== 'function')
      fail(
        Array.isArray(stopWhen) ? `stopWhen[${i}]` : 'stopWhen',
        `must be a function, got ${describe(condition)}`,
      )
  })
  return list
}

function checkStall(stall: StallOptions | false | undefined, fail: Fail): Required<StallOptions> | false {
  if (stall === false) return false
  if (stall !== undefined)
    checkNested(
      stall,
      'stall',
      new Set(['maxRepeats', 'maxIdleSteps', 'warn']),
      'false or { maxRepeats?, maxIdleSteps?, warn? }',
      fail,
    )
  const out = { maxRepeats: 3, maxIdleSteps: 5, warn: true, ...stall }
  for (const field of ['maxRepeats', 'maxIdleSteps'] as const) {
    if (!Number.isInteger(out[field]) || out[field] < 1)
      fail(`stall.${field}`, `must be a positive integer, got ${describe(out[field])}`)
    if (out[field] > 1_000_000)
      fail(`stall.${field}`, `must be a whole number from 1 to 1000000, got ${describe(out[field])}`)
  }
  if (typeof out.warn !== 'boolean') fail('stall.warn', `must be true or false, got ${describe(out.warn)}`)
  return out
}
