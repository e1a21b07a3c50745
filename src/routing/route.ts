/**
 * A router: one `Model` that picks, per request, which model answers it, by a small function of
 * the request (how long it is, which tools it offers, which agent asks). The choice is an event
 * (`model.route`), recorded, and a replay answers with the model the recording chose.
 *
 * @example
 * const model = route((request, { inputTokens }) => (inputTokens > 8_000 ? 'openai:gpt-4.1' : 'openai:gpt-4.1-mini'), {
 *   models: ['openai:gpt-4.1', 'openai:gpt-4.1-mini'],
 * })
 */
import { estimateTokens, messageChars } from '../budget/estimate-tokens.js'
import { BatonError } from '../errors/index.js'
import type { GenerateOptions, Model, ModelRequest, ModelResponse, ModelStreamEvent } from '../model/types.js'
import { withFields } from '../objects.js'
import { describe } from '../schema/index.js'
import { checkOptionKeys } from '../schema/known-keys.js'
import { choiceProblem, definitionError, idOf, Member, type ModelChoice } from './members.js'

/** What a routing function knows of the request besides the request itself. */
export interface RouteContext {
  /** The agent path making the call (`root`, `root/2/agent:researcher#0`). */
  path: string
  /** The agent's name (the last one on the path; `root` for the root agent). */
  agent: string
  /** About how many tokens the request's messages hold. */
  inputTokens: number
}

/** A routing function's answer: a model, or a model with the reason it was chosen. */
export type RouteAnswer = ModelChoice | { model: ModelChoice; reason?: string }

export type RouteFn = (request: ModelRequest, context: RouteContext) => RouteAnswer | Promise<RouteAnswer>

export interface RouteOptions {
  /** How the router is named in the model id and in errors. Default: the function's name. */
  name?: string
  /**
   * The models it may choose: a choice outside them is an error, and calls are priced before
   * they are made at the dearest of them. Without it, any model may be chosen, and a call is
   * priced only once it is made.
   */
  models?: readonly ModelChoice[]
}

/** A `Model` that asks `choose` which model answers each request (see the module). */
const ROUTE_KEYS: ReadonlySet<string> = new Set(['name', 'models'])

export function route(choose: RouteFn, options: RouteOptions = {}): Model {
  if (typeof choose !== 'function')
    throw definitionError(
      'route',
      `expected a routing function (request, context) => model, got ${describe(choose)}`,
      'choose',
    )
  checkOptionKeys(options, ROUTE_KEYS, {
    where: 'route',
    what: 'route option',
    hints: { candidates: 'models' },
  })
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.trim() === ''))
    throw definitionError('route', `name: expected a non-empty string, got ${describe(options.name)}`, 'name')
  const name = options.name ?? (choose.name || 'router')
  const where = `route "${name}"`
  const declared = new Map<string, Member>()
  if (options.models !== undefined) {
    if (!Array.isArray(options.models) || options.models.length === 0)
      throw definitionError(where, 'models: expected a non-empty list of models', 'models')
    options.models.forEach((choice, i) => {
      const problem = choiceProblem(choice)
      if (problem) throw definitionError(where, `models[${i}]: ${problem}`, `models[${i}]`)
      declared.set(idOf(choice), new Member(choice))
    })
  }
  const chosen = new Map<string, Member>(declared)
  const candidates = options.models
    ? [...new Set([...declared.values()].flatMap((m) => m.candidates))]
    : undefined

  /** The member for a routing answer, or an error naming what is wrong with it. */
  const memberFor = async (request: ModelRequest, options: GenerateOptions) => {
    const path = request.path ?? 'root'
    const context: RouteContext = { path, agent: agentOf(path), inputTokens: inputTokensOf(request) }
    let answer: RouteAnswer
    try {
      answer = await choose(request, context)
    } catch (error) {
      throw routeError(
        where,
        `the routing function threw: ${error instanceof Error ? error.message : String(error)}`,
        'ROUTE_THREW',
        error,
      )
    }
    const { choice, reason } = unpack(answer)
    const problem = choiceProblem(choice)
    if (problem)
      throw routeError(where, `the routing function returned no model: ${problem}`, 'ROUTE_INVALID')
    const id = idOf(choice as ModelChoice)
    if (declared.size > 0 && !declared.has(id))
      throw routeError(
        where,
        `the routing function chose "${id}", which is not one of its models (${[...declared.keys()].join(', ')})`,
        'ROUTE_INVALID',
      )
    let member = chosen.get(id)
    if (!member || (typeof choice !== 'string' && !declared.has(id))) {
      member = new Member(choice as ModelChoice)
      chosen.set(id, member)
    }
    options.onRoute?.(reason === undefined ? { model: id } : { model: id, reason })
    return member
  }

  return {
    spec: 'baton.model.v1',
    id: `route:${name}`,
    ...(candidates ? { candidates } : {}),
    async generate(request: ModelRequest, options: GenerateOptions = {}): Promise<ModelResponse> {
      const member = await memberFor(request, options)
      const response = await (await member.model()).generate(request, options)
      return response.model === undefined ? withFields(response, { model: member.id }) : response
    },
    async *stream(request: ModelRequest, options: GenerateOptions = {}): AsyncIterable<ModelStreamEvent> {
      const member = await memberFor(request, options)
      const model = await member.model()
      if (!model.stream) {
        const response = await model.generate(request, options)
        yield {
          type: 'finish',
          response: response.model === undefined ? withFields(response, { model: member.id }) : response,
        }
        return
      }
      for await (const event of model.stream(request, options)) {
        if (event.type === 'finish' && event.response.model === undefined)
          yield { type: 'finish', response: withFields(event.response, { model: member.id }) }
        else yield event
      }
    },
  }
}

function unpack(answer: RouteAnswer): { choice: unknown; reason?: string } {
  if (typeof answer === 'object' && answer !== null && !('spec' in answer) && 'model' in answer) {
    const reason = typeof answer.reason === 'string' ? answer.reason : undefined
    return reason === undefined ? { choice: answer.model } : { choice: answer.model, reason }
  }
  return { choice: answer }
}

function agentOf(path: string): string {
  const names = [...path.matchAll(/agent:([^#/]+)#/g)]
  return names.at(-1)?.[1] ?? 'root'
}

function inputTokensOf(request: ModelRequest): number {
  let chars = 0
  for (const message of request.messages) chars += messageChars(message)
  return estimateTokens(chars)
}

function routeError(where: string, message: string, code: string, cause?: unknown): BatonError {
  return new BatonError('MODEL_ERROR', `${where}: ${message}`, {
    details: { code, retryable: false },
    ...(cause === undefined ? {} : { cause }),
  })
}
