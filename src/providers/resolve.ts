import { BatonError } from '../errors/index.js'
import { chainOf, checkModelString, parseModelString } from '../model/model-string.js'
import { isModel, type Model } from '../model/types.js'

/**
 * Turns a model or a model string (`openai:gpt-4o`, `anthropic:…`, `compatible:…`, or several
 * separated by commas: a fallback chain) into a `Model`. The provider's adapter loads on its
 * first model string, and its SDK on the first call: a script that never names a provider never
 * loads one.
 */
export async function resolveModel(model: Model | string): Promise<Model> {
  if (isModel(model)) return model
  const chain =
    typeof model === 'string' && checkModelString(model) === undefined ? chainOf(model) : undefined
  if (chain) return (await import('../routing/fallback.js')).fallback(chain)
  const parsed = typeof model === 'string' ? parseModelString(model) : undefined
  if (!parsed) throw new BatonError('INVALID_DEFINITION', `model: ${checkModelString(String(model))}`)
  switch (parsed.provider) {
    case 'openai':
      return (await import('./openai-chat/index.js')).openai(parsed.model)
    case 'compatible':
      return (await import('./openai-chat/index.js')).compatible(parsed.model)
    case 'anthropic':
      return (await import('./anthropic/index.js')).anthropic(parsed.model)
  }
}
