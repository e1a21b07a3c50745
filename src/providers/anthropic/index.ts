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
import { checkProviderOptions, env, type ProviderOptions, retryPolicy, scrubber } from '../options.js'
import { type Block, type BodyConfig, continuationBody, toBody } from './request.js'
import { joinMessages, toResponse, type WireMessage } from './response.js'
import { fromStream } from './stream.js'

export interface AnthropicOptions extends ProviderOptions {
  /** Extended thinking with this many tokens for reasoning (at least 1024, below max_tokens). */
  thinking?: { budgetTokens: number }
}

/** The SDK gives up a little after Baton's own per-attempt timeout, never before it. */
const TIMEOUT_MARGIN_MS = 1_000

/**
 * How many calls one answer may take when the API pauses its turn (`pause_turn`: a long run of
 * server tools) and is asked to go on; an answer still paused after that ends as it is.
 */
const MAX_CALLS_PER_ANSWER = 10

function contentOf(parts: readonly WireMessage[]): Block[] {
  return parts.flatMap((part) => (Array.isArray(part?.content) ? part.content : []))
}

/** Whether the API paused the turn and another call may continue it. */
function paused(message: WireMessage, calls: number): boolean {
  return message?.stop_reason === 'pause_turn' && calls < MAX_CALLS_PER_ANSWER
}

/**
 * The body of the next call of an answer: the request itself, or its continuation after a pause.
 * The calls of one answer share its `max_tokens` (what the budget granted the answer): each
 * continuation may write only what the calls before it left. Undefined when nothing is left.
 */
function nextBody(
  first: Record<string, unknown>,
  parts: readonly WireMessage[],
): Record<string, unknown> | undefined {
  if (!parts.length) return first
  const spent = parts.reduce((sum, part) => sum + (Number(part.usage?.output_tokens) || 0), 0)
  const left = (first.max_tokens as number) - spent
  // With thinking on, the API wants max_tokens above the thinking budget: a turn begun with
  // thinking goes on with it, or not at all.
  const thinking = first.thinking as { budget_tokens?: unknown } | undefined
  const floor = typeof thinking?.budget_tokens === 'number' ? thinking.budget_tokens : 0
  if (!(left > floor)) return undefined
  return { ...continuationBody(first, contentOf(parts)), max_tokens: left }
}

/**
 * The answer of a paused turn that used all its `max_tokens` before the API finished it: cut at
 * the output limit, as an answer that reached `max_tokens` is.
 */
function cutAtLimit(parts: readonly WireMessage[]): WireMessage {
  return { ...joinMessages(parts), stop_reason: 'max_tokens', stop_details: null }
}

/**
 * An Anthropic model, e.g. `anthropic('claude-sonnet-4-5')`, with the id `anthropic:<model>`.
 * The API key and base URL default to `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL`.
 */
export function anthropic(model: string, options: AnthropicOptions = {}): Model {
  if (typeof model !== 'string' || model.trim() === '') {
    throw new BatonError('INVALID_DEFINITION', 'anthropic: the model name is empty')
  }
  checkProviderOptions('anthropic', options, ['thinking'])
  const { thinking } = options
  if (
    thinking !== undefined &&
    (typeof thinking !== 'object' ||
      thinking === null ||
      Object.keys(thinking).some((key) => key !== 'budgetTokens') ||
      !Number.isInteger(thinking.budgetTokens) ||
      thinking.budgetTokens < 1024)
  )
    throw new BatonError(
      'INVALID_OPTIONS',
      "anthropic: thinking must be { budgetTokens }, a whole number of tokens of 1024 or more (the API's minimum)",
      { details: { field: 'thinking' } },
    )
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
      const first = body(request)
      const parts: WireMessage[] = []
      do {
        const params = nextBody(first, parts) as unknown
        if (params === undefined) return toResponse(cutAtLimit(parts))
        const message = await client.messages.create(params as MessageCreateParamsNonStreaming, { signal })
        parts.push(message as unknown as WireMessage)
      } while (paused(parts.at(-1)!, parts.length))
      return toResponse(joinMessages(parts))
    },
    async *stream(client, request, signal) {
      const first = body(request)
      const parts: WireMessage[] = []
      const argsText = new Map<Block, string>()
      let tools = 0
      for (;;) {
        // Another call is made only when the one before left room for it (see below).
        const params = { ...nextBody(first, parts), stream: true }
        const events = await client.messages.create(params as unknown as MessageCreateParamsStreaming, {
          signal,
        })
        let again = false
        for await (const item of fromStream(events, signal, tools)) {
          if (item.type !== 'message') {
            yield item
            continue
          }
          parts.push(item.message)
          for (const [block, text] of item.argsText) argsText.set(block, text)
          tools += item.message.content.filter((block) => block.type === 'tool_use').length
          again = paused(item.message, parts.length) && nextBody(first, parts) !== undefined
          // The rest of the body is still read (by fromStream), after the answer is out.
          if (!again) {
            const whole = paused(item.message, parts.length) ? cutAtLimit(parts) : joinMessages(parts)
            yield { type: 'finish', response: toResponse(whole, argsText) }
          }
        }
        if (!again) return
      }
    },
  })
}
