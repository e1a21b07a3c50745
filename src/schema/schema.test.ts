import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { z as zm } from 'zod/mini'
import { z as z3 } from 'zod/v3'
import { BatonError } from '../errors/index.js'
import {
  formatIssues,
  formatPath,
  type Schema,
  toObjectSchema,
  toSchema,
  type ValidationResult,
} from './index.js'

const require = createRequire(import.meta.url)

/** A fresh, independent Ajv (2020-12) to check that a produced JSON Schema really constrains data. */
function independentCheck(jsonSchema: object): (value: unknown) => boolean {
  const Ajv2020 = require('ajv/dist/2020').default as new (
    o: object,
  ) => {
    compile(s: object): (v: unknown) => boolean
  }
  return new Ajv2020({ strict: false }).compile(jsonSchema)
}

async function validate<T>(schema: Schema<T>, value: unknown): Promise<ValidationResult<T>> {
  return await schema.validate(value)
}

async function issuesOf(schema: Schema, value: unknown) {
  const result = await validate(schema, value)
  if (result.success) throw new Error(`expected ${JSON.stringify(value)} to be rejected`)
  return result.issues
}

function thrown(fn: () => unknown): BatonError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(BatonError)
    return error as BatonError
  }
  throw new Error('expected a BatonError to be thrown')
}

describe('zod 4 schemas', () => {
  const input = z.object({
    city: z.string().describe('The city to search'),
    days: z.number().int().min(1),
    units: z.enum(['metric', 'imperial']).default('metric'),
    tags: z.array(z.string()).optional(),
    when: z.string().transform((s) => s.toUpperCase()),
  })

  it('converts to a real JSON Schema, not the empty schema zod-to-json-schema gives for zod 4', () => {
    const schema = toObjectSchema(input, 'tool "search": input')
    expect(schema.kind).toBe('zod4')
    const json = schema.jsonSchema
    expect(json).not.toEqual({})
    expect(json.type).toBe('object')
    expect(Object.keys(json.properties as object).sort()).toEqual(['city', 'days', 'tags', 'units', 'when'])
    const props = json.properties as Record<string, Record<string, unknown>>
    expect(props.city).toMatchObject({ type: 'string', description: 'The city to search' })
    expect(props.days).toMatchObject({ type: 'integer', minimum: 1 })
    expect(props.units).toMatchObject({ type: 'string', enum: ['metric', 'imperial'], default: 'metric' })
    expect(props.tags).toMatchObject({ type: 'array', items: { type: 'string' } })
    // io: 'input': the shape the model must produce, before the transform.
    expect(props.when).toMatchObject({ type: 'string' })
    // A field with a default is optional for the model (io: 'input'), an optional one too.
    expect([...(json.required as string[])].sort()).toEqual(['city', 'days', 'when'])
    expect(json).not.toHaveProperty('$schema')
  })

  it('produces a JSON Schema that rejects bad data when checked independently (not "accept everything")', () => {
    const check = independentCheck(toObjectSchema(input, 'w').jsonSchema)
    expect(check({ city: 'Lisbon', days: 2, when: 'now' })).toBe(true)
    expect(check({ city: 'Lisbon', days: 'two', when: 'now' })).toBe(false)
    expect(check({ days: 2, when: 'now' })).toBe(false)
    expect(check('not an object')).toBe(false)
  })

  it('validates: valid data passes with the parsed data (defaults and transforms applied)', async () => {
    const schema = toObjectSchema(input, 'w')
    const result = await validate(schema, { city: 'Lisbon', days: 2, when: 'today' })
    expect(result).toEqual({
      success: true,
      data: { city: 'Lisbon', days: 2, units: 'metric', when: 'TODAY' },
    })
  })

  it('validates: invalid data gives issues with the exact path and a message', async () => {
    const schema = toObjectSchema(input, 'w')
    const issues = await issuesOf(schema, { city: 3, days: 1.5, units: 'kelvin', tags: ['a', 7], when: 'x' })
    const paths = issues.map((issue) => issue.path)
    expect(paths).toEqual(expect.arrayContaining([['city'], ['days'], ['units'], ['tags', 1]]))
    expect(paths).toHaveLength(4)
    for (const issue of issues) expect(issue.message).toMatch(/\S/)
    expect(issues.find((i) => i.path[0] === 'city')!.message).toMatch(/expected string/i)
    expect(issues.find((i) => i.path[0] === 'tags')!.path[1]).toBe(1) // a number, not "1"
  })

  it('reports a missing required field at its path', async () => {
    const issues = await issuesOf(toObjectSchema(input, 'w'), { days: 1, when: 'x' })
    expect(issues).toHaveLength(1)
    expect(issues[0]!.path).toEqual(['city'])
    expect(issues[0]!.message).toMatch(/expected string/i)
  })

  it('reports nested paths', async () => {
    const nested = z.object({ trip: z.object({ legs: z.array(z.object({ from: z.string() })) }) })
    const issues = await issuesOf(toObjectSchema(nested, 'w'), {
      trip: { legs: [{ from: 'A' }, { from: 2 }] },
    })
    expect(issues.map((i) => i.path)).toEqual([['trip', 'legs', 1, 'from']])
  })

  it('keeps strict objects strict (additionalProperties: false) and rejects unknown keys', async () => {
    const schema = toObjectSchema(z.strictObject({ a: z.number() }), 'w')
    expect(schema.jsonSchema.additionalProperties).toBe(false)
    const issues = await issuesOf(schema, { a: 1, extra: true })
    expect(issues).toHaveLength(1)
    expect(issues[0]!.message).toMatch(/extra/)
  })

  it('supports async refinements (validate returns a promise)', async () => {
    const schema = toObjectSchema(
      z
        .object({ a: z.string() })
        .refine(async (v) => v.a !== 'bad', { message: 'a must not be bad', path: ['a'] }),
      'w',
    )
    expect(await validate(schema, { a: 'good' })).toEqual({ success: true, data: { a: 'good' } })
    expect(await validate(schema, { a: 'bad' })).toEqual({
      success: false,
      issues: [{ path: ['a'], message: 'a must not be bad' }],
    })
  })

  it('accepts zod/mini schemas (no toJSONSchema method) as zod 4', async () => {
    const schema = toObjectSchema(zm.object({ a: zm.number(), b: zm.optional(zm.string()) }), 'w')
    expect(schema.kind).toBe('zod4')
    expect(schema.jsonSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'string' } },
      required: ['a'],
    })
    expect(schema.jsonSchema).not.toHaveProperty('$schema')
    expect((await issuesOf(schema, { a: 'x' })).map((i) => i.path)).toEqual([['a']])
  })

  it('a non-object zod schema converts with toSchema (e.g. for output)', async () => {
    const schema = toSchema(z.array(z.number()), 'agent "a": output')
    expect(schema.jsonSchema).toEqual({ type: 'array', items: { type: 'number' } })
    expect((await issuesOf(schema, [1, 'x'])).map((i) => i.path)).toEqual([[1]])
  })

  it('fails at definition when the zod schema has no JSON Schema form, naming where', () => {
    const error = thrown(() => toObjectSchema(z.object({ at: z.date() }), 'tool "calendar": input'))
    expect(error.code).toBe('INVALID_DEFINITION')
    expect(error.message).toContain('tool "calendar": input')
    expect(error.message).toMatch(/Date/)
  })
})

describe('zod 3 schemas', () => {
  const input = z3.object({
    city: z3.string().describe('The city'),
    days: z3.number().int().min(1),
    units: z3.enum(['metric', 'imperial']).default('metric'),
    tags: z3.array(z3.string()).optional(),
    when: z3.string().transform((s) => s.length),
  })

  it('converts to a correct JSON Schema without $schema', () => {
    const schema = toObjectSchema(input, 'tool "search": input')
    expect(schema.kind).toBe('zod3')
    const json = schema.jsonSchema
    expect(json.type).toBe('object')
    const props = json.properties as Record<string, Record<string, unknown>>
    expect(Object.keys(props).sort()).toEqual(['city', 'days', 'tags', 'units', 'when'])
    expect(props.city).toMatchObject({ type: 'string', description: 'The city' })
    expect(props.days).toMatchObject({ type: 'integer', minimum: 1 })
    expect(props.units).toMatchObject({ type: 'string', enum: ['metric', 'imperial'], default: 'metric' })
    expect(props.tags).toMatchObject({ type: 'array', items: { type: 'string' } })
    expect(props.when).toMatchObject({ type: 'string' })
    expect([...(json.required as string[])].sort()).toEqual(['city', 'days', 'when'])
    expect(json).not.toHaveProperty('$schema')
    const check = independentCheck(json)
    expect(check({ city: 'x', days: 1, when: 'w' })).toBe(true)
    expect(check({ city: 'x', days: 0, when: 'w' })).toBe(false)
  })

  it('validates: parsed data with defaults and transforms', async () => {
    const result = await validate(toObjectSchema(input, 'w'), { city: 'Porto', days: 3, when: 'abcd' })
    expect(result).toEqual({ success: true, data: { city: 'Porto', days: 3, units: 'metric', when: 4 } })
  })

  it('validates: issues with exact paths and messages', async () => {
    const issues = await issuesOf(toObjectSchema(input, 'w'), {
      city: 1,
      days: 2,
      tags: ['ok', false],
      when: 'x',
    })
    expect(issues).toEqual([
      { path: ['city'], message: expect.stringMatching(/expected string/i) },
      { path: ['tags', 1], message: expect.stringMatching(/expected string/i) },
    ])
  })

  it('is told apart from zod 4 (zod 3 objects have no _zod)', () => {
    expect(toObjectSchema(z3.object({ a: z3.string() }), 'w').kind).toBe('zod3')
    expect(toObjectSchema(z.object({ a: z.string() }), 'w').kind).toBe('zod4')
  })
})

describe('JSON Schema objects', () => {
  const plain = {
    type: 'object',
    properties: {
      a: { type: 'number' },
      tags: { type: 'array', items: { type: 'string' } },
      'x/y': { type: 'string', enum: ['p', 'q'] },
    },
    required: ['a'],
    additionalProperties: false,
  }

  it('passes the schema through to the model unchanged (draft 2020-12 by default)', () => {
    const schema = toObjectSchema(plain, 'tool "t": input')
    expect(schema.kind).toBe('json-schema')
    expect(schema.jsonSchema).toEqual(plain)
  })

  it('validates: valid data passes as is', async () => {
    expect(await validate(toObjectSchema(plain, 'w'), { a: 1, tags: ['x'], 'x/y': 'p' })).toEqual({
      success: true,
      data: { a: 1, tags: ['x'], 'x/y': 'p' },
    })
  })

  it('validates: issues with exact paths (required, extra, nested, escaped keys) and messages', async () => {
    const issues = await issuesOf(toObjectSchema(plain, 'w'), { tags: ['a', 2], 'x/y': 'z', extra: 1 })
    const byPath = new Map(issues.map((i) => [JSON.stringify(i.path), i.message]))
    expect([...byPath.keys()].sort()).toEqual(
      [['a'], ['extra'], ['tags', 1], ['x/y']].map((p) => JSON.stringify(p)).sort(),
    )
    expect(byPath.get('["a"]')).toBe('required property is missing')
    expect(byPath.get('["extra"]')).toBe('property is not allowed')
    expect(byPath.get('["tags",1]')).toBe('must be string')
    expect(byPath.get('["x/y"]')).toMatch(/allowed values.*"p".*"q"/)
  })

  it('reports a wrong type at the root with an empty path', async () => {
    const issues = await issuesOf(toObjectSchema(plain, 'w'), 'a string')
    expect(issues).toEqual([{ path: [], message: 'must be object' }])
  })

  it('honours draft-07 ($schema draft-07): tuple items, definitions, and no $schema for the model', async () => {
    const draft07 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        pair: { type: 'array', items: [{ type: 'number' }, { type: 'string' }], additionalItems: false },
        n: { $ref: '#/definitions/positive' },
      },
      definitions: { positive: { type: 'integer', minimum: 1 } },
      required: ['pair'],
    }
    const schema = toObjectSchema(draft07, 'tool "d7": input')
    expect(schema.jsonSchema).not.toHaveProperty('$schema')
    const { $schema: _, ...rest } = draft07
    expect(schema.jsonSchema).toEqual(rest)
    expect(await validate(schema, { pair: [1, 'a'], n: 2 })).toEqual({
      success: true,
      data: { pair: [1, 'a'], n: 2 },
    })
    const issues = await issuesOf(schema, { pair: [1, 'a', 3], n: 0 })
    expect(issues.map((i) => i.path)).toEqual([['pair'], ['n']])
    expect(issues[0]!.message).toMatch(/more than 2 items/)
    expect(issues[1]!.message).toMatch(/>= 1/)
    expect(draft07.$schema).toBe('http://json-schema.org/draft-07/schema#') // the caller's object is not mutated
  })

  it('honours draft 2020-12 ($schema 2020-12): prefixItems, $defs', async () => {
    const draft2020 = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        pair: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }], items: false },
        n: { $ref: '#/$defs/positive' },
      },
      $defs: { positive: { type: 'integer', minimum: 1 } },
      required: ['pair'],
    }
    const schema = toObjectSchema(draft2020, 'tool "d2020": input')
    expect(schema.jsonSchema).not.toHaveProperty('$schema')
    expect(schema.jsonSchema.$defs).toEqual({ positive: { type: 'integer', minimum: 1 } })
    expect(await validate(schema, { pair: [1, 'a'], n: 3 })).toEqual({
      success: true,
      data: { pair: [1, 'a'], n: 3 },
    })
    const issues = await issuesOf(schema, { pair: [1, 2, 3], n: 0 })
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: ['pair', 1], message: 'must be string' },
        { path: ['pair'], message: expect.stringMatching(/more than 2 items/) },
        { path: ['n'], message: 'must be >= 1' },
      ]),
    )
    expect(issues).toHaveLength(3)
  })

  it('a 2020-12 schema using draft-07 tuple syntax is refused (it is checked as 2020-12)', () => {
    const error = thrown(() =>
      toObjectSchema(
        { type: 'object', properties: { pair: { type: 'array', items: [{ type: 'number' }] } } },
        'tool "tuple": input',
      ),
    )
    expect(error.code).toBe('INVALID_DEFINITION')
    expect(error.message).toContain('tool "tuple": input: invalid JSON Schema')
  })

  it('supports formats (ajv-formats)', async () => {
    const schema = toObjectSchema(
      { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
      'w',
    )
    expect((await validate(schema, { email: 'a@example.com' })).success).toBe(true)
    const issues = await issuesOf(schema, { email: 'nope' })
    expect(issues).toEqual([{ path: ['email'], message: 'must match format "email"' }])
  })

  it.each([
    ['a bad type name', { type: 'object', properties: { a: { type: 'nonsense' } } }],
    ['required that is not an array', { type: 'object', required: 'a' }],
    ['a $ref to nowhere', { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }],
  ])('an invalid JSON Schema (%s) fails at definition, naming the tool', (_label, bad) => {
    const error = thrown(() => toObjectSchema(bad, 'tool "broken": input'))
    expect(error.code).toBe('INVALID_DEFINITION')
    expect(error.message).toMatch(/^tool "broken": input: invalid JSON Schema: \S/)
  })

  it('an unsupported dialect fails at definition with a message naming the dialect', () => {
    const error = thrown(() =>
      toObjectSchema(
        { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
        'tool "old": input',
      ),
    )
    expect(error.code).toBe('INVALID_DEFINITION')
    expect(error.message).toContain('tool "old": input')
    expect(error.message).toContain('draft-04')
  })

  it('two separate definitions may use JSON Schemas with the same $id', async () => {
    // e.g. a tool factory called twice, or the same schema file loaded for two tools.
    const make = () => ({
      $id: 'https://example.com/schemas/args',
      type: 'object',
      properties: { a: { type: 'number' } },
    })
    const first = toObjectSchema(make(), 'tool "one": input')
    const second = toObjectSchema(make(), 'tool "two": input')
    expect((await issuesOf(first, { a: 'x' })).map((i) => i.path)).toEqual([['a']])
    expect((await issuesOf(second, { a: 'x' })).map((i) => i.path)).toEqual([['a']])
  })
})

describe('what toSchema and toObjectSchema refuse', () => {
  it.each([
    ['undefined', undefined, 'got undefined'],
    ['null', null, 'got null'],
    ['a string', 'string', 'got the string "string"'],
    ['a number', 42, 'got number 42'],
    ['an array', [{ type: 'string' }], 'got an array'],
  ])('%s is not a schema', (_label, value, detail) => {
    const error = thrown(() => toSchema(value as never, 'tool "x": input'))
    expect(error.code).toBe('INVALID_DEFINITION')
    expect(error.message).toBe(`tool "x": input: expected a zod schema or a JSON Schema object, ${detail}`)
  })

  it('a Standard Schema from another library is refused by vendor name', () => {
    const foreign = { '~standard': { version: 1, vendor: 'valibot', validate: () => ({ value: 1 }) } }
    const error = thrown(() => toSchema(foreign as never, 'tool "x": input'))
    expect(error.code).toBe('INVALID_DEFINITION')
    expect(error.message).toContain('tool "x": input')
    expect(error.message).toContain('"valibot"')
  })

  it.each([
    ['zod 4 string', z.string(), '"string"'],
    ['zod 3 number', z3.number(), '"number"'],
    ['JSON Schema array', { type: 'array' }, '"array"'],
    ['JSON Schema without a type', { properties: {} }, 'a schema without a type'],
  ])('toObjectSchema refuses a non-object schema (%s)', (_label, value, got) => {
    const error = thrown(() => toObjectSchema(value as never, 'tool "x": input'))
    expect(error.code).toBe('INVALID_DEFINITION')
    expect(error.message).toBe(
      `tool "x": input: must describe an object (JSON Schema "type": "object"), got ${got}`,
    )
  })
})

describe('formatPath', () => {
  it.each([
    [[], '(root)'],
    [['a'], 'a'],
    [['a', 'b', 0, 'c'], 'a.b[0].c'],
    [[0], '[0]'],
    [[2, 'x'], '[2].x'],
    [['tags', 1], 'tags[1]'],
    [['x/y'], '["x/y"]'],
    [['a', 'with space'], 'a["with space"]'],
    [['$id', '_x1'], '$id._x1'],
    [['0'], '["0"]'],
    [['a', 'quote"d'], 'a["quote\\"d"]'],
  ] as [(string | number)[], string][])('%j → %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected)
  })
})

describe('formatIssues', () => {
  it('writes one line per issue, path first', () => {
    expect(
      formatIssues([
        { path: ['a'], message: 'Invalid input: expected number, received string' },
        { path: ['trip', 'legs', 1, 'from'], message: 'required' },
        { path: [], message: 'must be object' },
      ]),
    ).toBe(
      [
        '- at a: Invalid input: expected number, received string',
        '- at trip.legs[1].from: required',
        '- at (root): must be object',
      ].join('\n'),
    )
  })

  it('is empty for no issues', () => {
    expect(formatIssues([])).toBe('')
  })
})
