import type { DelegationInput, DelegationTool } from '../agent/index.js'
import { thrownMessage, toErrorInfo } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import type { MemoryEntry } from '../memory/index.js'
import type { ToolCall } from '../model/types.js'
import { withFields } from '../objects.js'
import { copyPlain, type ValidationResult } from '../schema/index.js'
import { type ToolOutcome, toolFailure } from '../tool/index.js'
import { agentLoop } from './agent-loop.js'
import { createFrame, type Frame } from './frame.js'
import type { AgentOutcome } from './outcome.js'

/**
 * Runs a sub-agent for one delegation call, with scoped context: a fresh history (its
 * instructions, the brief, and only the memory entries handed over), its own tools, a budget
 * node under the parent's, and depth + 1. Its events go into the run's one stream.
 */
export async function delegate(
  frame: Frame,
  step: number,
  k: number,
  call: ToolCall,
  tool: DelegationTool,
  key: string,
): Promise<ToolOutcome> {
  const { run } = frame
  const { agent } = tool
  const depth = frame.budget.checkDelegation()
  if (depth) {
    return toolFailure(
      'MAX_DEPTH',
      `cannot delegate to "${agent.name}": maxDepth ${depth.max} at ${depth.at} does not allow another level of sub-agents`,
    )
  }
  if (call.argsText !== undefined) {
    return toolFailure(
      'INVALID_ARGUMENTS',
      `the arguments for tool "${tool.name}" are not valid JSON: ${JSON.stringify(call.argsText.slice(0, 200))}`,
    )
  }
  let parsed: ValidationResult<unknown>
  try {
    // A copy: the schema's transforms cannot change the arguments as recorded.
    parsed = await tool.input.validate(copyPlain(call.args ?? {}))
  } catch (error) {
    return toolFailure(
      'TOOL_ERROR',
      `tool "${tool.name}": the input schema of agent "${agent.name}" threw while checking the arguments: ${thrownMessage(error)}`,
    )
  }
  if (!parsed.success)
    return toolFailure('INVALID_ARGUMENTS', `invalid arguments for tool "${tool.name}":`, parsed.issues)
  const input = parsed.data as DelegationInput
  const task = agent.input ? (parsed.data as Record<string, unknown>) : input.task
  const memoryKeys = agent.input ? undefined : input.memoryKeys

  const path = `${frame.path}/${step}/agent:${agent.name}#${k}`
  // Only entries that exist, that the parent may read and the sub-agent too (its own scope
  // holds for what it is handed) can be handed over.
  const handed: MemoryEntry[] = []
  if (memoryKeys?.length) {
    const view = run.memory.scoped(frame.agent.memory, frame.path, () => key, noWrite)
    const childView = run.memory.scoped(agent.memory, path, () => key, noWrite)
    for (const memoryKey of memoryKeys) {
      let entry: MemoryEntry | undefined
      try {
        entry = view.entry(memoryKey)
      } catch (error) {
        return toolFailure('MEMORY_SCOPE', toErrorInfo(error).message)
      }
      try {
        if (entry) childView.entry(memoryKey)
      } catch (error) {
        return toolFailure(
          'MEMORY_SCOPE',
          `cannot hand memory key "${memoryKey}" to sub-agent "${agent.name}", which may not read it: ${toErrorInfo(error).message}`,
        )
      }
      if (!entry) {
        const known = view.list().map((e) => e.key)
        return toolFailure(
          'MEMORY_KEY_NOT_FOUND',
          `memory key "${memoryKey}" does not exist${known.length ? `; existing keys: ${known.join(', ')}` : ' (memory is empty)'}`,
        )
      }
      handed.push(entry)
    }
  }

  const n = run.nextDelegation(agent.name)
  // A decision of the run: a replay keeps the key the recording used (concurrent delegations
  // may number differently).
  const resultKey = await run.effects.decision('delegation-key', key, () => `agents/${agent.name}/${n}`)
  const budget = frame.budget.child(path, agent.budget, run.clock.now())
  const request = { key, path, agent, task, memoryKeys, handed, budget }
  const elsewhere = run.delegations && (await frame.race(run.delegations.run(request, frame)))
  let outcome: AgentOutcome
  if (elsewhere) {
    // It ran on another worker: its events join the run's stream, its writes the run's memory,
    // and what it spent (charged to the shared ledger there) the budget nodes here.
    for (const { seq: _, t: __, ...event } of elsewhere.events) {
      if (event.type === 'memory.write') run.memory.set(event.key, event.value, event.by, event.path)
      run.emit(event as BatonEvent)
    }
    if (run.ledger) await run.ledger.refresh(budget)
    outcome = elsewhere.outcome
  } else outcome = await agentLoop(createFrame(run, agent, path, budget, frame, task, memoryKeys), handed)
  if (outcome.status === 'done') {
    // An output schema's transform may make what JSON cannot carry: the parent could not read
    // it, nor a transcript keep it, so it is a failure of the call and nothing is written.
    const content = typeof outcome.output === 'string' ? outcome.output : jsonOf(outcome.output)
    if (content === undefined)
      return toolFailure(
        'INVALID_OUTPUT',
        `the output of sub-agent "${agent.name}" cannot be sent as JSON: ${notJson(outcome.output)} (check the transforms of its output schema)`,
      )
    const entry = run.memory.set(resultKey, outcome.output, path, key)
    run.emit({ type: 'memory.write', path: key, key: entry.key, value: entry.value, by: entry.by })
    return { ok: true, value: outcome.output, content, truncated: false }
  }
  const failure = toolFailure(
    'SUB_AGENT_FAILED',
    `sub-agent "${agent.name}" stopped with status ${outcome.status} (${outcome.stopReason})${outcome.error ? `: ${outcome.error.message}` : ''}`,
  )
  return outcome.pending ? withFields(failure, { pending: outcome.pending }) : failure
}

const noWrite = (): void => {}

/** `value` as JSON, or undefined when JSON cannot carry it. */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}

/** What keeps `value` from being JSON (undefined, a function, a BigInt, a cycle), said for a message. */
function notJson(value: unknown): string {
  const seen = new Set<object>()
  const walk = (v: unknown, at: string): string | undefined => {
    if (typeof v === 'bigint') return `it holds a BigInt at ${at}`
    if (typeof v !== 'object' || v === null) return undefined
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return undefined
    if (seen.has(v)) return `it refers to itself at ${at}`
    seen.add(v)
    const items: [string, unknown][] = Array.isArray(v)
      ? v.map((item, i) => [`${at}[${i}]`, item])
      : Object.entries(v).map(([k, item]) => [`${at}.${k}`, item])
    for (const [where, item] of items) {
      const problem = walk(item, where)
      if (problem) return problem
    }
    seen.delete(v)
    return undefined
  }
  if (value === undefined) return 'it is undefined'
  if (typeof value === 'function' || typeof value === 'symbol') return `it is a ${typeof value}`
  try {
    return walk(value, '(root)') ?? 'it is not JSON'
  } catch {
    return 'it nests too deep'
  }
}

/** The first user message of an agent: the task, and any memory entries handed to it. */
export function briefOf(task: unknown, handed: readonly MemoryEntry[]): string {
  const text = typeof task === 'string' ? task : JSON.stringify(task, null, 2)
  if (!handed.length) return text
  const entries = handed.map((entry) => {
    const value = typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value, null, 2)
    return `[${entry.key}] (written by ${entry.by})\n${value}`
  })
  return `${text}\n\nShared memory handed to you:\n\n${entries.join('\n\n')}`
}
