/** The model-string prefixes Baton understands: `openai:`, `anthropic:`, `compatible:`. */
export const MODEL_PROVIDERS = ['openai', 'anthropic', 'compatible'] as const
export type ModelProvider = (typeof MODEL_PROVIDERS)[number]

const MODEL_STRING = /^(openai|anthropic|compatible):(\S+)$/

/** Checks a model string's shape; returns an error message or undefined. */
export function checkModelString(value: string): string | undefined {
  if (MODEL_STRING.test(value)) return undefined
  return `expected "<provider>:<model>" with provider one of ${MODEL_PROVIDERS.join(', ')} (e.g. "openai:gpt-4o"), got ${JSON.stringify(value)}`
}

/** The provider and the model of a well-formed model string, or undefined. */
export function parseModelString(value: string): { provider: ModelProvider; model: string } | undefined {
  const match = MODEL_STRING.exec(value)
  return match ? { provider: match[1] as ModelProvider, model: match[2]! } : undefined
}
