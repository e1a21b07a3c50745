import { BatonError } from '../errors/index.js'
import { isModel, type Model } from './types.js'

/** The model-string prefixes Baton understands: `openai:`, `anthropic:`, `compatible:`. */
export const MODEL_PROVIDERS = ['openai', 'anthropic', 'compatible'] as const
export type ModelProvider = (typeof MODEL_PROVIDERS)[number]

const MODEL_STRING = /^(openai|anthropic|compatible):(\S+)$/

/** A factory that turns the model part of a model string into a `Model` (loaded lazily). */
export type ProviderFactory = (model: string) => Model | Promise<Model>

const factories = new Map<string, ProviderFactory>()

/** Registers how a provider prefix is turned into a model. Adapters call this when loaded. */
export function registerProvider(provider: string, factory: ProviderFactory): void {
  factories.set(provider, factory)
}

/** Checks a model string's shape; returns an error message or undefined. */
export function checkModelString(value: string): string | undefined {
  if (MODEL_STRING.test(value)) return undefined
  return `expected "<provider>:<model>" with provider one of ${MODEL_PROVIDERS.join(', ')} (e.g. "openai:gpt-4o"), got ${JSON.stringify(value)}`
}

/** Turns a model or model string into a `Model`. */
export async function resolveModel(model: Model | string): Promise<Model> {
  if (isModel(model)) return model
  const problem = checkModelString(model)
  if (problem) throw new BatonError('INVALID_DEFINITION', `model: ${problem}`)
  const [, provider = '', name = ''] = MODEL_STRING.exec(model) ?? []
  // The shipped providers register themselves when loaded; load them on the first model string.
  if (!factories.has(provider)) await import('../providers/index.js')
  const factory = factories.get(provider)
  if (!factory) {
    throw new BatonError(
      'NO_PROVIDER',
      `model "${model}": the ${provider} provider is not installed in this build of Baton; pass a Model object (e.g. scriptedModel from baton/testing) instead`,
    )
  }
  return factory(name)
}
