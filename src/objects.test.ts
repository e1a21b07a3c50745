import { describe, expect, it } from 'vitest'
import { layered, withFields } from './objects.js'

describe('withFields', () => {
  it('copies the base with the extra fields laid over it, in the order a spread gives', () => {
    const base = { a: 1, b: 2, c: 3 }
    const out = withFields(base, { b: 20, d: 4 })
    expect(out).toEqual({ a: 1, b: 20, c: 3, d: 4 })
    expect(Object.keys(out)).toEqual(['a', 'b', 'c', 'd'])
    expect(base).toEqual({ a: 1, b: 2, c: 3 })
    expect(out).not.toBe(base)
  })

  it('keeps a __proto__ field a field, as a spread does (no prototype is set)', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as object
    const out = withFields(hostile, { y: 2 }) as Record<string, unknown>
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.hasOwn(out, '__proto__')).toBe(true)
    expect((out as { polluted?: unknown }).polluted).toBeUndefined()
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  })

  it('copies own enumerable fields only, reading getters once, as a spread does', () => {
    let reads = 0
    const base = Object.create(
      { inherited: 1 },
      {
        own: { enumerable: true, get: () => ++reads },
        hidden: { enumerable: false, value: 2 },
      },
    ) as object
    const out = withFields(base, { z: 0 }) as Record<string, unknown>
    expect(out).toEqual({ own: 1, z: 0 })
    expect(reads).toBe(1)
    expect(Object.getOwnPropertyDescriptor(out, 'own')?.get).toBeUndefined()
  })
})

describe('layered', () => {
  it('lays later settings over earlier ones and skips the missing', () => {
    const defaults = { maxSteps: 50, maxDepth: 5 }
    expect(layered(defaults, { maxSteps: 210 }, undefined)).toEqual({ maxSteps: 210, maxDepth: 5 })
    expect(layered(defaults, undefined, { maxDepth: 2 })).toEqual({ maxSteps: 50, maxDepth: 2 })
    expect(layered(defaults, { maxSteps: 1 }, { maxSteps: 2 })).toEqual({ maxSteps: 2, maxDepth: 5 })
    expect(defaults).toEqual({ maxSteps: 50, maxDepth: 5 })
  })
})
