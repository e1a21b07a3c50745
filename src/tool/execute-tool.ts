import type { Effects, ToolAnswer } from '../effects/index.js'
import { BatonError, FatalToolError, thrownMessage } from '../errors/index.js'
import type { ToolCall } from '../model/types.js'
import { withFields } from '../objects.js'
import {
  copyPlain,
  formatPath,
  outputJsonProblem,
  prototypeKey,
  prototypeKeyProblem,
  type ValidationResult,
} from '../schema/index.js'
import { AwaitingInput } from './awaiting-input.js'
import { toolFailure } from './tool-errors.js'
import type { Tool, ToolContext, ToolOutcome } from './types.js'

/** Everything a tool call needs from the loop. */
export interface ToolRun {
  effects: Effects
  /** The context handed to the tool; its signal is the agent's. */
  ctx: ToolContext
  /**
   * The agent's race: settles as the work does, or rejects as soon as the agent stops. A tool that
   * ignores its signal is abandoned, not awaited.
   */
  agent: {
    race<T>(work: Promise<T>): Promise<T>
    /** The memory key for a truncated result's whole value; `resultMemoryKey` when absent. */
    resultKey?(toolName: string, callId: string, step: string): string
  }
  /**
   * Asked after validation when the tool needs approval: true runs the call, false refuses
   * it, undefined leaves it pending (the run stops as `awaiting_approval`).
   */
  approve?: (input: unknown, ctx: ToolContext) => Promise<boolean | undefined>
}

/**
 * Validates the arguments, runs the tool through the effects door under its timeout, checks
 * the result, and returns the outcome as data. Never throws: a `FatalToolError` comes back as
 * an outcome with `fatal: true` and the loop ends the run.
 */
export async function executeTool(tool: Tool, call: ToolCall, run: ToolRun): Promise<ToolOutcome> {
  if (call.argsText !== undefined) {
    return toolFailure(
      'INVALID_ARGUMENTS',
      `the arguments for tool "${tool.name}" are not valid JSON: ${JSON.stringify(call.argsText.slice(0, 200))}`,
    )
  }
  const refused = argumentsProblem(tool.name, call)
  if (refused) return refused
  // The schema checks a copy: a transform or a refinement cannot change the arguments as recorded.
  const verdict = checked(tool, 'input', 'the arguments', copyPlain(call.args ?? {}))
  const parsed = verdict instanceof Promise ? await verdict : verdict
  if ('ok' in parsed) return parsed
  if (!parsed.success) {
    return toolFailure('INVALID_ARGUMENTS', `invalid arguments for tool "${tool.name}":`, parsed.issues)
  }
  if (run.approve) {
    let decision: boolean | undefined
    try {
      decision = await run.approve(copyPlain(parsed.data), run.ctx)
    } catch (error) {
      if (error instanceof BatonError) return toolFailure(error.code, error.message)
      throw error
    }
    if (decision === undefined) {
      const pending = { path: run.ctx.step, callId: call.id, tool: tool.name, args: parsed.data }
      return withFields(
        toolFailure('AWAITING_APPROVAL', `the call to tool "${tool.name}" is waiting for approval`),
        { pending: [pending] },
      )
    }
    if (!decision)
      return toolFailure(
        'APPROVAL_DENIED',
        `the call to tool "${tool.name}" was not approved; do not retry it unchanged`,
      )
  }
  let value: unknown
  try {
    // The tool gets its own copy: what it changes in it is not what the transcript recorded.
    const answer = await runWithLimits(tool, parsed.data, copyPlain(parsed.data), run)
    // A replay hands back the recorded result: use it exactly as it was.
    if (answer.from === 'recording') return await replayed(answer, run.ctx)
    value = answer.value
  } catch (error) {
    if (error instanceof AwaitingInput) {
      const { request } = error
      const pending = {
        path: run.ctx.step,
        callId: call.id,
        tool: tool.name,
        args: parsed.data,
        elicitation: request,
      }
      return withFields(
        toolFailure(
          'AWAITING_APPROVAL',
          `the call to tool "${tool.name}" is waiting for input the MCP server ${request.server} asked for`,
        ),
        { pending: [pending] },
      )
    }
    if (run.ctx.signal.aborted && !(error instanceof FatalToolError)) {
      return toolFailure('ABORTED', `tool "${tool.name}" was stopped because the agent is stopping`)
    }
    return failureOf(tool, error)
  }
  if (tool.output) {
    const result = await checked(tool, 'output', 'its result', value)
    if ('ok' in result) return result
    if (!result.success) {
      return toolFailure(
        'INVALID_OUTPUT',
        `tool "${tool.name}" returned a result that does not match its output schema:`,
        result.issues,
      )
    }
    value = result.data
  }
  let content: string
  if (typeof value === 'string') content = value
  else if (value === undefined) content = '(no result)'
  else {
    const problem = outputJsonProblem(value)
    if (problem)
      return toolFailure(
        'INVALID_OUTPUT',
        `tool "${tool.name}" returned a result that cannot be sent as JSON: ${problem.path.length ? `at ${formatPath(problem.path)}, the value ` : 'it '}${problem.problem}`,
      )
    try {
      content = JSON.stringify(value)
    } catch (error) {
      return toolFailure(
        'INVALID_OUTPUT',
        `tool "${tool.name}" returned a result that cannot be sent as JSON: ${thrownMessage(error)}`,
      )
    }
  }
  if (content.length <= tool.maxResultChars) return { ok: true, value, content, truncated: false }
  const memoryKey = run.agent.resultKey
    ? run.agent.resultKey(tool.name, call.id, run.ctx.step)
    : resultMemoryKey(tool.name, call.id)
  const note = `\n[truncated: the result has ${content.length} characters and only the first ${tool.maxResultChars} are shown; the whole result is in memory under "${memoryKey}"]`
  return { ok: true, value, content: cutAt(content, tool.maxResultChars) + note, truncated: true, memoryKey }
}

/** The first `n` characters of `text`, one fewer when the cut would split a surrogate pair (an emoji). */
function cutAt(text: string, n: number): string {
  const code = text.charCodeAt(n - 1)
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n)
}

/** Where a truncated result is kept whole: `tools/<name>/<callId>` (the id made key-safe). */
export function resultMemoryKey(toolName: string, callId: string): string {
  return `tools/${toolName}/${callId.replace(/[^A-Za-z0-9_.:@-]/g, '_') || '_'}`
}

class ToolTimeout extends Error {}

/**
 * The model's arguments refused before any schema sees them: keys that would reach an object's
 * prototype when a schema or a tool copies them.
 */
function argumentsProblem(name: string, call: ToolCall): ToolOutcome | undefined {
  const path = prototypeKey(call.args)
  if (!path) return undefined
  return toolFailure(
    'INVALID_ARGUMENTS',
    `invalid arguments for tool "${name}": ${prototypeKeyProblem(path)}`,
  )
}

/**
 * A schema's verdict, or a TOOL_ERROR outcome when the schema's own code (a refinement, a
 * transform) threw: the tool's code failed, not Baton. Not async: a schema that checks at once
 * lets the tool start in the same turn as its `tool.call` event.
 */
function checked(
  tool: Tool,
  which: 'input' | 'output',
  what: string,
  value: unknown,
): Checked | Promise<Checked> {
  const schema = which === 'input' ? tool.input : tool.output!
  const threw = (error: unknown): ToolOutcome =>
    toolFailure(
      'TOOL_ERROR',
      `tool "${tool.name}": its ${which} schema threw while checking ${what}: ${thrownMessage(error)}`,
    )
  try {
    const result = schema.validate(value)
    return result instanceof Promise ? result.catch(threw) : result
  } catch (error) {
    return threw(error)
  }
}

type Checked = ValidationResult<unknown> | ToolOutcome

// Not async: the common case (no timeout) is one race, with nothing to clean up.
function runWithLimits(tool: Tool, args: unknown, input: unknown, run: ToolRun): Promise<ToolAnswer> {
  const { effects } = run
  let { ctx } = run
  let cancelTimer: (() => void) | undefined
  let timedOut: Promise<never> | undefined
  if (tool.timeoutMs !== undefined) {
    const timeout = new AbortController()
    // The same context (memory, progress, ...) seen through a signal that also fires on timeout.
    ctx = Object.create(ctx, {
      signal: { value: AbortSignal.any([ctx.signal, timeout.signal]), enumerable: true },
    })
    const ms = tool.timeoutMs
    timedOut = new Promise<never>((_, reject) => {
      cancelTimer = effects.clock.setTimeout(() => {
        const error = new ToolTimeout(`tool "${tool.name}" timed out after ${ms} ms`)
        timeout.abort(error)
        reject(error)
      }, ms)
    })
  }
  if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason)
  const context = ctx
  const work = effects.tool({
    key: ctx.step,
    name: tool.name,
    args,
    idempotent: tool.idempotent,
    run: async () => tool.run(input, context),
  })
  if (!timedOut) return run.agent.race(work)
  return run.agent.race(Promise.race([work, timedOut])).finally(() => cancelTimer?.())
}

/**
 * A recorded result as the outcome it was, after asking again what the tool's server asked
 * (answered from the recording) and making the tool's memory writes again.
 */
async function replayed(
  answer: Extract<ToolAnswer, { from: 'recording' }>,
  ctx: ToolContext,
): Promise<ToolOutcome> {
  if (answer.asked?.length && ctx.relay) await ctx.relay.again(answer.asked)
  for (const write of answer.memoryWrites) ctx.memory.write(write.key, write.value)
  const { result } = answer
  if (result.isError) {
    const error = result.error ?? { code: 'TOOL_ERROR', message: result.content }
    return { ok: false, error, content: result.content, fatal: error.code === 'TOOL_FATAL' }
  }
  const outcome: ToolOutcome = {
    ok: true,
    value: result.value ?? result.content,
    content: result.content,
    truncated: result.truncated === true,
  }
  if (result.memoryKey !== undefined) outcome.memoryKey = result.memoryKey
  return outcome
}

function failureOf(tool: Tool, error: unknown): ToolOutcome {
  if (error instanceof ToolTimeout) return toolFailure('TOOL_TIMEOUT', `${error.message}.`)
  if (error instanceof FatalToolError) return toolFailure('TOOL_FATAL', error.message, undefined, true)
  if (error instanceof BatonError) return toolFailure(error.code, `tool "${tool.name}": ${error.message}`)
  const message = thrownMessage(error)
  const code = error instanceof Error && error.name === 'AbortError' ? 'ABORTED' : 'TOOL_ERROR'
  return toolFailure(code, `tool "${tool.name}" failed: ${message}`)
}
