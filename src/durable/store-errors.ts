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
export function databaseError(error: unknown, where: string, url?: string): BatonError {
  if (error instanceof BatonError) return error
  const code = (error as { code?: string }).code
  // The driver's or DBOS's own words may quote the URL as given: its secrets are taken out.
  const message = hideSecrets((error as Error).message || String(error), url)
  return new BatonError(
    'DATABASE',
    `${where}: ${message}${code && !message.includes(code) ? ` (${code})` : ''}`,
    {
      cause: error,
      details: code ? { code } : undefined,
    },
  )
}

/** Query parameters of a PostgreSQL URL that hold a secret (libpq's and node-postgres's). */
const SECRET_PARAMS = ['password', 'sslpassword']

/**
 * A database URL fit to print: the password replaced, in the user part and in the query
 * (`?password=…` is a password too). A URL that does not parse keeps its scheme, host and
 * path, its user part masked from the first `:` to the last `@`.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    for (const name of SECRET_PARAMS) if (parsed.searchParams.has(name)) parsed.searchParams.set(name, '***')
    // URLSearchParams writes `***` as `%2A%2A%2A`: keep it readable.
    return parsed.toString().replaceAll('%2A%2A%2A', '***')
  } catch {
    return url
      .replace(/^([a-z]+:\/\/[^:@/]*):.*@/i, '$1:***@')
      .replace(new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&]*`, 'gi'), '$1***')
  }
}

/** `text` with every secret of `url` (and the URL itself) replaced by its redacted form. */
export function hideSecrets(text: string, url: string | undefined): string {
  if (url === undefined) return text
  let out = text.replaceAll(url, redactUrl(url))
  for (const secret of urlSecrets(url)) if (secret.length >= 3) out = out.replaceAll(secret, '***')
  return out
}

/** The password and secret parameters of a database URL, raw and decoded. */
function urlSecrets(url: string): string[] {
  const secrets: string[] = []
  try {
    const parsed = new URL(url)
    if (parsed.password) secrets.push(parsed.password, decoded(parsed.password))
    for (const name of SECRET_PARAMS)
      for (const value of parsed.searchParams.getAll(name)) secrets.push(value)
  } catch {
    const user = /^[a-z]+:\/\/[^:@/]*:(.*)@/i.exec(url)?.[1]
    if (user) secrets.push(user)
  }
  return secrets.filter(Boolean)
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** What an attempt at a run that a newer attempt replaced gets when it goes on: it must stop. */
export function takenOver(id: string, attempt: number): BatonError {
  return new BatonError(
    'ABORTED',
    `attempt ${attempt} at ${id} was taken over by a newer attempt (another worker took the run up while this one was silent): it stops here`,
    { details: { runId: id, attempt } },
  )
}

/** Whether `error` says an attempt was taken over (see `takenOver`). */
export const isTakenOver = (error: unknown): boolean =>
  error instanceof BatonError && error.code === 'ABORTED' && typeof error.details?.attempt === 'number'

export function noSuchApproval(runId: string, message: string): BatonError {
  return new BatonError('NO_SUCH_APPROVAL', message, { details: { runId } })
}
