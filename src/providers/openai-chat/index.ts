/**
 * @module providers/openai-chat
 * OpenAI Chat Completions, and any OpenAI-compatible server (Ollama, vLLM, llama.cpp server,
 * LM Studio) by base URL, on the official `openai` SDK. The SDK is loaded on the first call, its
 * own retries are off (Baton's retry policy is the only one), and requests go through the shared
 * undici dispatcher.
 *
 * @example
 * const model = openai('gpt-4o')
 * const local = compatible('llama3.1', { baseURL: 'http://localhost:11434/v1' })
 */
import type OpenAI from 'openai'
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions'
import { BatonError } from '../../errors/index.js'
import type { Endpoint } from '../../limits/index.js'
import type { Model, ModelRequest } from '../../model/types.js'
import { adapterModel } from '../adapter.js'
import { endpointOf, observingFetch } from '../endpoint.js'
import { dispatcher } from '../http.js'
import { checkProviderOptions, env, type ProviderOptions, retryPolicy, scrubber } from '../options.js'
import { chatBody, type Flavor } from './request.js'
import { fromCompletion, type WireCompletion } from './response.js'
import { streamEvents, type WireChunk } from './stream.js'

/** What a compatible server gets as its key when none is set (the SDK insists on one). */
const NO_KEY = 'baton-no-key'

/** The SDK's own timeout stays out of the way of the retry policy's per-attempt timeout. */
const SDK_TIMEOUT_MARGIN_MS = 5_000

/** An OpenAI model through Chat Completions: `openai:<model>`. Key from `apiKey` or `OPENAI_API_KEY`. */
export function openai(model: string, options: ProviderOptions = {}): Model {
  return chatModel('openai', model, options)
}

/**
 * A model on an OpenAI-compatible server: `compatible:<model>`. The server's URL (ending in `/v1`)
 * comes from `baseURL` or `OPENAI_BASE_URL`; a key is optional.
 */
export function compatible(model: string, options: ProviderOptions = {}): Model {
  return chatModel('compatible', model, options)
}

function chatModel(flavor: Flavor, model: string, options: ProviderOptions): Model {
  const id = `${flavor}:${model}`
  if (typeof model !== 'string' || model.trim() === '') {
    throw new BatonError('INVALID_DEFINITION', `${flavor}: the model name is empty`)
  }
  checkProviderOptions(flavor, options)
  // Key and URL are read, and checked, when the first call is about to be made: a model that is
  // only defined, resolved or replayed needs neither (and one set after the model was made counts).
  let apiKey = options.apiKey ?? env('OPENAI_API_KEY')
  let redact = scrubber(apiKey)
  const policy = retryPolicy(options.retry)

  let endpoint: Endpoint | undefined
  // Whether streamed calls ask for their usage (`stream_options`), until a server refuses it.
  let askUsage = true
  return adapterModel<OpenAI>({
    id,
    policy,
    scrub: (text) => redact(text),
    endpoint: () => endpoint,
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    async client() {
      apiKey = options.apiKey ?? env('OPENAI_API_KEY')
      redact = scrubber(apiKey)
      const baseURL = options.baseURL ?? env('OPENAI_BASE_URL')
      if (flavor === 'compatible' && baseURL === undefined) {
        throw new BatonError(
          'INVALID_DEFINITION',
          `${id}: no server URL: pass the baseURL option (e.g. compatible('${model}', { baseURL: 'http://localhost:11434/v1' })) or set the OPENAI_BASE_URL environment variable`,
          { details: { field: 'baseURL' } },
        )
      }
      if (apiKey === undefined && flavor === 'openai') {
        throw new BatonError(
          'INVALID_DEFINITION',
          `${id}: no API key: pass the apiKey option or set the OPENAI_API_KEY environment variable`,
          { details: { field: 'apiKey' } },
        )
      }
      const { default: OpenAI } = await import('openai')
      endpoint =
        options.sharedLimits === false
          ? undefined
          : endpointOf(flavor, id, baseURL ?? 'https://api.openai.com/v1', apiKey, options.rateLimitKey)
      return new OpenAI({
        ...(endpoint ? { fetch: observingFetch(endpoint) } : {}),
        apiKey: apiKey ?? NO_KEY,
        baseURL: baseURL ?? null,
        maxRetries: 0,
        timeout: policy.timeoutMs + SDK_TIMEOUT_MARGIN_MS,
        // The global fetch with the shared undici Agent: pooled connections, and test servers see it.
        fetchOptions: { dispatcher: dispatcher() } as Record<string, unknown>,
        defaultHeaders: options.headers ?? {},
      })
    },
    async generate(client, request, signal) {
      const completion = await client.chat.completions.create(body(request), { signal })
      return fromCompletion(completion as WireCompletion)
    },
    async *stream(client, request, signal) {
      const streaming = (): ChatCompletionCreateParamsStreaming => ({
        ...body(request),
        stream: true,
        // Servers that do not report usage ignore this; the response then costs zero tokens.
        ...(askUsage ? { stream_options: { include_usage: true } } : {}),
      })
      let chunks: unknown
      try {
        chunks = await client.chat.completions.create(streaming(), { signal })
      } catch (error) {
        // Some servers and gateways refuse the option ("Unknown parameter: 'stream_options'"):
        // this model's streams go without it from then on.
        if (!askUsage || !refusesStreamOptions(error)) throw error
        askUsage = false
        chunks = await client.chat.completions.create(streaming(), { signal })
      }
      yield* streamEvents(chunks as AsyncIterable<WireChunk>, signal)
    },
  })

  function body(request: ModelRequest) {
    return chatBody(model, request, options, flavor)
  }
}

/** A 400 (or 422) that names `stream_options` as what the server does not take. */
function refusesStreamOptions(error: unknown): boolean {
  const err = error as { status?: unknown; param?: unknown; message?: unknown } | undefined
  if (err?.status !== 400 && err?.status !== 422) return false
  return err.param === 'stream_options' || /stream_options/.test(String(err.message))
}
