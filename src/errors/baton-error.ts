/**
 * @module errors
 * One error base class with stable string codes. Mistakes a model can fix never become
 * exceptions (they are tool error results); these are for callers and for ending a run.
 */

/** Stable, machine-readable error codes. */
export type ErrorCode =
  | 'INVALID_DEFINITION'
  | 'INVALID_TASK'
  | 'INVALID_OPTIONS'
  | 'TOOL_FATAL'
  | 'MODEL_ERROR'
  | 'NO_PROVIDER'
  | 'SCRIPT_EXHAUSTED'
  | 'MEMORY_SCOPE'
  | 'TRANSCRIPT'
  | 'TRANSCRIPT_WRITE'
  | 'REPLAY_DIVERGENCE'
  | 'REPLAY_MISSING'
  | 'MCP_CONNECTION'
  | 'ABORTED'
  | 'INTERNAL'

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
  code: string
  message: string
  details?: Record<string, unknown>
}

/** Turns anything thrown into plain data without losing the message. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof BatonError) {
    return error.details
      ? { code: error.code, message: error.message, details: error.details }
      : { code: error.code, message: error.message }
  }
  if (error instanceof Error) {
    const own = (error as Error & { code?: unknown }).code
    const code = typeof own === 'string' ? own : error.name
    return { code, message: error.message }
  }
  return { code: 'UNKNOWN', message: String(error) }
}
