/**
 * @module tool
 * Typed tools. The input schema may be zod 4, zod 3 or JSON Schema; model-produced arguments
 * are validated before `run`, and every failure goes back to the model as a tool error result.
 */
import { BatonError } from '../errors/index.js'
import { describe, type InferSchema, type SchemaInput, toObjectSchema, toSchema } from '../schema/index.js'
import { type KeyHints, unknownKey } from '../schema/known-keys.js'
import type { Tool, ToolContext, ToolSet } from './types.js'

export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/
const DEFAULT_MAX_RESULT_CHARS = 20_000

export interface ToolConfig<S extends SchemaInput, O> {
  /** Letters, digits, `_` and `-`, at most 64 characters (what every provider accepts). */
  name: string
  /** What the tool does and when to use it: the model reads this. */
  description: string
  /** The arguments: a zod 4 or zod 3 object schema, or a JSON Schema object. */
  input: S
  /** Optional schema the result is checked against. */
  output?: SchemaInput<O>
  run(input: InferSchema<S>, ctx: ToolContext): O | Promise<O>
  /** The call fails with a tool error (the run goes on) after this many milliseconds. */
  timeoutMs?: number
  /** Ask the run's `approve` hook before each call (or decide per call). */
  needsApproval?: boolean | ((input: InferSchema<S>, ctx: ToolContext) => boolean | Promise<boolean>)
  /** Longer results are truncated for the model (with a note) and kept whole in memory. Default 20,000. */
  maxResultChars?: number
  /**
   * Whether running the tool twice with the same arguments does no more than running it once
   * (a lookup, a read; not a payment or an email). Default false. A durable run whose worker
   * died during a call runs an idempotent tool again; any other tool's call is reported to the
   * model as interrupted (it may or may not have happened), and the model decides.
   */
  idempotent?: boolean
}

const TOOL_KEYS: ReadonlySet<string> = new Set([
  'name',
  'description',
  'input',
  'output',
  'run',
  'timeoutMs',
  'needsApproval',
  'maxResultChars',
  'idempotent',
])

// Other frameworks' names for Baton's tool options.
const TOOL_HINTS: KeyHints = {
  execute: 'run',
  handler: 'run',
  invoke: 'run',
  func: 'run',
  parameters: 'input',
  inputSchema: 'input',
  schema: 'input',
  args: 'input',
  argsSchema: 'input',
  outputSchema: 'output',
  timeout: 'timeoutMs',
  requiresApproval: 'needsApproval',
  requireApproval: 'needsApproval',
  needApproval: 'needsApproval',
  maxChars: 'maxResultChars',
}

/**
 * Defines a tool.
 *
 * @example
 * const add = defineTool({
 *   name: 'add',
 *   description: 'Adds two numbers',
 *   input: z.object({ a: z.number(), b: z.number() }),
 *   run: ({ a, b }) => a + b,
 * })
 */
export function defineTool<S extends SchemaInput, O = unknown>(
  config: ToolConfig<S, O>,
): Tool<InferSchema<S>, O> {
  if (typeof config !== 'object' || config === null) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `defineTool: expected a tool definition object, got ${describe(config)}`,
    )
  }
  const { name } = config
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `tool name must be 1-64 letters, digits, "_" or "-", got ${typeof name === 'string' ? JSON.stringify(name) : describe(name)}`,
      { details: { field: 'name', value: name } },
    )
  }
  const where = `tool "${name}"`
  const unknown = unknownKey(Object.keys(config), TOOL_KEYS, 'tool option', TOOL_HINTS)
  if (unknown)
    throw new BatonError('INVALID_DEFINITION', `${where}: ${unknown.key} ${unknown.problem}`, {
      details: { tool: name, field: unknown.key },
    })
  if (typeof config.description !== 'string' || config.description.trim() === '') {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: description must be a non-empty string, got ${describe(config.description)}`,
    )
  }
  if (typeof config.run !== 'function') {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: run must be a function, got ${describe(config.run)}`,
    )
  }
  checkWhole(
    config.timeoutMs,
    `${where}: timeoutMs`,
    MAX_TIMER_MS,
    ' (milliseconds; Node fires longer timers at once)',
  )
  checkWhole(config.maxResultChars, `${where}: maxResultChars`, Number.MAX_SAFE_INTEGER)
  const needsApproval = config.needsApproval ?? false
  if (typeof needsApproval !== 'boolean' && typeof needsApproval !== 'function') {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: needsApproval must be a boolean or a function, got ${describe(needsApproval)}`,
    )
  }
  if (config.idempotent !== undefined && typeof config.idempotent !== 'boolean') {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: idempotent must be true or false, got ${describe(config.idempotent)}`,
    )
  }
  const input = toObjectSchema(config.input, `${where}: input`)
  const output = config.output === undefined ? undefined : toSchema(config.output, `${where}: output`)
  return {
    kind: 'baton.tool',
    name,
    description: config.description,
    input: input as Tool<InferSchema<S>, O>['input'],
    output: output as Tool<InferSchema<S>, O>['output'],
    spec: { name, description: config.description, parameters: input.jsonSchema },
    timeoutMs: config.timeoutMs,
    needsApproval: needsApproval as Tool<InferSchema<S>, O>['needsApproval'],
    maxResultChars: config.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS,
    idempotent: config.idempotent ?? false,
    run: config.run as Tool<InferSchema<S>, O>['run'],
  }
}

export function isTool(value: unknown): value is Tool {
  return typeof value === 'object' && value !== null && (value as Tool).kind === 'baton.tool'
}

/** Whether a value is a live tool set (`ToolSet`, e.g. what `mcpTools` returns). */
export function isToolSet(value: unknown): value is ToolSet {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as ToolSet).kind === 'baton.toolset' &&
    Array.isArray((value as ToolSet).tools)
  )
}

/** The longest delay Node's timers take (2^31 - 1 ms): a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647

function checkWhole(value: unknown, where: string, max: number, unit = ''): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BatonError('INVALID_DEFINITION', `${where} must be a positive number, got ${describe(value)}`)
  }
  if (!Number.isInteger(value) || value > max)
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where} must be a whole number from 1 to ${max}${unit}, got ${describe(value)}`,
    )
}
