/**
 * @module model
 * The provider-neutral message format and the `Model` interface every provider adapter and
 * test fake implements. Versioned: a model declares `spec: 'baton.model.v1'`.
 */

export type JsonSchema = Record<string, unknown>

/** A tool call the model asked for. `args` is parsed JSON; `argsText` keeps unparseable input. */
export interface ToolCall {
  id: string
  name: string
  args: unknown
  /** The raw argument text when it was not valid JSON (the call then fails validation). */
  argsText?: string
}

/** A reasoning (thinking) part. `data` is opaque provider data kept byte for byte. */
export interface ReasoningPart {
  text: string
  provider?: string
  data?: unknown
}

export interface SystemMessage {
  role: 'system'
  content: string
}

export interface UserMessage {
  role: 'user'
  content: string
}

export interface AssistantMessage {
  role: 'assistant'
  /** The text of the answer (may be empty when the model only calls tools). */
  content: string
  toolCalls?: ToolCall[]
  reasoning?: ReasoningPart[]
  /** The provider's own form of this message, for a faithful round trip to the same provider. */
  provider?: { name: string; data: unknown }
  /** Why the provider refused to answer, when it says (Anthropic's `stop_details`). */
  refusal?: RefusalDetails
}

/** A provider's account of a refusal; its explanation is also the end of the message's `content`. */
export interface RefusalDetails {
  /** The policy category, e.g. `cyber` or `bio`. */
  category?: string
  /** The provider's explanation, for people (its wording may change). */
  explanation?: string
}

/** One tool result, linked to its call by id. */
export interface ToolMessage {
  role: 'tool'
  toolCallId: string
  toolName: string
  content: string
  isError?: boolean
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage

/** A tool as the model sees it. */
export interface ToolSpec {
  name: string
  description: string
  parameters: JsonSchema
}

export interface ModelRequest {
  messages: Message[]
  tools: ToolSpec[]
  /** Upper bound for output tokens, already clipped to what the budget has left. */
  maxTokens?: number
  /** Present when the agent has an output schema, so a provider can use native structured output. */
  output?: { name: string; schema: JsonSchema }
  /** The agent path making the call, for logging and scripted models. */
  path?: string
}

export interface Usage {
  inputTokens: number
  outputTokens: number
  /** Input tokens served from the provider's cache (a part of `inputTokens`). */
  cachedInputTokens?: number
  /** Output tokens spent on reasoning (a part of `outputTokens`). */
  reasoningTokens?: number
  /** Input tokens written to the provider's cache (a part of `inputTokens`; Anthropic bills them apart). */
  cacheWriteTokens?: number
}

export type FinishReason = 'stop' | 'tool-calls' | 'length' | 'refusal' | 'content-filter' | 'other'

export interface ModelResponse {
  message: AssistantMessage
  usage: Usage
  finishReason: FinishReason
  /** The model id the provider reports having used, when it says. */
  modelId?: string
  /** What the call cost, when known already (a replay reuses the recorded cost); else priced from the table. */
  costUsd?: number
  /**
   * The Baton id (`provider:model`) of the model that answered, when the model called chose
   * among others (a fallback chain, a router): the call is priced and recorded as that one's.
   */
  model?: string
}

export interface GenerateOptions {
  signal?: AbortSignal
  /** Called before each retry, so that retries are visible as events. */
  onRetry?: (retry: RetryInfo) => void
  /** Epoch ms after which no retry may start (what the wall-clock budget has left). */
  deadline?: number
  /**
   * The run's clock (the effects door's): what a model reads the time from and sets its timers
   * with (attempt timeouts, backoffs). The system clock when absent.
   */
  clock?: ModelClock
  /** Called when the call waits for a shared rate limit before it is sent (see `setRateLimits`). */
  onQueued?: (wait: QueuedInfo) => void
  /** Called when a fallback chain gives up on one model and turns to the next. */
  onFallback?: (fallback: FallbackInfo) => void
  /** Called when a router has chosen the model for this request. */
  onRoute?: (choice: RouteInfo) => void
}

/** A wait for a shared rate limit, as it begins. */
export interface QueuedInfo {
  /** The limit waited for: a scope of `setRateLimits` (`openai`, `openai:gpt-4o`, a base URL). */
  scope: string
  /** What is short: `requests`, `tokens`, `concurrency`, or a pause the provider asked for. */
  reason: 'requests' | 'tokens' | 'concurrency' | 'retry-after' | 'provider-limit'
  /** How long the wait is expected to last, when that is known. */
  waitMs?: number
}

/** One model of a fallback chain failed (or is skipped) and the next one is asked. */
export interface FallbackInfo {
  /** The model given up on. */
  from: string
  /** The model asked next. */
  to: string
  /** Why: the failure's code (`HTTP_429`, `NETWORK`, `CONTEXT_LENGTH`, …), or `CIRCUIT_OPEN`. */
  code: string
  status?: number
  message: string
}

/** A router's choice of model for one request. */
export interface RouteInfo {
  /** The model chosen. */
  model: string
  /** Why, when the routing function said. */
  reason?: string
}

/** The clock a model is handed: the shape of the effects door's `Clock`. */
export interface ModelClock {
  /** Epoch milliseconds. */
  now(): number
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimeout(fn: () => void, ms: number): () => void
}

/** One failed attempt that is about to be retried. */
export interface RetryInfo {
  /** The attempt that failed, from 1. */
  attempt: number
  /** How long Baton waits before the next attempt. */
  delayMs: number
  /** What went wrong: `HTTP_429`, `NETWORK`, `TIMEOUT`, `STREAM_CUT`, `EMPTY_RESPONSE`, ... */
  code: string
  status?: number
  message: string
}

/** Streamed pieces of a response; the last event carries the assembled response. */
export type ModelStreamEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argsDelta: string }
  | { type: 'finish'; response: ModelResponse }
  /** The call is being retried from the start: drop the deltas received so far. */
  | { type: 'restart' }

/** A language model. Providers and `scriptedModel` implement this. */
export interface Model {
  readonly spec: 'baton.model.v1'
  /** `provider:model`, e.g. `openai:gpt-4o`; used for prices and transcripts. */
  readonly id: string
  /**
   * The models this one may answer with (a fallback chain's, a router's declared ones): its
   * calls are priced before they are made at the dearest of them.
   */
  readonly candidates?: readonly string[]
  /** How many tokens one request may hold, when this model knows (else the shipped table says). */
  readonly contextWindow?: number
  generate(request: ModelRequest, options?: GenerateOptions): Promise<ModelResponse>
  stream?(request: ModelRequest, options?: GenerateOptions): AsyncIterable<ModelStreamEvent>
}

export function isModel(value: unknown): value is Model {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Model).spec === 'baton.model.v1' &&
    typeof (value as Model).generate === 'function'
  )
}
