/**
 * @module providers/openai-responses
 * The OpenAI Responses API (`POST /responses`) as a Baton `Model`, on the official `openai`
 * SDK (loaded on first use). Stateless: `store: false`, with reasoning items requested in
 * encrypted form and passed back exactly as received, so a tool loop keeps the model's
 * reasoning between steps.
 *
 * @example
 * const model = openaiResponses('gpt-5-mini', { params: { reasoning: { effort: 'low' } } })
 */
import type OpenAI from 'openai'
import type { ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses'
import { BatonError } from '../../errors/index.js'
import type { Endpoint } from '../../limits/index.js'
import type { Model, ModelRequest } from '../../model/types.js'
import { adapterModel } from '../adapter.js'
import { endpointOf, observingFetch } from '../endpoint.js'
import { dispatcher } from '../http.js'
import { checkProviderOptions, env, type ProviderOptions, retryPolicy, scrubber } from '../options.js'
import { retryableError } from '../retry.js'
import { toBody } from './request.js'
import { fromResponse } from './response.js'
import { translate } from './stream.js'

export { PROVIDER } from './request.js'

/** The SDK's own timeout is a backstop only: Baton's per-attempt timeout fires first. */
const TIMEOUT_MARGIN_MS = 5_000

/** A `Model` with id `openai:<model>` that calls the Responses API. */
export function openaiResponses(model: string, options: ProviderOptions = {}): Model {
  if (typeof model !== 'string' || model.trim() === '')
    throw new BatonError('INVALID_DEFINITION', 'openaiResponses: the model name is empty')
  checkProviderOptions('openaiResponses', options)
  // Key and URL are read, and checked, when the first call is about to be made (never for a replay).
  let apiKey = options.apiKey ?? env('OPENAI_API_KEY')
  let redact = scrubber(apiKey)
  const policy = retryPolicy(options.retry)
  // Non-reasoning models (gpt-4o, gpt-4.1, *-chat-latest) refuse to be asked for encrypted
  // reasoning; the first refusal turns the request off for this model, then the call goes on.
  let encrypted = !options.params || !('include' in options.params)
  async function send<T>(
    make: (body: ResponseCreateParamsNonStreaming) => Promise<T>,
    request: ModelRequest,
  ) {
    try {
      return await make(toBody(model, request, options, encrypted))
    } catch (error) {
      if (!encrypted || !refusesInclude(error)) throw error
      encrypted = false
      return make(toBody(model, request, options, encrypted))
    }
  }
  let endpoint: Endpoint | undefined
  return adapterModel<OpenAI>({
    id: `openai:${model}`,
    policy,
    scrub: (text) => redact(text),
    endpoint: () => endpoint,
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    async client() {
      apiKey = options.apiKey ?? env('OPENAI_API_KEY')
      redact = scrubber(apiKey)
      const baseURL = options.baseURL ?? env('OPENAI_BASE_URL')
      if (!apiKey && !baseURL) {
        throw new BatonError(
          'MODEL_ERROR',
          `openai:${model}: no API key: set OPENAI_API_KEY or pass the apiKey option`,
          { details: { provider: `openai:${model}`, code: 'NO_API_KEY', retryable: false } },
        )
      }
      const { default: OpenAI } = await import('openai')
      endpoint =
        options.sharedLimits === false
          ? undefined
          : endpointOf(
              'openai',
              `openai:${model}`,
              baseURL ?? 'https://api.openai.com/v1',
              apiKey,
              options.rateLimitKey,
            )
      return new OpenAI({
        ...(endpoint ? { fetch: observingFetch(endpoint) } : {}),
        // A server of one's own (by base URL) may need no key; the SDK insists on one.
        apiKey: apiKey ?? 'none',
        baseURL: baseURL ?? null,
        maxRetries: 0,
        timeout: policy.timeoutMs + TIMEOUT_MARGIN_MS,
        fetchOptions: { dispatcher: dispatcher() } as NonNullable<
          ConstructorParameters<typeof OpenAI>[0]
        >['fetchOptions'],
        defaultHeaders: options.headers ?? {},
      })
    },
    async generate(client, request, signal) {
      const response = await send((body) => client.responses.create(body, { signal }), request).catch(
        malformed,
      )
      return fromResponse(response)
    },
    async *stream(client, request, signal) {
      const events = await send(
        (body) => client.responses.create({ ...body, stream: true }, { signal }),
        request,
      )
      yield* translate(events)
    },
  })
}

/** The SDK reading a 200 body that is not a Responses object (a proxy's HTML page) throws a TypeError. */
function malformed(error: unknown): never {
  const parse = error instanceof TypeError && (error as { status?: unknown }).status === undefined
  if (parse && !/fetch failed|terminated/i.test(error.message)) {
    throw retryableError('MALFORMED_RESPONSE', `the answer is not a Responses object (${error.message})`)
  }
  throw error
}

/** The 400 a model without encrypted reasoning answers `include: ['reasoning.encrypted_content']` with. */
function refusesInclude(error: unknown): boolean {
  const err = error as { status?: unknown; param?: unknown; message?: unknown }
  if (err?.status !== 400) return false
  return err.param === 'include' || /encrypted content is not supported/i.test(String(err.message))
}
