import { estimateTokens, messageChars } from '../budget/estimate-tokens.js'
import { type Endpoint, gate, type Ticket } from '../limits/index.js'
import type { GenerateOptions, Model, ModelRequest, ModelResponse, ModelStreamEvent } from '../model/types.js'
import {
  afterFailure,
  type RetryContext,
  type RetryPolicy,
  retryableError,
  startAttempt,
  withRetries,
} from './retry.js'

/** What a provider adapter implements: one request, plain or streamed, with no retries of its own. */
export interface Adapter<C> {
  /** `provider:model`, e.g. `anthropic:claude-sonnet-4-5`: what its errors begin with. */
  id: string
  /** The SDK client, made (and the SDK loaded) on first use. */
  client(): Promise<C>
  generate(client: C, request: ModelRequest, signal: AbortSignal): Promise<ModelResponse>
  /** Yields deltas and ends with a `finish` event; throws a retryable error when the stream is cut. */
  stream(client: C, request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent>
  policy: RetryPolicy
  scrub(text: string): string
  /** Where its calls go (known once the client is made), for the shared rate limits. */
  endpoint?(): Endpoint | undefined
  /** Output tokens a call asks for when the request does not say. */
  maxTokens?: number
}

/**
 * Wraps an adapter into a `Model`: one retry policy around both calls. A streamed call that
 * fails is retried from the start; a `restart` event tells the reader to drop the deltas it has.
 */
export function adapterModel<C>(adapter: Adapter<C>): Model {
  let client: Promise<C> | undefined
  const getClient = () => {
    // A client that could not be made (no key yet, say) is tried again on the next call.
    client ??= adapter.client().catch((error: unknown) => {
      client = undefined
      throw error
    })
    return client
  }
  const context = (options: GenerateOptions): RetryContext => ({ ...options, scrub: adapter.scrub })
  return {
    spec: 'baton.model.v1',
    id: adapter.id,
    async generate(request, options = {}) {
      const sdk = await getClient()
      if (!adapter.endpoint)
        return withRetries(
          adapter.id,
          (signal) => adapter.generate(sdk, request, signal),
          adapter.policy,
          context(options),
        )
      for (let n = 1; ; n++) {
        // The call's turn under the shared limits comes before its attempt's clock starts.
        const ticket = await admit(adapter, request, options)
        const attempt = startAttempt(adapter.policy, options.signal, options.clock)
        let failed: unknown
        try {
          const response = await adapter.generate(sdk, request, attempt.signal)
          ticket?.settle(response.usage.inputTokens + response.usage.outputTokens)
          return response
        } catch (error) {
          failed = error
        } finally {
          attempt.end()
          ticket?.release()
        }
        await afterFailure(adapter.id, failed, n, attempt.signal, adapter.policy, context(options))
      }
    },
    async *stream(request, options = {}) {
      const sdk = await getClient()
      for (let n = 1; ; n++) {
        const ticket = await admit(adapter, request, options)
        const attempt = startAttempt(adapter.policy, options.signal, options.clock)
        let failed: unknown
        let finished = false
        // The text streamed so far: the text deltas of a call, joined, are its response's text.
        let streamed = ''
        try {
          for await (const event of adapter.stream(sdk, request, attempt.signal)) {
            if (event.type === 'text-delta') streamed += event.text
            if (event.type === 'finish') {
              finished = true
              ticket?.settle(event.response.usage.inputTokens + event.response.usage.outputTokens)
              // Text a provider adds at the end without streaming it (a refusal's explanation).
              const rest = restOf(event.response.message.content, streamed)
              if (rest) yield { type: 'text-delta', text: rest }
            }
            yield event
          }
          if (!finished)
            throw retryableError('STREAM_CUT', 'the stream ended before the response was complete')
          return
        } catch (error) {
          // A failure after the answer is complete (closing the body, say) is not worth a retry.
          if (finished) return
          failed = error
        } finally {
          attempt.end()
          ticket?.release()
        }
        await afterFailure(adapter.id, failed, n, attempt.signal, adapter.policy, context(options))
        yield { type: 'restart' }
      }
    },
  }
}

/** What a response's text holds beyond the text streamed, when the streamed text begins it. */
function restOf(content: unknown, streamed: string): string {
  if (typeof content !== 'string' || content.length <= streamed.length) return ''
  return content.startsWith(streamed) ? content.slice(streamed.length) : ''
}

/** Waits for the call's turn under the shared rate limits; undefined when none applies. */
function admit<C>(
  adapter: Adapter<C>,
  request: ModelRequest,
  options: GenerateOptions,
): Ticket | Promise<Ticket> | undefined {
  const endpoint = adapter.endpoint?.()
  if (!endpoint) return undefined
  return gate(endpoint, () => tokensOf(request, adapter.maxTokens), {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    ...(options.onQueued ? { onQueued: options.onQueued } : {}),
  })
}

/** What a call may use of a tokens-per-minute limit: its input, about, and the most output it asks for. */
function tokensOf(request: ModelRequest, defaultMaxTokens = 4096): number {
  let chars = 0
  for (const message of request.messages) chars += messageChars(message)
  for (const tool of request.tools)
    chars += tool.name.length + tool.description.length + JSON.stringify(tool.parameters).length
  return estimateTokens(chars) + (request.maxTokens ?? defaultMaxTokens)
}
