/**
 * The checks of `defineAgent`'s options that stand alone: lists without holes, nested option
 * objects, memory scopes, stop conditions, stall settings, plan mode, and the `memory_read`
 * name that compaction needs. Each reports through `fail`, naming the field and the value.
 */

import type { MemoryScope } from '../memory/index.js'
import { describe } from '../schema/index.js'
import { unknownKey } from '../schema/known-keys.js'
import { isTool, type Tool, type ToolSet } from '../tool/index.js'
import { isMemoryTool } from '../tool/memory-tools.js'
import type { AgentConfig } from './define-agent.js'
import { PLAN_TOOL_NAME, type PlanMode } from './plan-tool.js'
import type { StopWhen } from './stop-when.js'
import type { Agent, StallOptions } from './types.js'

const MEMORY_READ = 'memory_read'

/** The most plans plan mode (or a workflow) makes after the first. */
export const MAX_REPLANS = 1_000_000

/** Reports a bad option: the field, what is wrong, and the value; never returns. */
export type Fail = (field: string, message: string, value?: unknown) => never

/**
 * An agent whose context policy stubs old tool results reads them back with Baton's own
 * `memory_read`: a tool of the user's with that name would take its place without a word.
 */
export function checkMemoryReadFree(given: readonly (Tool | ToolSet)[], fail: Fail): void {
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
export function checkPlanMode(
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

export function listOf<T>(
  value: unknown,
  field: string,
  is: (v: unknown) => v is T,
  what: string,
  fail: Fail,
): T[] {
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

export function checkScope(scope: MemoryScope | undefined, fail: Fail): MemoryScope | undefined {
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

export function checkStopWhen(stopWhen: StopWhen | StopWhen[] | undefined, fail: Fail): StopWhen[] {
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

export function checkStall(
  stall: StallOptions | false | undefined,
  fail: Fail,
): Required<StallOptions> | false {
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
