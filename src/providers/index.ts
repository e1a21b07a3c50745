/**
 * @module providers
 * The model strings `openai:<model>`, `anthropic:<model>` and `compatible:<model>`, and the
 * adapter factories behind them. The SDKs load on a model's first call, not on import.
 */
import { registerProvider } from '../model/resolve-model.js'
import { anthropic } from './anthropic/index.js'
import { compatible, openai } from './openai-chat/index.js'

registerProvider('openai', (model) => openai(model))
registerProvider('anthropic', (model) => anthropic(model))
registerProvider('compatible', (model) => compatible(model))

export { type AnthropicOptions, anthropic } from './anthropic/index.js'
export { compatible, openai } from './openai-chat/index.js'
export { openaiResponses } from './openai-responses/index.js'
export type { ProviderOptions } from './options.js'
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js'
