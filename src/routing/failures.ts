import { BatonError } from '../errors/index.js'

/** How a model of a chain failed, as a chain's `on` option sees it. */
export interface ModelFailure {
  /** The model that failed (`provider:model`). */
  model: string
  /** `HTTP_429`, `HTTP_503`, `NETWORK`, `TIMEOUT`, `STREAM_CUT`, `CONTEXT_LENGTH`, `RATE_LIMITED`, … */
  code: string
  status?: number
  message: string
  /** What the model threw. */
  error: unknown
}

/**
 * What a chain moves on from by default: what retries could not fix in time (rate limits,
 * overloaded or failing servers, timeouts, cut connections and streams) and a request too long
 * for the model's window (the next model may have a bigger one). Configuration errors (a bad
 * key, a bad request, an unknown model) never move on by default: the next model would not fix
 * them, only hide them.
 */
export const DEFAULT_FALLBACK_CODES: readonly string[] = Object.freeze([
  'HTTP_408',
  'HTTP_409',
  'HTTP_429',
  'HTTP_500',
  'HTTP_502',
  'HTTP_503',
  'HTTP_504',
  'HTTP_529',
  'NETWORK',
  'TIMEOUT',
  'STREAM_CUT',
  'STREAM_ERROR',
  'EMPTY_RESPONSE',
  'MALFORMED_RESPONSE',
  'RATE_LIMITED',
  'CONTEXT_LENGTH',
])

/** Failures that say the request is wrong for this model, not that the model is unwell. */
const NOT_THE_PROVIDERS_FAULT = new Set(['CONTEXT_LENGTH', 'RATE_LIMITED'])

/** The failure a model's error stands for. */
export function failureOf(model: string, error: unknown): ModelFailure {
  if (error instanceof BatonError) {
    const code = typeof error.details?.code === 'string' ? error.details.code : error.code
    const failure: ModelFailure = { model, code, message: error.message, error }
    if (typeof error.details?.status === 'number') failure.status = error.details.status
    return failure
  }
  const message = error instanceof Error ? error.message : String(error)
  return { model, code: 'ERROR', message, error }
}

/** Whether a failure counts against the model's circuit (the provider is unwell). */
export const countsAgainst = (failure: ModelFailure): boolean =>
  DEFAULT_FALLBACK_CODES.includes(failure.code) && !NOT_THE_PROVIDERS_FAULT.has(failure.code)
