import { KeyObject } from 'node:crypto'
import {
  type Agent,
  checkAgentTree,
  fillTemplate,
  isAgent,
  openPlaceholders,
  varsProblem,
} from '../agent/index.js'
import { checkBudgetLimits, pricesProblem } from '../budget/index.js'
import { windowsProblem } from '../context/windows.js'
import { BatonError } from '../errors/index.js'
import type { Task } from '../goal/index.js'
import { checkModelString } from '../model/model-string.js'
import { isModel } from '../model/types.js'
import { describe } from '../schema/index.js'
import { type KeyHints, unknownKey } from '../schema/known-keys.js'
import type { RunOptions } from './types.js'

const OPTION_KEYS = new Set([
  'record',
  'signal',
  'budget',
  'model',
  'prices',
  'contextWindows',
  'vars',
  'approve',
  'elicit',
  'clock',
  'deltas',
  'recordDeltas',
  'sign',
  'effects',
  'tracer',
  'traceContent',
  'meter',
])
// Given by replays, the CLI and durable workers only (`streamRun`).
const INTERNAL_KEYS = new Set([...OPTION_KEYS, 'from', 'source', 'transcriptIo', 'ledger', 'delegations'])

// A budget limit given beside the options, or another framework's name for one.
const RUN_HINTS: KeyHints = {
  maxSteps: 'budget: { maxSteps }',
  maxTurns: 'budget: { maxSteps }',
  maxTokens: 'budget: { maxTokens }',
  maxCostUsd: 'budget: { maxCostUsd }',
  maxWallMs: 'budget: { maxWallMs }',
  timeout: 'budget: { maxWallMs }',
  timeoutMs: 'budget: { maxWallMs }',
  maxToolCalls: 'budget: { maxToolCalls }',
  maxDepth: 'budget: { maxDepth }',
  abortSignal: 'signal',
  transcript: 'record',
}

/** Checks what `run`/`stream` were given; throws a `BatonError` naming what is wrong. */
export function checkRun(
  agent: unknown,
  task: unknown,
  options: RunOptions,
  internal = false,
): asserts agent is Agent {
  if (!isAgent(agent))
    throw new BatonError(
      'INVALID_OPTIONS',
      `run: expected an agent made by defineAgent, got ${describe(agent)}`,
    )
  checkAgentTree(agent)
  checkTask(task)
  if (typeof options !== 'object' || options === null)
    throw new BatonError('INVALID_OPTIONS', `run: options must be an object, got ${describe(options)}`)
  const bad = (field: string, expected: string, value: unknown): never => {
    throw new BatonError(
      'INVALID_OPTIONS',
      `run: options.${field} must be ${expected}, got ${describe(value)}`,
      { details: { field } },
    )
  }
  // The internal keys are never listed: they are not the caller's to give.
  const known = internal ? INTERNAL_KEYS : OPTION_KEYS
  const unknown = unknownKey(Object.keys(options), known, 'run option', RUN_HINTS, OPTION_KEYS)
  if (unknown)
    throw new BatonError('INVALID_OPTIONS', `run: options.${unknown.key} ${unknown.problem}`, {
      details: { field: unknown.key },
    })
  if (options.record !== undefined && (typeof options.record !== 'string' || options.record === ''))
    bad('record', 'a file path', options.record)
  if (options.sign !== undefined) {
    if (typeof options.sign !== 'string' && !(options.sign instanceof KeyObject))
      bad('sign', 'an Ed25519 private key: a KeyObject, PEM text or the path of a PEM file', options.sign)
    if (options.record === undefined && (options as { transcriptIo?: unknown }).transcriptIo === undefined)
      throw new BatonError(
        'INVALID_OPTIONS',
        'run: options.sign signs the transcript, but there is none: give record too',
        {
          details: { field: 'sign' },
        },
      )
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    bad('signal', 'an AbortSignal', options.signal)
  for (const flag of ['deltas', 'recordDeltas', 'traceContent'] as const)
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean')
      bad(flag, 'true or false', options[flag])
  if (
    options.tracer !== undefined &&
    (typeof options.tracer !== 'object' ||
      options.tracer === null ||
      typeof (options.tracer as { startSpan?: unknown }).startSpan !== 'function')
  )
    bad('tracer', 'an OpenTelemetry Tracer (trace.getTracer(...) from @opentelemetry/api)', options.tracer)
  if (
    options.meter !== undefined &&
    (typeof options.meter !== 'object' ||
      options.meter === null ||
      typeof (options.meter as { createHistogram?: unknown }).createHistogram !== 'function')
  )
    bad('meter', 'an OpenTelemetry Meter (metrics.getMeter(...) from @opentelemetry/api)', options.meter)
  if (options.clock !== undefined && !isClock(options.clock))
    bad('clock', 'a Clock { now(), setTimeout(fn, ms) } (fakeClock() from baton/testing, say)', options.clock)
  if (options.effects !== undefined) {
    const effects = options.effects as unknown as Record<string, unknown>
    if (
      typeof effects !== 'object' ||
      effects === null ||
      effects.spec !== 'baton.effects.v3' ||
      !isClock(effects.clock) ||
      ['model', 'tool', 'id', 'decision'].some((method) => typeof effects[method] !== 'function')
    )
      bad(
        'effects',
        'an Effects object: spec "baton.effects.v3", a clock, and model, tool, id and decision',
        effects,
      )
  }
  if (options.approve !== undefined && typeof options.approve !== 'function')
    bad('approve', 'a function', options.approve)
  if (options.elicit !== undefined && typeof options.elicit !== 'function')
    bad('elicit', 'a function', options.elicit)
  if (
    options.vars !== undefined &&
    (typeof options.vars !== 'object' || options.vars === null || Array.isArray(options.vars))
  )
    bad('vars', 'an object', options.vars)
  if (options.vars !== undefined) {
    const wrong = varsProblem(options.vars)
    if (wrong)
      throw new BatonError('INVALID_OPTIONS', `run: options.vars.${wrong.name} ${wrong.problem}`, {
        details: { field: `vars.${wrong.name}` },
      })
  }
  if (options.model !== undefined) {
    if (typeof options.model === 'string') {
      const problem = checkModelString(options.model)
      if (problem)
        throw new BatonError('INVALID_OPTIONS', `run: options.model: ${problem}`, {
          details: { field: 'model' },
        })
    } else if (!isModel(options.model)) bad('model', 'a model string or a Model', options.model)
  }
  if (options.prices !== undefined) {
    const wrong = pricesProblem(options.prices)
    if (wrong)
      throw new BatonError('INVALID_OPTIONS', `run: options.${wrong.field} ${wrong.problem}`, {
        details: { field: wrong.field },
      })
  }
  if (options.contextWindows !== undefined) {
    const wrong = windowsProblem(options.contextWindows)
    if (wrong)
      throw new BatonError('INVALID_OPTIONS', `run: options.contextWindows ${wrong}`, {
        details: { field: 'contextWindows' },
      })
  }
  checkBudgetLimits(options.budget, 'run: options.budget', 'INVALID_OPTIONS')
  for (const each of agentsOf(agent)) {
    if (each.placeholders.length === 0) continue
    const open = openPlaceholders(fillTemplate(each.instructions, options.vars ?? {}))
    if (open.length) {
      throw new BatonError(
        'INVALID_OPTIONS',
        `agent "${each.name}": instructions use ${open.map((name) => `{{${name}}}`).join(', ')} but no value was given (pass vars to defineAgent or to run)`,
      )
    }
  }
}

/** A task is a string or a JSON object. */
export function checkTask(task: unknown): asserts task is Task {
  if (typeof task === 'string') {
    if (task.trim() === '')
      throw new BatonError('INVALID_TASK', 'run: the task is an empty string; say what the agent should do')
    return
  }
  const plain =
    typeof task === 'object' &&
    task !== null &&
    !Array.isArray(task) &&
    [Object.prototype, null].includes(Object.getPrototypeOf(task))
  if (!plain) {
    throw new BatonError(
      'INVALID_TASK',
      `run: the task must be a string or a JSON object, got ${describe(task)}`,
    )
  }
  try {
    JSON.stringify(task)
  } catch (error) {
    throw new BatonError(
      'INVALID_TASK',
      `run: the task object cannot be serialized as JSON: ${(error as Error).message}`,
    )
  }
}

/** Every distinct agent in the tree, root first. */
export function agentsOf(root: Agent): Agent[] {
  const seen = new Set<Agent>()
  const visit = (agent: Agent): void => {
    if (seen.has(agent)) return
    seen.add(agent)
    for (const child of agent.agents) visit(child)
  }
  visit(root)
  return [...seen]
}

function isClock(value: unknown): boolean {
  const clock = value as { now?: unknown; setTimeout?: unknown } | null
  return (
    typeof clock === 'object' &&
    clock !== null &&
    typeof clock.now === 'function' &&
    typeof clock.setTimeout === 'function'
  )
}
