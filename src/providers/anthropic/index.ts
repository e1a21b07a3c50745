/**
 * @module providers/anthropic
 * The Anthropic Messages adapter, on the official `@anthropic-ai/sdk` (loaded on first use).
 * The SDK's own retries are off: Baton's retry policy (see `../retry.ts`) covers every
 * provider. Thinking blocks are passed back intact across a multi-step tool loop.
 */
import type Anthropic from '@anthropic-ai/sdk'
import type {
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
} from '@anthropic-ai/sdk/resources/messages'
import { BatonError } from '../../errors/index.js'
import type { Endpoint } from '../../limits/index.js'
import type { Model, ModelRequest } from '../../model/types.js'
import { adapterModel } from '../adapter.js'
import { endpointOf, observingFetch } from '../endpoint.js'
import { dispatcher } from '../http.js'
import { env, type ProviderOptions, retryPolicy, scrubber } from '../options.js'
import { type BodyConfig, toBody } from './request.js'
import { toResponse, type WireMessage } from './response.js'
import { fromStream } from './stream.js'

export interface AnthropicOptions extends ProviderOptions {
  /** Extended thinking with this many tokens for reasoning (at least 1024, below max_tokens). */
  thinking?: { budgetTokens: number }
}

/** The SDK gives up a little after Baton's own per-attempt timeout, never before it. */
const TIMEOUT_MARGIN_MS = 1_000

/**
 * An Anthropic model, e.g. `anthropic('claude-sonnet-4-5')`, with the id `anthropic:<model>`.
 * The API key and base URL default to `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL`.
 */
export function anthropic(model: string, options: AnthropicOptions = {}): Model {
  if (typeof model !== 'string' || model.trim() === '') {
    throw new BatonError('INVALID_DEFINITION', 'anthropic: the model name is empty')
  }
  const id = `anthropic:${model}`
  const policy = retryPolicy(options.retry)
  // Key and URL are read, and checked, when the first call is about to be made: a model that is
  // only defined, resolved or replayed needs neither (and one set after the model was made counts).
  let apiKey = options.apiKey ?? env('ANTHROPIC_API_KEY')
  let redact = scrubber(apiKey)
  const config: BodyConfig = { model }
  if (options.maxTokens !== undefined) config.maxTokens = options.maxTokens
  if (options.thinking) config.thinking = options.thinking
  if (options.params) config.params = options.params
  const body = (request: ModelRequest) => toBody(request, config)

  let endpoint: Endpoint | undefined
  return adapterModel<Anthropic>({
    id,
    provider: 'anthropic',
    policy,
    scrub: (text) => redact(text),
    endpoint: () => endpoint,
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    async client() {
      apiKey = options.apiKey ?? env('ANTHROPIC_API_KEY')
      redact = scrubber(apiKey)
      const baseURL = options.baseURL ?? env('ANTHROPIC_BASE_URL')
      if (apiKey === undefined) {
        throw new BatonError(
          'INVALID_DEFINITION',
          `${id}: no API key: pass the apiKey option or set the ANTHROPIC_API_KEY environment variable`,
          { details: { field: 'apiKey' } },
        )
      }
      const { default: Client } = await import('@anthropic-ai/sdk')
      endpoint =
        options.sharedLimits === false
          ? undefined
          : endpointOf('anthropic', id, baseURL ?? 'https://api.anthropic.com', apiKey, options.rateLimitKey)
      return new Client({
        ...(endpoint ? { fetch: observingFetch(endpoint) } : {}),
        apiKey,
        baseURL,
        maxRetries: 0,
        timeout: policy.timeoutMs + TIMEOUT_MARGIN_MS,
        defaultHeaders: options.headers,
        // The global fetch with a pooled undici dispatcher (never undici's own fetch).
        fetchOptions: { dispatcher: dispatcher() } as NonNullable<
          ConstructorParameters<typeof Client>[0]
        >['fetchOptions'],
      })
    },
    async generate(client, request, signal) {
      const params = body(request) as unknown as MessageCreateParamsNonStreaming
      const message = await client.messages.create(params, { signal })
      return toResponse(message as unknown as WireMessage)
    },
    async *stream(client, request, signal) {
      const params = { ...body(request), stream: true } as unknown as MessageCreateParamsStreaming
      const events = await client.messages.create(params, { signal })
      yield* fromStream(events, signal)
    },
  })
}
