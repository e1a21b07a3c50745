/** The model-string prefixes Baton understands: `openai:`, `anthropic:`, `compatible:`. */
export const MODEL_PROVIDERS = ['openai', 'anthropic', 'compatible'] as const
export type ModelProvider = (typeof MODEL_PROVIDERS)[number]

const MODEL_STRING = /^(openai|anthropic|compatible):([^\s,]+)$/

/**
 * Checks a model string's shape; returns an error message or undefined. Models separated by
 * commas (`openai:gpt-4.1,anthropic:claude-sonnet-4-5`) name a fallback chain.
 */
export function checkModelString(value: string): string | undefined {
  if (MODEL_STRING.test(value)) return undefined
  const parts = typeof value === 'string' && value.includes(',') ? value.split(',') : undefined
  if (parts) {
    const at = parts.findIndex((part) => !MODEL_STRING.test(part.trim()))
    if (at < 0) return undefined
    return `chain ${JSON.stringify(value)}, model ${at + 1}: ${expected(parts[at]!.trim())}`
  }
  return expected(value)
}

function expected(value: string): string {
  return `expected "<provider>:<model>" with provider one of ${MODEL_PROVIDERS.join(', ')} (e.g. "openai:gpt-4o"), got ${JSON.stringify(value)}`
}

/** The provider and the model of a well-formed model string (one model, not a chain), or undefined. */
export function parseModelString(value: string): { provider: ModelProvider; model: string } | undefined {
  const match = MODEL_STRING.exec(value)
  return match ? { provider: match[1] as ModelProvider, model: match[2]! } : undefined
}

/** The models of a chain's model string (`a,b` → `[a, b]`), or undefined for one model. */
export function chainOf(value: string): string[] | undefined {
  return value.includes(',') ? value.split(',').map((part) => part.trim()) : undefined
}
