import { createRequire } from 'node:module'
import { BatonError } from '../errors/index.js'
import type { JsonSchema } from '../model/types.js'
import { thrownText } from './plain-json.js'
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
  try {
    const own = schema.toJSONSchema
    const json =
      typeof own === 'function'
        ? (own as (o: object) => JsonSchema).call(schema, { io: 'input' })
        : (require('zod/v4/core') as { toJSONSchema: (s: unknown, o: object) => JsonSchema }).toJSONSchema(
            schema,
            {
              io: 'input',
            },
          )
    return withoutDialect(json)
  } catch (error) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: this zod schema cannot be described as JSON Schema: ${thrownText(error)}`,
    )
  }
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
      `${where}: this zod 3 schema cannot be described as JSON Schema: ${thrownText(error)}`,
    )
  }
}

function withoutDialect(json: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = json
  return rest
}
