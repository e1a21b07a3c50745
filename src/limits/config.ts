/** The limits set for the process (`setRateLimits`): each scope's buckets and slots. */
import { BatonError } from '../errors/index.js'
import { MODEL_PROVIDERS } from '../model/model-string.js'
import { Bucket, Slots } from './buckets.js'

/** Limits for one scope: a provider (`openai`), a model (`openai:gpt-4o`) or a server's base URL. */
export interface RateLimit {
  /** Requests a minute, spread evenly (a second's worth may go at once). */
  requestsPerMinute?: number
  /** Tokens a minute: each call counts its input estimate and its maximum output, corrected by its real usage. */
  tokensPerMinute?: number
  /** Calls in flight at once (a local server serves one or a few at a time). */
  maxConcurrent?: number
}

export interface Scope {
  readonly name: string
  readonly limit: RateLimit
  readonly requests: Bucket | undefined
  readonly tokens: Bucket | undefined
  readonly slots: Slots | undefined
}

const FIELDS = ['requestsPerMinute', 'tokensPerMinute', 'maxConcurrent'] as const
/**
 * A provider, one of its models (a model id: no spaces, no commas, which would make it a chain), an
 * account (`key:<rateLimitKey>`, any name the option takes) or a base URL. Any other name would
 * match no call.
 */
const SCOPE = new RegExp(`^(?:(?:${MODEL_PROVIDERS.join('|')})(?::[^\\s,]+)?|key:.+|https?:\\/\\/\\S+)$`)

const scopes = new Map<string, Scope>()

/**
 * Sets the limits of some scopes for every model call of the process (`null` removes one). A
 * scope is a provider (`openai`, `anthropic`, `compatible`), a model (`openai:gpt-4o`) or a
 * server's base URL (`http://localhost:11434/v1`); every limit whose scope matches a call applies.
 *
 * @example
 * setRateLimits({ openai: { requestsPerMinute: 500, tokensPerMinute: 200_000 }, 'http://localhost:11434/v1': { maxConcurrent: 1 } })
 */
export function setRateLimits(spec: Readonly<Record<string, RateLimit | null>>): void {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw invalid('setRateLimits: expected an object of scopes and their limits')
  const made = new Map<string, Scope | null>()
  for (const [name, limit] of Object.entries(spec))
    made.set(normalScope(name), limit === null ? null : scopeOf(name, limit))
  for (const [name, scope] of made) {
    if (scope) scopes.set(name, scope)
    else scopes.delete(name)
  }
}

/** The limits set for a scope, as given. */
export function rateLimitOf(scope: string): RateLimit | undefined {
  return scopes.get(normalScope(scope))?.limit
}

function scopeOf(name: string, limit: RateLimit): Scope {
  const where = `setRateLimits: scope ${JSON.stringify(name)}`
  if (!SCOPE.test(normalScope(name)))
    throw invalid(
      `${where}: expected a provider (openai), a model (openai:gpt-4o), an account (key:<rateLimitKey>) or a base URL (http://host:port/v1); the providers are ${MODEL_PROVIDERS.join(', ')}`,
    )
  if (typeof limit !== 'object' || limit === null || Array.isArray(limit))
    throw invalid(`${where}: expected { requestsPerMinute?, tokensPerMinute?, maxConcurrent? } or null`)
  for (const key of Object.keys(limit))
    if (!(FIELDS as readonly string[]).includes(key))
      throw invalid(`${where}: unknown field ${JSON.stringify(key)}; expected one of ${FIELDS.join(', ')}`)
  for (const field of FIELDS) {
    const value = limit[field]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw invalid(
        `${where}: ${field} must be a positive number, got ${JSON.stringify(value) ?? String(value)}`,
      )
    if (field === 'maxConcurrent' && !Number.isInteger(value))
      throw invalid(`${where}: maxConcurrent must be a whole number, got ${value}`)
  }
  const { requestsPerMinute: rpm, tokensPerMinute: tpm, maxConcurrent } = limit
  return {
    name: normalScope(name),
    limit: { ...limit },
    // Real APIs enforce a minute's rate over short windows: a second's worth may go at once.
    requests: rpm === undefined ? undefined : new Bucket(rpm / 60_000, Math.max(1, rpm / 60)),
    tokens: tpm === undefined ? undefined : new Bucket(tpm / 60_000, Math.max(1, tpm / 60)),
    slots: maxConcurrent === undefined ? undefined : new Slots(maxConcurrent),
  }
}

/** Base URLs name the same server with or without a trailing slash. */
const normalScope = (name: string): string => (/^https?:\/\//.test(name) ? name.replace(/\/+$/, '') : name)

function invalid(message: string): BatonError {
  return new BatonError('INVALID_OPTIONS', message)
}

/** The scopes among `names` that have limits, or undefined when none has. */
export function scopesAmong(names: readonly string[]): Scope[] | undefined {
  let found: Scope[] | undefined
  for (const name of names) {
    const scope = scopes.get(name)
    if (!scope) continue
    found ??= []
    found.push(scope)
  }
  return found
}

/** Forgets every limit. */
export function clearScopes(): void {
  scopes.clear()
}
