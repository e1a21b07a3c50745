/**
 * Checks on values that must be plain JSON: a tool's arguments (keys that would reach an
 * object's prototype), a raw JSON Schema (no functions, cycles, getters or class instances) and
 * a tool's result (nothing `JSON.stringify` would drop, change or choke on).
 */
import { thrownMessage } from '../errors/index.js'
import { formatPath } from './format-issues.js'

type Path = (string | number)[]

/** What is wrong with a value, and where. */
export interface JsonProblem {
  path: Path
  problem: string
}

/**
 * The first key that could reach an object's prototype when the value is merged or copied into
 * another object: `__proto__` anywhere, or `prototype` right under a `constructor` key.
 * Iterative: arguments may nest deep.
 */
export function prototypeKey(value: unknown): Path | undefined {
  const stack: { value: unknown; path: Path }[] = [{ value, path: [] }]
  while (stack.length > 0) {
    const { value: at, path } = stack.pop()!
    if (typeof at !== 'object' || at === null) continue
    const array = Array.isArray(at)
    const underConstructor = path.at(-1) === 'constructor'
    for (const key of Object.keys(at)) {
      if (!array && (key === '__proto__' || (underConstructor && key === 'prototype'))) return [...path, key]
      const item = (at as Record<string, unknown>)[key]
      if (typeof item === 'object' && item !== null)
        stack.push({ value: item, path: [...path, array ? Number(key) : key] })
    }
  }
  return undefined
}

/** `at a.b: a "__proto__" key` wording for `prototypeKey`'s path. */
export function prototypeKeyProblem(path: Path): string {
  return `the key "${String(path.at(-1))}" at ${formatPath(path)} is not allowed (it could change what objects inherit)`
}

/**
 * A deep copy of the arrays and plain objects in `value` (a `__proto__` key is defined, never
 * assigned, so no key reaches a prototype); anything else (a Date, a class instance a schema made) is kept as is.
 */
export function copyPlain<T>(value: T): T {
  return copy(value, new Map()) as T
}

function copy(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value
  const known = seen.get(value)
  if (known !== undefined) return known
  if (Array.isArray(value)) {
    const out: unknown[] = []
    seen.set(value, out)
    for (let i = 0; i < value.length; i++) out.push(copy(value[i], seen))
    return out
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {}
  seen.set(value, out)
  for (const key of Object.keys(value)) {
    const item = copy((value as Record<string, unknown>)[key], seen)
    // Only an assignment to `__proto__` reaches the prototype: that key alone is defined.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true })
    else out[key] = item
  }
  return out
}

/**
 * Why a JSON Schema given as a plain object is not plain JSON (functions, symbols, bigints,
 * numbers that are not finite, cycles, getters, class instances, `__proto__` keys (or
 * `constructor.prototype`), more than
 * `maxDepth` levels), or undefined when it is.
 */
export function schemaJsonProblem(schema: unknown, maxDepth: number): JsonProblem | undefined {
  const ancestors = new Set<object>()
  const walk = (value: unknown, path: Path): JsonProblem | undefined => {
    const kind = notJson(value)
    if (kind) return { path, problem: kind }
    if (typeof value !== 'object' || value === null) return undefined
    if (path.length >= maxDepth) return { path, problem: `nests deeper than ${maxDepth} levels` }
    if (ancestors.has(value)) return { path, problem: 'refers back to itself (a cycle)' }
    const array = Array.isArray(value)
    if (!array) {
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null)
        return { path, problem: `is ${className(value)}, not a plain object` }
    }
    if (Object.getOwnPropertySymbols(value).length > 0) return { path, problem: 'has symbol keys' }
    ancestors.add(value)
    for (const key of Object.keys(value)) {
      const at = [...path, array ? Number(key) : key]
      if (!array && key === '__proto__') return { path: at, problem: 'is a "__proto__" key' }
      if (!array && key === 'prototype' && path.at(-1) === 'constructor')
        return { path: at, problem: 'is a "prototype" key under "constructor"' }
      const property = Object.getOwnPropertyDescriptor(value, key)!
      if (!('value' in property)) return { path: at, problem: 'is a getter, not a value' }
      const found = walk(property.value, at)
      if (found) return found
    }
    if (array)
      for (let i = 0; i < (value as unknown[]).length; i++)
        if (!(i in value)) return { path: [...path, i], problem: 'is a hole in a sparse array' }
    ancestors.delete(value)
    return undefined
  }
  return walk(schema, [])
}

/**
 * Why a tool's result cannot be sent as JSON unchanged, or undefined when it can: a function,
 * a symbol or a bigint, NaN or ±Infinity (JSON would write null), a cycle, a `toJSON` that
 * throws, a Map, Set or Promise (JSON would write `{}`), or a getter that throws. `undefined` as a
 * property value is left out and in an array written null, as JSON does.
 */
export function outputJsonProblem(result: unknown): JsonProblem | undefined {
  const ancestors = new Set<object>()
  const walk = (input: unknown, path: Path, key: string): JsonProblem | undefined => {
    let value = input
    if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
      const toJSON = (value as { toJSON?: unknown }).toJSON
      if (typeof toJSON === 'function') {
        try {
          value = toJSON.call(value, key)
        } catch (error) {
          return { path, problem: `its toJSON threw: ${thrownMessage(error)}` }
        }
      }
    }
    const kind = notJson(value)
    if (kind) return { path, problem: kind }
    if (typeof value !== 'object' || value === null) return undefined
    if (ancestors.has(value)) return { path, problem: 'refers back to itself (a cycle)' }
    if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet)
      return {
        path,
        problem: `is a ${className(value)}, which JSON writes as {} (send an array or a plain object)`,
      }
    if (value instanceof Promise) return { path, problem: 'is a Promise (await it before returning)' }
    ancestors.add(value)
    const array = Array.isArray(value)
    const keys = array
      ? Array.from({ length: (value as unknown[]).length }, (_, i) => String(i))
      : Object.keys(value)
    for (const k of keys) {
      let item: unknown
      try {
        item = (value as Record<string, unknown>)[k]
      } catch (error) {
        return {
          path: [...path, array ? Number(k) : k],
          problem: `reading it threw: ${thrownMessage(error)}`,
        }
      }
      if (item === undefined) continue
      const found = walk(item, [...path, array ? Number(k) : k], k)
      if (found) return found
    }
    ancestors.delete(value)
    return undefined
  }
  try {
    return walk(result, [], '')
  } catch (error) {
    if (error instanceof RangeError) return { path: [], problem: 'nests too deep to be written as JSON' }
    throw error
  }
}

/** What kind of non-JSON value this is, or undefined for a JSON primitive, object or array. */
function notJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'function':
      return 'is a function'
    case 'symbol':
      return 'is a symbol'
    case 'bigint':
      return 'is a bigint (send it as a string or a number)'
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${String(value)}, which JSON cannot hold`
    default:
      return undefined
  }
}

function className(value: object): string {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor
    ?.name
  return typeof name === 'string' && name ? `a ${name}` : 'an object with a prototype'
}
