import { describe } from '../schema/index.js'

const PRICE_FIELDS = ['input', 'output', 'cachedInput', 'cacheWrite'] as const

/**
 * Checks a table of prices (`{ "<model id or prefix>": { input, output, cachedInput?,
 * cacheWrite? } }`, USD per million tokens). Returns undefined when it is good, else the field
 * at fault (`prices["openai:x"].output`) and what is wrong with it.
 */
export function pricesProblem(value: unknown): { field: string; problem: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: 'prices', problem: `must be an object of model prices, got ${describe(value)}` }
  for (const [model, price] of Object.entries(value)) {
    const field = `prices[${JSON.stringify(model)}]`
    if (model.trim() === '') return { field, problem: 'has an empty model id' }
    if (typeof price !== 'object' || price === null || Array.isArray(price))
      return {
        field,
        problem: `must be { input, output } in USD per million tokens, got ${describe(price)}`,
      }
    for (const key of Object.keys(price)) {
      if (!(PRICE_FIELDS as readonly string[]).includes(key))
        return {
          field: `${field}.${key}`,
          problem: `is not a price field (known: ${PRICE_FIELDS.join(', ')})`,
        }
    }
    for (const key of PRICE_FIELDS) {
      const n = (price as Record<string, unknown>)[key]
      if (n === undefined && (key === 'cachedInput' || key === 'cacheWrite')) continue
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
        return {
          field: `${field}.${key}`,
          problem: `must be a non-negative number of USD per million tokens, got ${describe(n)}`,
        }
    }
  }
  return undefined
}
