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
import {
  checkMemoryReadFree,
  checkNoHoles,
  checkPlanMode,
  checkScope,
  checkStall,
  checkStopWhen,
  listOf,
  MAX_REPLANS,
} from './check-config.js'
import { loadInstructions, openPlaceholders, varsProblem } from './instructions.js'
import { checkAgentTree, delegationToolName, prepareAgent } from './prepare-agent.js'
import type { StopWhen } from './stop-when.js'
import type { Agent, StallOptions } from './types.js'

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

export { MAX_REPLANS }

/** The most tool calls of one response that run at once. */
export const MAX_TOOL_CONCURRENCY = 10_000

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

export function isAgent(value: unknown): value is Agent {
  return typeof value === 'object' && value !== null && (value as Agent).kind === 'baton.agent'
}

// A copy: the table the caller keeps cannot change the agent's prices after it is defined.
function frozenPrices(prices: PriceTable): PriceTable {
  const copy: PriceTable = {}
  for (const [model, price] of Object.entries(prices)) copy[model] = Object.freeze({ ...price })
  return Object.freeze(copy)
}
