/**
 * `--prices <file.json>` and `--price <model>=<input>,<output>`: model prices for `baton run`, in
 * the shape of the `prices` run option (USD per million tokens, merged over the shipped table).
 */
import type { ModelPrice, PriceTable } from '../budget/index.js'
import { fileProblem, readTextFile } from '../files/read-text.js'
import { UsageError } from './args.js'

const FIELDS = ['input', 'output', 'cachedInput', 'cacheWrite'] as const

const PRICE_FORM = '<model>=<input>,<output> (USD per million tokens), e.g. --price compatible:llama3=0.2,0.6'

/** Reads a prices file: `{ "<model>": { "input": n, "output": n, "cachedInput"?: n, "cacheWrite"?: n } }`. */
export function readPricesFile(path: string): PriceTable {
  let text: string
  try {
    text = readTextFile(path)
  } catch (error) {
    throw new UsageError(`--prices ${path}: cannot read it (${fileProblem(error)})`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`--prices ${path}: not JSON (${(error as Error).message})`)
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UsageError(
      `--prices ${path}: expected an object of model prices, e.g. { "compatible:llama3": { "input": 0.2, "output": 0.6 } }`,
    )
  const table: PriceTable = {}
  for (const [model, price] of Object.entries(data)) table[model] = checkPrice(path, model, price)
  return table
}

function checkPrice(path: string, model: string, price: unknown): ModelPrice {
  const problem = (what: string) =>
    new UsageError(
      `--prices ${path}: "${model}" ${what}; expected { "input": <USD per million input tokens>, "output": <USD per million output tokens> }`,
    )
  if (typeof price !== 'object' || price === null || Array.isArray(price))
    throw problem(`is ${JSON.stringify(price)}, not an object`)
  const fields = price as Record<string, unknown>
  for (const key of Object.keys(fields))
    if (!(FIELDS as readonly string[]).includes(key))
      throw problem(`has an unknown field "${key}" (known: ${FIELDS.join(', ')})`)
  for (const key of FIELDS) {
    const value = fields[key]
    if (value === undefined && (key === 'input' || key === 'output')) throw problem(`has no "${key}"`)
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0))
      throw problem(`has "${key}": ${JSON.stringify(value)}, not a non-negative number`)
  }
  return fields as unknown as ModelPrice
}

/** Parses one `--price <model>=<input>,<output>`. */
export function parsePriceFlag(raw: string): [model: string, price: ModelPrice] {
  const equals = raw.indexOf('=')
  const model = equals > 0 ? raw.slice(0, equals).trim() : ''
  const numbers = equals > 0 ? raw.slice(equals + 1).split(',') : []
  if (model === '' || numbers.length !== 2)
    throw new UsageError(`--price must be ${PRICE_FORM}; got ${JSON.stringify(raw)}`)
  const [input, output] = numbers.map((text) => {
    const n = Number(text)
    if (text.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new UsageError(
        `--price ${raw}: ${JSON.stringify(text)} is not a non-negative number; expected ${PRICE_FORM}`,
      )
    return n
  }) as [number, number]
  return [model, { input, output }]
}
