/**
 * @module errors
 * One error base class with stable string codes. Mistakes a model can fix never become
 * exceptions (they are tool error results); these are for callers and for ending a run.
 */

/**
 * Every code Baton emits, with when: in `BatonError.code`, `RunResult.error.code`, a tool error
 * result sent to the model, and the `error` of events. Stable: a code is never renamed.
 */
export const ERROR_CODES = {
  // Definitions and arguments: thrown before anything runs.
  INVALID_DEFINITION:
    "a defineAgent / defineTool / defineWorkflow / defineEval / scorer definition is wrong; an option it does not know is named, with the one meant when it is another framework's name (`execute` → `run`, `parameters` → `input`, `system` → `instructions`, `maxTurns` → `budget: { maxSteps }`)",
  INVALID_TASK: 'the task does not fit the agent (a string for an input schema, a schema mismatch)',
  INVALID_OPTIONS: 'an option of run(), replay(), runEval() or a model factory is wrong',
  // Models and providers.
  MODEL_ERROR: 'a model call failed for good (details.code says why: HTTP_429, NETWORK, ...)',
  MODEL_REFUSAL: 'the model refused to answer (its explanation, when it gave one, is in the message)',
  NO_PROVIDER: 'a model string names no known provider',
  SCRIPT_EXHAUSTED: 'a scriptedModel was asked for more replies than it has',
  // Tools, as tool error results the model sees (the run goes on).
  TOOL_ERROR:
    "a tool threw (an Error or anything else), its schema's own code (a refine, a transform) threw while checking, or its needsApproval threw or answered neither true nor false",
  TOOL_TIMEOUT: 'a tool took longer than its timeoutMs',
  TOOL_FATAL: 'a tool threw FatalToolError: the run stops',
  INVALID_ARGUMENTS:
    "the model's arguments do not fit the tool's input schema (at most 20 issues are listed), are not JSON, or hold a `__proto__` key",
  INVALID_OUTPUT:
    "the tool's result does not fit its output schema, or cannot be sent as JSON unchanged (a function, a bigint, NaN, a cycle, a toJSON that throws: the path is named)",
  UNKNOWN_TOOL: 'the model called a tool the agent does not have',
  TOOL_INTERRUPTED:
    "a durable run's worker died during a call to a tool that is not idempotent: it may or may not have happened",
  APPROVAL_DENIED: 'a call that needed approval was refused',
  AWAITING_APPROVAL: 'a call waits for approval: the run stops as awaiting_approval',
  SUB_AGENT_FAILED: 'a sub-agent ended without success',
  MAX_DEPTH: 'a delegation would go deeper than maxDepth',
  MEMORY_SCOPE: "a memory read or write outside the agent's scope",
  MEMORY_KEY_NOT_FOUND: 'a delegation handed over a memory key that does not exist',
  INVALID_PLAN:
    'a plan of plan mode cannot run (every problem is listed: unknown tools, references, cycles), or it is a second plan in one answer',
  PLAN_LIMIT: 'an agent in plan mode asked for more plans than maxReplans allows',
  PLAN_REFERENCE: "a task's input refers to a field that the result of the task it names does not have",
  PLAN_SKIPPED: 'a task of a plan did not run: a task it needs failed or was skipped',
  MCP_CONNECTION: 'an MCP server could not be started or reached, or a call to it failed',
  MCP_AUTH:
    'an MCP server needs authorization Baton could not get: no login stored, a refused token, a failed OAuth step (no secret is quoted)',
  MCP_ELICITATION:
    "the answer to an MCP server's request for input does not fit its form (or is not an answer): the server is sent an error",
  // Context that fits (an agent's `context` policy).
  CONTEXT_LIMIT:
    "an agent's history cannot be brought under its model's context window, even compacted (details: tokens, window)",
  CONTEXT_SUMMARY_FAILED:
    'the model call that summarises older turns failed, and the request did not fit the window without it',
  CONTEXT_POLICY:
    "an agent's own context policy threw, or returned a history that breaks its rules (the rule is named)",
  // How a run ends.
  BUDGET_EXCEEDED: 'a budget limit was reached (details: limit, used, max, at)',
  STALLED: 'the model went in circles: the same call repeated, or steps without progress',
  GOAL_FAILED: 'the final answer failed its goal checks maxGoalAttempts times',
  GOAL_CHECK_FAILED: 'a goal check (a function or a scorer) threw, or returned what is not a verdict',
  ABORTED: 'the run was aborted: its signal, the consumer of stream() leaving, Ctrl-C',
  // Transcripts and replays.
  TRANSCRIPT: 'a transcript cannot be read (file:line and the field say where) or written',
  TRANSCRIPT_WRITE: 'writing the transcript failed during the run (a full disk, an I/O error)',
  REPLAY_DIVERGENCE: 'the run asked for something other than the recording holds (the step and a diff)',
  REPLAY_MISSING: 'the recording has no answer for a step (a strict replay never calls a model)',
  // Durable runs.
  DATABASE: "the durable runs' database cannot be reached, or holds tables of another schema version",
  RUN_NOT_FOUND: 'no durable run has this id',
  UNKNOWN_AGENT: 'a durable run names an agent that the worker does not serve',
  AGENT_CHANGED: 'the agent definition differs from the one the durable run started with',
  RUN_FINISHED: 'the durable run has already ended: it cannot be cancelled or answered',
  NO_SUCH_APPROVAL:
    'the durable run has no call waiting for approval with this id (the message lists those that wait)',
  // Anything else.
  INTERNAL: "an error Baton did not expect (details: the error's name and code; the cause is kept)",
} as const satisfies Record<string, string>

/** Stable, machine-readable error codes: the keys of `ERROR_CODES`. */
export type ErrorCode = keyof typeof ERROR_CODES

/** Whether `code` is one Baton emits. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
}

/** The base of every error Baton throws or reports. */
export class BatonError extends Error {
  readonly code: ErrorCode
  /** Extra facts for whoever handles the error (the field, the value, the step key...). */
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'BatonError'
    this.code = code
    this.details = options?.details
  }
}

/**
 * Thrown by a tool to stop the whole run deliberately (status `error`), instead of sending the
 * failure back to the model as a tool error result.
 *
 * @example
 * if (!account) throw new FatalToolError('account closed: refusing to continue')
 */
export class FatalToolError extends BatonError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('TOOL_FATAL', message, options)
    this.name = 'FatalToolError'
  }
}

/** The plain-data form of an error, as it appears in events, transcripts and results. */
export interface ErrorInfo {
  code: ErrorCode
  message: string
  details?: Record<string, unknown>
}

/**
 * Turns anything thrown into plain data without losing the message. An error that is not a
 * `BatonError` is `INTERNAL`, its own name and code kept in `details`: a code is always one of
 * `ErrorCode`, never a `TypeError` or an `ENOENT`.
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof BatonError) {
    return error.details
      ? { code: error.code, message: error.message, details: error.details }
      : { code: error.code, message: error.message }
  }
  if (error instanceof Error) {
    const details: Record<string, unknown> = { name: error.name }
    const own = (error as Error & { code?: unknown }).code
    if (typeof own === 'string' || typeof own === 'number') details.code = own
    return { code: 'INTERNAL', message: error.message, details }
  }
  return { code: 'INTERNAL', message: thrownMessage(error), details: { thrown: typeof error } }
}

/**
 * A readable message for anything thrown: an Error's message, a string as it is, an object's
 * `message` when it has one, any other object as (the start of) its JSON, and for other values
 * (undefined, a symbol, an object that cannot be shown) a short description; never
 * `[object Object]`. Never throws (a getter that throws is described instead).
 */
export function thrownMessage(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return thrown.message || thrown.name || 'an error without a message'
    if (typeof thrown === 'string') return thrown || 'an empty string'
    if (thrown === undefined) return 'undefined'
    if (thrown === null) return 'null'
    if (typeof thrown === 'symbol') return thrown.toString()
    if (typeof thrown === 'object') {
      const message = (thrown as { message?: unknown }).message
      if (typeof message === 'string' && message) return message
      try {
        const json = JSON.stringify(thrown)
        if (json !== undefined) return json.length > 500 ? `${json.slice(0, 500)}…` : json
      } catch {
        // Not JSON (a cycle, a bigint): described below.
      }
      const name = (Object.getPrototypeOf(thrown) as { constructor?: { name?: unknown } } | null)?.constructor
        ?.name
      // "an Object", "a Map": the article goes by the name's first letter.
      if (typeof name !== 'string' || !name) return 'an object that cannot be shown was thrown'
      return `${/^[AEIOU]/i.test(name) ? 'an' : 'a'} ${name} was thrown`
    }
    return String(thrown)
  } catch {
    return 'a value that cannot be shown was thrown'
  }
}
