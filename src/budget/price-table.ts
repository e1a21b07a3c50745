/**
 * Prices in US dollars per million tokens, as published by the providers when this table was
 * last updated. Prices change: override or extend them with `prices` on an agent
 * (`defineAgent({ prices })`) or with the `prices` run option (the CLI's `--prices` file).
 */
import { BatonError } from '../errors/index.js'
import { layered as laidOver } from '../objects.js'
import { describe } from '../schema/index.js'

export interface ModelPrice {
  input: number
  output: number
  /** Input tokens read from the provider's cache; defaults to `input`. */
  cachedInput?: number
  /** Input tokens written to the provider's cache (Anthropic); defaults to `input`. */
  cacheWrite?: number
}

export type PriceTable = Record<string, ModelPrice>

export const DEFAULT_PRICES: PriceTable = Object.freeze({
  'openai:gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'openai:gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'openai:gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'openai:gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'openai:gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'openai:gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'openai:gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'openai:gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'openai:o3': { input: 2, cachedInput: 0.5, output: 8 },
  'openai:o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  'anthropic:claude-opus-4-5': { input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 25 },
  'anthropic:claude-opus-4-1': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  'anthropic:claude-opus-4': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  'anthropic:claude-sonnet-4-5': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  'anthropic:claude-sonnet-4': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  'anthropic:claude-3-7-sonnet': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  'anthropic:claude-haiku-4-5': { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
  'anthropic:claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
  // Test fakes cost nothing, nor do workflows (their plans are code).
  scripted: { input: 0, output: 0 },
  workflow: { input: 0, output: 0 },
})

const FREE: ModelPrice = Object.freeze({ input: 0, output: 0 })

/**
 * The price a run charges for `modelId`: its entry in `table` (see `findPrice`), else $0 for a
 * model on an OpenAI-compatible server (`compatible:<model>`, most often a local one), which
 * costs nothing unless priced.
 */
export function priceFor(modelId: string, table: PriceTable): ModelPrice | undefined {
  return findPrice(modelId, table) ?? (modelId.startsWith('compatible:') ? FREE : undefined)
}

/**
 * `over` laid over `base`: entries of `over` replace those of `base` with the same key. The
 * same pair always gives the same table object, so `findPrice`'s memory of it is kept.
 */
export function layerPrices(base: PriceTable, over: PriceTable): PriceTable {
  let byOver = layered.get(base)
  if (!byOver) {
    byOver = new WeakMap()
    layered.set(base, byOver)
  }
  let table = byOver.get(over)
  if (!table) {
    table = Object.freeze(laidOver(base, over))
    byOver.set(over, table)
  }
  return table
}

const layered = new WeakMap<PriceTable, WeakMap<PriceTable, PriceTable>>()

/**
 * The price of a model id: an exact entry, else the longest entry the id starts with followed
 * by `-` or `:` (dated ids such as `openai:gpt-4o-2024-08-06` use `openai:gpt-4o`).
 */
export function findPrice(modelId: string, table: PriceTable): ModelPrice | undefined {
  if (typeof modelId !== 'string')
    throw new BatonError(
      'INVALID_OPTIONS',
      `findPrice: modelId must be a model id such as "openai:gpt-4o", got ${describe(modelId)}`,
    )
  if (typeof table !== 'object' || table === null)
    throw new BatonError(
      'INVALID_OPTIONS',
      `findPrice: table must be a price table (e.g. DEFAULT_PRICES), got ${describe(table)}`,
    )
  const exact = table[modelId]
  if (exact) return exact
  let known = found.get(table)
  if (!known) {
    known = new Map()
    found.set(table, known)
  }
  if (known.has(modelId)) return known.get(modelId)
  const price = longestPrefix(modelId, table)
  known.set(modelId, price)
  return price
}

// Runs look the same few models up again and again: remember the answers per table.
const found = new WeakMap<PriceTable, Map<string, ModelPrice | undefined>>()

function longestPrefix(modelId: string, table: PriceTable): ModelPrice | undefined {
  let best: string | undefined
  for (const key of Object.keys(table)) {
    if (
      modelId.length > key.length &&
      modelId.startsWith(key) &&
      (modelId[key.length] === '-' || modelId[key.length] === ':')
    ) {
      if (!best || key.length > best.length) best = key
    }
  }
  return best === undefined ? undefined : table[best]
}

/** Dollars for one call's usage. Cached input tokens are a part of `inputTokens`. */
export function costOf(
  price: ModelPrice,
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens?: number; cacheWriteTokens?: number },
): number {
  // A provider's counts are data, not a promise: a NaN or negative count would make the cost NaN
  // (which no limit ever reaches) or skew it; such a count is 0, and cache counts at most the input.
  const input = tokens(usage.inputTokens)
  const cached = Math.min(tokens(usage.cachedInputTokens), input)
  const written = Math.min(tokens(usage.cacheWriteTokens), input - cached)
  const dollars =
    (input - cached - written) * price.input +
    cached * (price.cachedInput ?? price.input) +
    written * (price.cacheWrite ?? price.input) +
    tokens(usage.outputTokens) * price.output
  return dollars / 1_000_000
}

/** A token count as a number of 0 or more (NaN, negatives and non-numbers are 0; infinity stays). */
export function tokens(count: unknown): number {
  return typeof count === 'number' && count > 0 ? count : 0
}
