/**
 * Schemas refused at definition, naming where: zod 3 types with no JSON Schema form, JSON
 * Schemas that are not plain JSON (or nest too deep, or carry `__proto__`), dialects Ajv here
 * cannot check, and top-level schemas that are not one object.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { z as z3 } from 'zod/v3'
import { defineAgent, defineTool } from '../src/index.js'
import { formatIssues } from '../src/schema/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { definitionError } from './helpers.js'

/** `items` with the slot at `at` emptied (a hole, not `undefined`). */
function withHole<T>(items: T[], at: number): T[] {
  const out = [...items]
  delete out[at]
  return out
}

const toolWith = (input: unknown, name = 'tool1') =>
  defineTool({ name, description: 'A tool', input: input as never, run: () => 'ok' })

describe('zod 3 types with no JSON Schema form are refused at defineTool, naming the field', () => {
  it.each([
    ['a date', z3.object({ when: z3.date() }), 'when', 'a date'],
    ['a bigint', z3.object({ n: z3.bigint() }), 'n', 'a bigint'],
    ['a map', z3.object({ m: z3.map(z3.string(), z3.number()) }), 'm', 'a map'],
    ['a set', z3.object({ s: z3.set(z3.string()) }), 's', 'a set'],
    ['a function', z3.object({ f: z3.function() }), 'f', 'a function'],
    ['a symbol', z3.object({ s: z3.symbol() }), 's', 'a symbol'],
    ['a promise', z3.object({ p: z3.promise(z3.string()) }), 'p', 'a promise'],
    ['NaN', z3.object({ x: z3.nan() }), 'x', 'NaN'],
    [
      'a date deep inside',
      z3.object({ trip: z3.object({ legs: z3.array(z3.object({ at: z3.date() })) }) }),
      'trip.legs[].at',
      'a date',
    ],
    ['a date in an optional field', z3.object({ at: z3.date().optional() }), 'at', 'a date'],
    ['a date in a union', z3.object({ at: z3.union([z3.string(), z3.date()]) }), 'at', 'a date'],
    ['a date behind a transform', z3.object({ at: z3.date().transform((d) => d.getTime()) }), 'at', 'a date'],
    ['a bigint in a record', z3.object({ r: z3.record(z3.bigint()) }), 'r[*]', 'a bigint'],
    ['a date in a tuple', z3.object({ t: z3.tuple([z3.string(), z3.date()]) }), 't[1]', 'a date'],
  ])('%s', (_label, input, path, what) => {
    const error = definitionError(() => toolWith(input, 'calendar'))
    expect(error.message).toContain('tool "calendar": input')
    expect(error.message).toContain(`at ${path}, ${what} has no JSON Schema form`)
  })

  it('types JSON can carry still work: coerced dates, pipes from strings, recursive (lazy) schemas', () => {
    type Node = { name: string; children: Node[] }
    const node: z3.ZodType<Node> = z3.lazy(() => z3.object({ name: z3.string(), children: z3.array(node) }))
    expect(() => toolWith(z3.object({ at: z3.coerce.date() }))).not.toThrow()
    expect(() => toolWith(z3.object({ at: z3.string().pipe(z3.coerce.date()) }))).not.toThrow()
    expect(() => toolWith(z3.object({ tree: node }))).not.toThrow()
    expect(() =>
      toolWith(z3.object({ a: z3.string().optional(), b: z3.undefined().or(z3.number()) })),
    ).not.toThrow()
  })

  it('an agent output schema is checked the same way', () => {
    const error = definitionError(() =>
      defineAgent({
        name: 'a',
        instructions: 'x',
        model: scriptedModel([]),
        output: z3.object({ at: z3.date() }),
      }),
    )
    expect(error.message).toContain('agent "a": output: at at, a date has no JSON Schema form')
  })
})

describe('a raw JSON Schema must be plain JSON, at most 500 levels deep', () => {
  const cyclic = () => {
    const schema: Record<string, unknown> = { type: 'object', properties: {} }
    ;(schema.properties as Record<string, unknown>).self = schema
    return schema
  }
  class Custom {
    type = 'string'
  }
  it.each([
    [
      'a function',
      { type: 'object', properties: { a: { type: 'string', default: () => 'x' } } },
      'properties.a.default',
      /is a function/,
    ],
    ['a cycle', cyclic(), 'properties.self', /cycle/],
    [
      'a getter',
      {
        type: 'object',
        properties: {
          get a() {
            return { type: 'string' }
          },
        },
      },
      'properties.a',
      /getter/,
    ],
    ['a class instance', { type: 'object', properties: { a: new Custom() } }, 'properties.a', /Custom/],
    [
      'a Date',
      { type: 'object', properties: { a: { type: 'string', default: new Date(0) } } },
      'properties.a.default',
      /Date/,
    ],
    ['a bigint', { type: 'object', maxProperties: 3n }, 'maxProperties', /bigint/],
    [
      'NaN',
      { type: 'object', properties: { a: { type: 'number', maximum: Number.NaN } } },
      'properties.a.maximum',
      /NaN/,
    ],
    [
      'a "__proto__" key',
      JSON.parse('{"type": "object", "properties": {"__proto__": {"type": "string"}}}'),
      'properties.__proto__',
      /__proto__/,
    ],
    [
      'a constructor.prototype path',
      JSON.parse('{"type": "object", "properties": {"constructor": {"prototype": {"type": "string"}}}}'),
      'properties.constructor.prototype',
      /prototype/,
    ],
    ['a symbol key', { type: 'object', [Symbol('x')]: 1 }, '(root)', /symbol/],
    ['a sparse array', { type: 'object', required: withHole(['a', 'x', 'b'], 1) }, 'required[1]', /hole/],
  ])('%s is refused at defineTool, naming the path', (_label, schema, path, problem) => {
    const error = definitionError(() => toolWith(schema, 'plain'))
    expect(error.message).toContain('tool "plain": input: invalid JSON Schema')
    expect(error.message).toContain(`at ${path}`)
    expect(error.message).toMatch(problem)
  })

  const nested = (levels: number) => {
    let schema: Record<string, unknown> = { type: 'string' }
    for (let i = 1; i < levels; i++) schema = { type: 'object', properties: { a: schema } }
    return schema
  }

  it('a schema deeper than 500 levels is refused (and does not overflow the stack)', () => {
    const error = definitionError(() => toolWith(nested(100_000), 'deep'))
    expect(error.message).toContain('tool "deep": input: invalid JSON Schema')
    expect(error.message).toContain('deeper than 500 levels')
  })

  it('a deep schema within the limit is accepted', () => {
    // Each level of nesting is two objects: the subschema and its properties.
    expect(() => toolWith(nested(200), 'deep')).not.toThrow()
  })

  it('a shared (not cyclic) subschema is accepted', () => {
    const name = { type: 'string', minLength: 1 }
    expect(() => toolWith({ type: 'object', properties: { first: name, last: name } })).not.toThrow()
  })
})

describe('JSON Schema dialects', () => {
  it.each([
    ['draft-04', 'http://json-schema.org/draft-04/schema#'],
    ['draft-06', 'http://json-schema.org/draft-06/schema#'],
    ['draft 2019-09', 'https://json-schema.org/draft/2019-09/schema'],
    ['an unknown URL', 'https://example.com/my-dialect'],
    ['draft-07 under an https URL (not the id Ajv knows it by)', 'https://json-schema.org/draft-07/schema#'],
  ])('%s is refused at definition, listing the accepted dialects', (_label, dialect) => {
    const error = definitionError(() => toolWith({ $schema: dialect, type: 'object' }, 'dialect'))
    expect(error.message).toContain('tool "dialect": input')
    expect(error.message).toContain(dialect)
    expect(error.message).toContain('draft 2020-12')
    expect(error.message).toContain('draft-07')
  })

  it('a $schema that is not a string is refused', () => {
    expect(definitionError(() => toolWith({ $schema: 7, type: 'object' })).message).toContain(
      '$schema number 7',
    )
  })

  it.each([
    'https://json-schema.org/draft/2020-12/schema',
    'https://json-schema.org/draft/2020-12/schema#',
    'http://json-schema.org/draft-07/schema#',
    'http://json-schema.org/draft-07/schema',
  ])('%s is accepted', (dialect) => {
    expect(() => toolWith({ $schema: dialect, type: 'object' })).not.toThrow()
  })
})

describe('tool parameters must be one object schema', () => {
  it.each([
    [
      'a zod 4 union of objects',
      z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]),
      'anyOf',
    ],
    [
      'a zod 3 union of objects',
      z3.union([z3.object({ a: z3.string() }), z3.object({ b: z3.number() })]),
      'anyOf',
    ],
    ['a JSON Schema oneOf', { oneOf: [{ type: 'object' }, { type: 'object' }] }, 'oneOf'],
    ['a JSON Schema type list', { type: ['object', 'null'] }, '"type": ["object","null"]'],
  ])('%s: a message that says so', (_label, input, what) => {
    const error = definitionError(() => toolWith(input, 'either'))
    expect(error.message).toContain('tool "either": input')
    expect(error.message).toContain(`got a union (${what})`)
    expect(error.message).toContain('tool parameters must be one object schema')
  })
})

describe('formatIssues shows at most 20 issues', () => {
  it('with a note of how many were left out', () => {
    const issues = Array.from({ length: 1000 }, (_, i) => ({ path: [`f${i}`], message: 'bad' }))
    const lines = formatIssues(issues).split('\n')
    expect(lines).toHaveLength(21)
    expect(lines[19]).toBe('- at f19: bad')
    expect(lines[20]).toContain('980 more issues not shown')
  })
})

describe('zod 4 types with no JSON Schema form', () => {
  it.each([
    [
      'a date deep inside',
      z.object({ trip: z.object({ legs: z.array(z.object({ at: z.date() })) }) }),
      'trip.legs[].at',
      /Date/,
    ],
    ['a bigint in an optional field', z.object({ n: z.bigint().optional() }), 'n', /BigInt/i],
    ['a map in a union', z.object({ m: z.union([z.string(), z.map(z.string(), z.string())]) }), 'm', /Map/],
  ])('%s is refused at definition, naming the field', (_label, input, path, what) => {
    const error = definitionError(() => toolWith(input, 'calendar'))
    expect(error.message).toContain('tool "calendar": input')
    expect(error.message).toMatch(what)
    expect(error.message).toContain(`(at ${path})`)
  })
})
