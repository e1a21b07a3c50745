import { createRequire } from 'node:module'
import { BatonError, thrownMessage } from '../errors/index.js'
import type { JsonSchema } from '../model/types.js'
import type { Schema, SchemaIssue, StandardSchemaLike, ValidationResult } from './types.js'
import { zod3WithoutJsonForm } from './zod3-json-form.js'

const require = createRequire(import.meta.url)

type AnySchema = StandardSchemaLike & Record<string, unknown>

/** True for zod 4 schemas (classic and mini), which carry `_zod`. */
export function isZod4(value: object): boolean {
  return '_zod' in value && typeof (value as { _zod?: unknown })._zod === 'object'
}

/** True for zod 3 schemas: `_def` and `safeParse`, but no `_zod`. */
export function isZod3(value: object): boolean {
  return (
    !isZod4(value) && '_def' in value && typeof (value as { safeParse?: unknown }).safeParse === 'function'
  )
}

/** Wraps a zod 4 or zod 3 schema: JSON Schema for the model, Standard Schema for validation. */
export function fromStandardSchema(schema: AnySchema, where: string): Schema {
  const kind = isZod4(schema) ? 'zod4' : 'zod3'
  const jsonSchema = kind === 'zod4' ? zod4ToJsonSchema(schema, where) : zod3ToJsonSchema(schema, where)
  const standard = schema['~standard']
  return {
    kind,
    jsonSchema,
    validate(value) {
      const result = standard.validate(value)
      return result instanceof Promise ? result.then(toValidation) : toValidation(result)
    },
  }
}

function toValidation(
  result: Awaited<ReturnType<StandardSchemaLike['~standard']['validate']>>,
): ValidationResult<unknown> {
  if (!result.issues) return { success: true, data: result.value }
  const issues: SchemaIssue[] = result.issues.map((issue) => ({
    path: (issue.path ?? []).map((part) => {
      const key = typeof part === 'object' && part !== null ? part.key : part
      return typeof key === 'number' ? key : String(key)
    }),
    message: issue.message,
  }))
  return { success: false, issues }
}

// zod 4 converts itself (`io: 'input'`: the shape the model must produce, before transforms).
function zod4ToJsonSchema(schema: AnySchema, where: string): JsonSchema {
  const convert = (options: object): JsonSchema => {
    const own = schema.toJSONSchema
    return typeof own === 'function'
      ? (own as (o: object) => JsonSchema).call(schema, options)
      : (require('zod/v4/core') as { toJSONSchema: (s: unknown, o: object) => JsonSchema }).toJSONSchema(
          schema,
          options,
        )
  }
  try {
    return withoutDialect(convert({ io: 'input' }))
  } catch (error) {
    const at = zod4Unrepresentable(convert)
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: this zod schema cannot be described as JSON Schema: ${thrownMessage(error)}${at === undefined ? '' : ` (at ${at})`}`,
      at === undefined ? undefined : { details: { path: at } },
    )
  }
}

/** Where the first type zod 4 cannot describe sits, as a field path (`trip.legs[].at`), when it says. */
function zod4Unrepresentable(convert: (options: object) => JsonSchema): string | undefined {
  let found: (string | number)[] | undefined
  try {
    convert({
      io: 'input',
      unrepresentable: 'any',
      override(ctx: { zodSchema: { _zod?: { def?: { type?: unknown } } }; path: (string | number)[] }) {
        if (!found && UNREPRESENTABLE.has(String(ctx.zodSchema._zod?.def?.type))) found = ctx.path
      },
    })
  } catch {
    return undefined
  }
  return found && fieldPath(found)
}

const UNREPRESENTABLE = new Set([
  'date',
  'bigint',
  'map',
  'set',
  'symbol',
  'function',
  'promise',
  'nan',
  'undefined',
  'void',
  'custom',
  'transform',
])

/** A JSON Schema location (`properties/a/items/properties/b`) as the field path it describes (`a[].b`). */
function fieldPath(path: readonly (string | number)[]): string {
  let out = ''
  for (let i = 0; i < path.length; i++) {
    const part = path[i]
    if (part === 'properties' && i + 1 < path.length) out += `${out ? '.' : ''}${String(path[++i])}`
    else if (part === 'items' || part === 'additionalItems') out += '[]'
    else if (part === 'additionalProperties') out += '[*]'
    else if (part === 'prefixItems' && i + 1 < path.length) out += `[${String(path[++i])}]`
    else if ((part === 'anyOf' || part === 'oneOf' || part === 'allOf') && i + 1 < path.length) i++
  }
  return out || '(root)'
}

// zod-to-json-schema is only correct for zod 3 (on zod 4 it silently returns `{}`), so it is
// reached only after `isZod3`, and loaded only when a zod 3 schema is actually used.
function zod3ToJsonSchema(schema: AnySchema, where: string): JsonSchema {
  const found = zod3WithoutJsonForm(schema)
  if (found)
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: at ${found.path}, ${found.what} has no JSON Schema form, so a model cannot send one; use a type JSON has (a string, a number, an array, an object)${found.what === 'a date' || found.what === 'a bigint' ? ' or z.coerce' : ''}`,
      { details: { path: found.path } },
    )
  try {
    const { zodToJsonSchema } = require('zod-to-json-schema') as {
      zodToJsonSchema: (s: unknown, o: object) => JsonSchema
    }
    return withoutDialect(zodToJsonSchema(schema, { $refStrategy: 'none', target: 'jsonSchema7' }))
  } catch (error) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: this zod 3 schema cannot be described as JSON Schema: ${thrownMessage(error)}`,
    )
  }
}

function withoutDialect(json: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = json
  return rest
}
