/**
 * How many tokens each model takes in one request (its input limit), as published by the
 * providers when this table was last updated. Override it with `context.window` on an agent,
 * the `contextWindows` run option, or `contextWindow` on a `Model` of your own.
 */
export type ContextWindowTable = Record<string, number>

export const DEFAULT_CONTEXT_WINDOWS: ContextWindowTable = Object.freeze({
  // GPT-5: 400k in all, of which at most 272k of input.
  'openai:gpt-5': 272_000,
  'openai:gpt-5-mini': 272_000,
  'openai:gpt-5-nano': 272_000,
  'openai:gpt-4.1': 1_047_576,
  'openai:gpt-4.1-mini': 1_047_576,
  'openai:gpt-4.1-nano': 1_047_576,
  'openai:gpt-4o': 128_000,
  'openai:gpt-4o-mini': 128_000,
  'openai:o3': 200_000,
  'openai:o4-mini': 200_000,
  'anthropic:claude-opus-4-5': 200_000,
  'anthropic:claude-opus-4-1': 200_000,
  'anthropic:claude-opus-4': 200_000,
  'anthropic:claude-sonnet-4-5': 200_000,
  'anthropic:claude-sonnet-4': 200_000,
  'anthropic:claude-3-7-sonnet': 200_000,
  'anthropic:claude-haiku-4-5': 200_000,
  'anthropic:claude-3-5-haiku': 200_000,
})

/**
 * The window of `modelId` in `table`: an exact entry, else the longest entry the id starts
 * with followed by `-` or `:` (`openai:gpt-4o-2024-08-06` takes `openai:gpt-4o`'s).
 */
export function windowIn(modelId: string, table: ContextWindowTable): number | undefined {
  // Own entries only: an id such as "constructor" is not a window.
  if (Object.hasOwn(table, modelId)) return table[modelId]
  let best: string | undefined
  for (const key of Object.keys(table)) {
    const next = modelId[key.length]
    if (modelId.length > key.length && modelId.startsWith(key) && (next === '-' || next === ':'))
      if (!best || key.length > best.length) best = key
  }
  return best === undefined ? undefined : table[best]
}

/** What is wrong with a table of windows, or undefined: every value a positive whole number. */
export function windowsProblem(table: unknown): string | undefined {
  if (typeof table !== 'object' || table === null || Array.isArray(table))
    return 'must be an object of model id → tokens'
  for (const [model, tokens] of Object.entries(table))
    if (typeof tokens !== 'number' || !Number.isSafeInteger(tokens) || tokens < 1)
      return `["${model}"] must be a positive whole number of tokens, got ${shown(tokens)}`
  return undefined
}

/** A value as a message shows it: numbers as themselves (`NaN`, not JSON's `null`), never throwing. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value)
  if (typeof value === 'bigint') return `${value}n`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return typeof value
  }
}
