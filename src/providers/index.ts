/**
 * @module providers
 * The model strings `openai:<model>`, `anthropic:<model>` and `compatible:<model>`, and the
 * adapter factories behind them (`baton/providers`). The SDKs load on a model's first call,
 * not on import.
 */
export { type AnthropicOptions, anthropic } from './anthropic/index.js'
export { compatible, openai } from './openai-chat/index.js'
export { openaiResponses } from './openai-responses/index.js'
export type { ProviderOptions } from './options.js'
export { resolveModel } from './resolve.js'
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js'
