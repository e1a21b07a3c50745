import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { z as z3 } from 'zod/v3'
import { BatonError } from '../errors/index.js'
import { defineTool, isTool } from './index.js'

const input = z.object({ a: z.number(), b: z.number() })
const base = {
  name: 'add',
  description: 'Adds two numbers',
  input,
  run: ({ a, b }: { a: number; b: number }) => a + b,
}

/** Calls defineTool with `base` overridden, and returns the error it must throw. */
function definitionError(overrides: Record<string, unknown>): BatonError {
  try {
    defineTool({ ...base, ...overrides } as never)
  } catch (error) {
    expect(error).toBeInstanceOf(BatonError)
    expect((error as BatonError).code).toBe('INVALID_DEFINITION')
    return error as BatonError
  }
  throw new Error(`defineTool accepted ${JSON.stringify(Object.keys(overrides))}`)
}

describe('defineTool: a valid definition', () => {
  it('returns a tool value with its spec (parameters as JSON Schema) and defaults', () => {
    const tool = defineTool(base)
    expect(isTool(tool)).toBe(true)
    expect(tool.kind).toBe('baton.tool')
    expect(tool.name).toBe('add')
    expect(tool.description).toBe('Adds two numbers')
    expect(tool.spec).toEqual({
      name: 'add',
      description: 'Adds two numbers',
      parameters: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' } },
        required: ['a', 'b'],
      },
    })
    expect(tool.timeoutMs).toBeUndefined()
    expect(tool.needsApproval).toBe(false)
    expect(tool.maxResultChars).toBe(20_000)
    expect(tool.output).toBeUndefined()
    expect(tool.input.kind).toBe('zod4')
    expect(tool.run({ a: 2, b: 3 }, {} as never)).toBe(5)
  })

  it('keeps timeoutMs, maxResultChars, needsApproval and output', async () => {
    const approve = () => true
    const tool = defineTool({
      ...base,
      timeoutMs: 1500,
      maxResultChars: 10,
      needsApproval: approve,
      output: z.number().int(),
    })
    expect(tool.timeoutMs).toBe(1500)
    expect(tool.maxResultChars).toBe(10)
    expect(tool.needsApproval).toBe(approve)
    expect(tool.output?.kind).toBe('zod4')
    expect(tool.output?.jsonSchema).toMatchObject({ type: 'integer' })
    expect(await tool.output?.validate(1.5)).toMatchObject({ success: false })
  })

  it('accepts a zod 3 input schema and a JSON Schema input, both described to the model', () => {
    const v3 = defineTool({ ...base, input: z3.object({ q: z3.string() }), run: () => 'ok' })
    expect(v3.input.kind).toBe('zod3')
    expect(v3.spec.parameters).toMatchObject({
      type: 'object',
      properties: { q: { type: 'string' } },
      required: ['q'],
    })
    expect(v3.spec.parameters).not.toHaveProperty('$schema')

    const json = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { q: { type: 'string' } },
      required: ['q'],
    }
    const js = defineTool({ ...base, input: json, run: () => 'ok' })
    expect(js.input.kind).toBe('json-schema')
    expect(js.spec.parameters).toEqual({
      type: 'object',
      properties: { q: { type: 'string' } },
      required: ['q'],
    })
  })

  it('a zod 4 input is never described as the empty schema', () => {
    const tool = defineTool({ ...base, input: z.object({ query: z.string().min(1) }), run: () => 'ok' })
    expect(tool.spec.parameters).not.toEqual({})
    expect(tool.spec.parameters).toMatchObject({
      type: 'object',
      properties: { query: { type: 'string', minLength: 1 } },
      required: ['query'],
    })
    expect(tool.spec.parameters).not.toHaveProperty('$schema')
  })

  it.each(['a', 'A_b-9', 'x'.repeat(64)])('accepts the name %j', (name) => {
    expect(defineTool({ ...base, name }).name).toBe(name)
  })
})

describe('defineTool: bad definitions throw INVALID_DEFINITION naming the field and the value', () => {
  it('refuses a definition that is not an object', () => {
    for (const value of [undefined, null, 'add']) {
      try {
        defineTool(value as never)
        throw new Error('accepted')
      } catch (error) {
        expect(error).toBeInstanceOf(BatonError)
        expect((error as BatonError).code).toBe('INVALID_DEFINITION')
        expect((error as BatonError).message).toMatch(/^defineTool: expected a tool definition object, got /)
      }
    }
  })

  it.each([
    ['with a space', '"with a space"'],
    ['', '""'],
    ['dots.not.allowed', '"dots.not.allowed"'],
    ['x'.repeat(65), `"${'x'.repeat(65)}"`],
    [42, 'number 42'],
    [undefined, 'undefined'],
  ])('name %j', (name, shown) => {
    const error = definitionError({ name })
    expect(error.message).toContain('tool name')
    expect(error.message).toContain(`got ${shown}`)
    expect(error.details).toEqual({ field: 'name', value: name })
  })

  it.each([
    [undefined, 'got undefined'],
    ['', 'got the string ""'],
    ['   ', 'got the string "   "'],
    [7, 'got number 7'],
  ])('description %j', (description, shown) => {
    const error = definitionError({ description })
    expect(error.message).toBe(`tool "add": description must be a non-empty string, ${shown}`)
  })

  it.each([
    [undefined, 'got undefined'],
    ['run', 'got the string "run"'],
    [{}, 'got object'],
  ])('run %j', (run, shown) => {
    const error = definitionError({ run })
    expect(error.message).toBe(`tool "add": run must be a function, ${shown}`)
  })

  it.each([
    ['a zod 4 string', z.string(), 'got "string"'],
    ['a zod 4 array', z.array(z.number()), 'got "array"'],
    ['a zod 3 string', z3.string(), 'got "string"'],
    ['a JSON Schema string', { type: 'string' }, 'got "string"'],
  ])('input that is not an object schema: %s', (_label, schema, shown) => {
    const error = definitionError({ input: schema })
    expect(error.message).toBe(
      `tool "add": input: must describe an object (JSON Schema "type": "object"), ${shown}`,
    )
  })

  it('input missing', () => {
    const error = definitionError({ input: undefined })
    expect(error.message).toBe(
      'tool "add": input: expected a zod schema or a JSON Schema object, got undefined',
    )
  })

  it('input that is an invalid JSON Schema', () => {
    const error = definitionError({ input: { type: 'object', properties: { a: { type: 'integerr' } } } })
    expect(error.message).toMatch(/^tool "add": input: invalid JSON Schema: /)
  })

  it('output that is not a schema', () => {
    const error = definitionError({ output: 'number' })
    expect(error.message).toBe(
      'tool "add": output: expected a zod schema or a JSON Schema object, got the string "number"',
    )
  })

  it.each([
    [0, 'number 0'],
    [-5, 'number -5'],
    [Number.NaN, 'number NaN'],
    [Number.POSITIVE_INFINITY, 'number Infinity'],
    ['100', 'the string "100"'],
    [null, 'null'],
  ])('timeoutMs %j', (timeoutMs, shown) => {
    const error = definitionError({ timeoutMs })
    expect(error.message).toBe(`tool "add": timeoutMs must be a positive number, got ${shown}`)
  })

  it.each([
    [0, 'number 0'],
    ['big', 'the string "big"'],
  ])('maxResultChars %j', (maxResultChars, shown) => {
    const error = definitionError({ maxResultChars })
    expect(error.message).toBe(`tool "add": maxResultChars must be a positive number, got ${shown}`)
  })

  it('needsApproval that is neither a boolean nor a function', () => {
    const error = definitionError({ needsApproval: 'yes' })
    expect(error.message).toBe(
      'tool "add": needsApproval must be a boolean or a function, got the string "yes"',
    )
  })

  it('idempotent that is not a boolean', () => {
    const error = definitionError({ idempotent: 'yes' })
    expect(error.message).toBe('tool "add": idempotent must be true or false, got the string "yes"')
  })
})
