/**
 * @module routing
 * A fallback chain: one `Model` that asks its models in order and answers with the first that
 * answers. Each model keeps its own retry policy; the chain moves on only when a failure is one
 * retries could not fix in time, and says so (`model.fallback`). Models that keep failing are
 * skipped for a while by every chain of the process (a circuit breaker).
 *
 * @example
 * const model = fallback(['openai:gpt-4o', 'anthropic:claude-sonnet-4-5'])
 */

import { systemClock } from '../effects/clock.js'
import { BatonError } from '../errors/index.js'
import { deltasOf } from '../model/stream-call.js'
import type {
  GenerateOptions,
  Model,
  ModelClock,
  ModelRequest,
  ModelResponse,
  ModelStreamEvent,
} from '../model/types.js'
import { layered, withFields } from '../objects.js'
import { describe } from '../schema/index.js'
import { checkOptionKeys, unknownKey } from '../schema/known-keys.js'
import { type BreakerOptions, DEFAULT_BREAKER, failed, openUntil, skips, succeeded } from './breaker.js'
import { countsAgainst, DEFAULT_FALLBACK_CODES, failureOf, type ModelFailure } from './failures.js'
import { choiceProblem, definitionError, Member, type ModelChoice } from './members.js'

export interface FallbackOptions {
  /**
   * Which failures move on to the next model: failure codes (default `DEFAULT_FALLBACK_CODES`),
   * or a function of the failure.
   */
  on?: readonly string[] | ((failure: ModelFailure) => boolean)
  /** Skip a model that keeps failing, process-wide (default 3 failures in a row, 30 s); `false`: never. */
  breaker?: BreakerOptions | false
}

/** A `Model` that answers with the first of `models` that answers (see the module). */
const FALLBACK_KEYS: ReadonlySet<string> = new Set(['on', 'breaker'])

export function fallback(models: readonly ModelChoice[], options: FallbackOptions = {}): Model {
  const where = 'fallback'
  if (!Array.isArray(models) || models.length === 0)
    throw definitionError(
      where,
      'needs at least one model, e.g. fallback(["openai:gpt-4o", "anthropic:claude-sonnet-4-5"])',
      'models',
    )
  models.forEach((choice, i) => {
    const problem = choiceProblem(choice)
    if (problem) throw definitionError(where, `model ${i}: ${problem}`, `models[${i}]`)
  })
  checkOptionKeys(options, FALLBACK_KEYS, {
    where,
    what: 'fallback option',
    hints: { circuitBreaker: 'breaker', retryOn: 'on', fallbackOn: 'on' },
  })
  const moves = movesOn(options.on)
  const breaker = breakerOptions(options.breaker)
  const members = models.map((choice) => new Member(choice))
  const candidates = [...new Set(members.flatMap((m) => m.candidates))]
  const id = `fallback:${members.map((m) => m.id).join(',')}`

  /**
   * The members to ask now, in order, each with the one after it. A member whose circuit is open
   * is skipped, saying so, unless it is the last: skipping that too would answer nothing.
   */
  function* turns(call: Call): Generator<{ member: Member; next?: Member }> {
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!
      const next = members[i + 1]
      if (breaker && next && skips(member.id, call.clock, breaker)) skipped(member, next, call)
      else yield next ? { member, next } : { member }
    }
  }

  const skipped = (member: Member, next: Member, { options, clock, failures }: Call) => {
    failures.push({ model: member.id, code: 'CIRCUIT_OPEN' })
    const until = breaker ? openUntil(member.id, clock, breaker) : undefined
    const when = until === undefined ? '' : ` until ${new Date(until).toISOString()}`
    options.onFallback?.({
      from: member.id,
      to: next.id,
      code: 'CIRCUIT_OPEN',
      message: `skipped: it failed ${breaker ? breaker.failures : 0} times in a row, and is left alone${when}`,
    })
  }

  const answered = (member: Member, clock: ModelClock) => {
    if (breaker) succeeded(member.id, clock)
  }

  /**
   * After `member` failed with `error`: throws it when the chain does not move on from it (or
   * the call was aborted), or, when no model is left, an error that says every model of the
   * chain failed; else counts it against the member's circuit and returns how to tell the switch
   * to the next one.
   */
  const movingOn = (member: Member, next: Member | undefined, error: unknown, call: Call) => {
    const { options, clock, failures } = call
    if (options.signal?.aborted) throw error
    const failure = failureOf(member.id, error)
    const movesOn = moves(failure)
    if (movesOn && breaker && countsAgainst(failure)) failed(member.id, clock)
    if (!next) throw everyModelFailed(failures, failure)
    if (!movesOn) throw error
    failures.push(...failedModels(failure))
    return () => {
      const info = { from: failure.model, to: next.id, code: failure.code, message: failure.message }
      options.onFallback?.(failure.status === undefined ? info : withFields(info, { status: failure.status }))
    }
  }

  return {
    spec: 'baton.model.v1',
    id,
    candidates,
    async generate(request: ModelRequest, options: GenerateOptions = {}): Promise<ModelResponse> {
      const call = callOf(options)
      for (const { member, next } of turns(call)) {
        try {
          const response = await (await member.model()).generate(request, options)
          answered(member, call.clock)
          return answeredBy(response, member.id)
        } catch (error) {
          movingOn(member, next, error, call)()
        }
      }
      throw new Error('unreachable: the last model of a chain is always asked')
    },
    async *stream(request: ModelRequest, options: GenerateOptions = {}): AsyncIterable<ModelStreamEvent> {
      const call = callOf(options)
      for (const { member, next } of turns(call)) {
        let shown = false
        try {
          for await (const event of streamOf(await member.model(), request, options)) {
            if (event.type === 'finish') {
              answered(member, call.clock)
              yield { type: 'finish', response: answeredBy(event.response, member.id) }
              return
            }
            shown = true
            yield event
          }
          throw failureOfCut(member.id)
        } catch (error) {
          const tell = movingOn(member, next, error, call)
          // What the failed model showed is void: the next one answers from the start.
          if (shown) yield { type: 'restart' }
          tell()
        }
      }
    },
  }
}

/** One call of a chain: its options, its clock, and the models that failed it so far. */
interface Call {
  options: GenerateOptions
  clock: ModelClock
  failures: FailedModel[]
}

const callOf = (options: GenerateOptions): Call => ({
  options,
  clock: options.clock ?? systemClock,
  failures: [],
})

/** A model a call of a chain gave up on, and why: its failure code (`CIRCUIT_OPEN` when skipped). */
export interface FailedModel {
  model: string
  code: string
  status?: number
}

/** What the error of a chain whose every model failed stands for: the models, the last message. */
interface ChainFailure {
  failures: readonly FailedModel[]
  last: string
}

/** The errors `everyModelFailed` made (a chain in a chain lists the models of the inner one). */
const chainFailures = new WeakMap<object, ChainFailure>()

/** The models a failure stands for: the model, or every model of a chain in the chain. */
function failedModels(failure: ModelFailure): FailedModel[] {
  const inner =
    typeof failure.error === 'object' && failure.error ? chainFailures.get(failure.error) : undefined
  if (inner) return [...inner.failures]
  return [
    failure.status === undefined
      ? { model: failure.model, code: failure.code }
      : { model: failure.model, code: failure.code, status: failure.status },
  ]
}

/**
 * The error of a chain whose last model failed after the others had failed or were skipped: it
 * lists each model with its failure code, then says what the last one said. It keeps the last
 * failure's code (`error.code`, `details.code`) and details, and the last error as its cause, so
 * what handles that failure handles this one alike. A chain of one model throws its error as it is.
 */
function everyModelFailed(earlier: readonly FailedModel[], last: ModelFailure): unknown {
  const error = last.error
  if (earlier.length === 0 || !(error instanceof Error)) return error
  const failures = [...earlier, ...failedModels(last)]
  const said = chainFailures.get(error)?.last ?? error.message
  const list = failures.map(({ model, code }) => `${model} (${code})`).join(', ')
  const message = `every model of the chain failed: ${list}; the last said: ${said}`
  let summary: Error
  if (error instanceof BatonError)
    summary = new BatonError(error.code, message, {
      cause: error,
      details: withFields(error.details ?? {}, { failures }),
    })
  else {
    // Not Baton's: the same name and code, as the run reports an error it did not expect.
    summary = new Error(message, { cause: error })
    summary.name = error.name
    const code = (error as { code?: unknown }).code
    if (code !== undefined) Object.assign(summary, { code })
  }
  chainFailures.set(summary, { failures, last: said })
  return summary
}

/** A model's stream, or its whole answer as one, when it can only generate. */
async function* streamOf(
  model: Model,
  request: ModelRequest,
  options: GenerateOptions,
): AsyncIterable<ModelStreamEvent> {
  if (model.stream) {
    yield* model.stream(request, options)
    return
  }
  const response = await model.generate(request, options)
  yield* deltasOf(response)
  yield { type: 'finish', response }
}

/** The response, saying which model answered (the innermost one, for chains of chains). */
function answeredBy(response: ModelResponse, model: string): ModelResponse {
  return response.model === undefined ? withFields(response, { model }) : response
}

function failureOfCut(model: string): BatonError {
  return new BatonError('MODEL_ERROR', `${model}: the stream ended before the response was complete`, {
    details: { code: 'STREAM_CUT', retryable: true },
  })
}

function movesOn(on: FallbackOptions['on']): (failure: ModelFailure) => boolean {
  if (on === undefined) return (failure) => DEFAULT_FALLBACK_CODES.includes(failure.code)
  if (typeof on === 'function') return on
  if (!Array.isArray(on) || on.some((code) => typeof code !== 'string' || code === ''))
    throw definitionError(
      'fallback',
      'on: expected failure codes (e.g. ["HTTP_429", "HTTP_529"]) or a function of the failure',
      'on',
    )
  const codes = new Set(on)
  return (failure) => codes.has(failure.code)
}

const BREAKER_KEYS: ReadonlySet<string> = new Set(['failures', 'coolDownMs'])

function breakerOptions(option: FallbackOptions['breaker']): Required<BreakerOptions> | undefined {
  if (option === false) return undefined
  if (option !== undefined && (typeof option !== 'object' || option === null || Array.isArray(option)))
    throw definitionError(
      'fallback',
      `breaker: expected { failures?, coolDownMs? } or false, got ${describe(option)}`,
      'breaker',
    )
  const unknown = option && unknownKey(Object.keys(option), BREAKER_KEYS, 'breaker option', BREAKER_HINTS)
  if (unknown)
    throw definitionError('fallback', `breaker.${unknown.key} ${unknown.problem}`, `breaker.${unknown.key}`)
  const merged = layered(DEFAULT_BREAKER, option)
  for (const field of ['failures', 'coolDownMs'] as const) {
    const value = merged[field]
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw definitionError(
        'fallback',
        `breaker.${field}: expected a positive number, got ${typeof value === 'number' ? value : describe(value)}`,
        `breaker.${field}`,
      )
  }
  if (!Number.isInteger(merged.failures))
    throw definitionError(
      'fallback',
      `breaker.failures: expected a whole number of failures in a row, got ${merged.failures}`,
      'breaker.failures',
    )
  return merged
}

const BREAKER_HINTS = {
  threshold: 'failures',
  maxFailures: 'failures',
  cooldown: 'coolDownMs',
  resetMs: 'coolDownMs',
}
