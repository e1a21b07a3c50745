/**
 * The errors of the durable runs' database: a run that is not there, an approval that is not
 * waited for, a database failure named without its password.
 */
import { BatonError } from '../errors/index.js'

export function notFound(runId: string): BatonError {
  return new BatonError('RUN_NOT_FOUND', `no durable run has the id ${JSON.stringify(runId)}`, {
    details: { runId },
  })
}

/** A database failure as a `DATABASE` error naming the database (without its password). */
export function databaseError(error: unknown, where: string): BatonError {
  if (error instanceof BatonError) return error
  const code = (error as { code?: string }).code
  const message = (error as Error).message || String(error)
  return new BatonError(
    'DATABASE',
    `${where}: ${message}${code && !message.includes(code) ? ` (${code})` : ''}`,
    {
      cause: error,
      details: code ? { code } : undefined,
    },
  )
}

/** A database URL fit to print: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the database'
  }
}

export function noSuchApproval(runId: string, message: string): BatonError {
  return new BatonError('NO_SUCH_APPROVAL', message, { details: { runId } })
}
