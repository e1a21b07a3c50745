import { BatonError } from '../errors/index.js'
import type { JsonSchema } from '../model/types.js'
import { fromJsonSchema } from './json-schema.js'
import { fromStandardSchema, isZod3, isZod4 } from './standard-schema.js'
import type { Schema, SchemaInput } from './types.js'

/**
 * Accepts a zod 4 schema, a zod 3 schema or a plain JSON Schema object and returns one
 * `Schema`. `where` names the field in error messages (e.g. `tool "search": input`).
 */
export function toSchema(input: SchemaInput | undefined, where: string): Schema {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: expected a zod schema or a JSON Schema object, got ${describe(input)}`,
    )
  }
  if (isZod4(input) || isZod3(input)) {
    if (!('~standard' in input)) {
      throw new BatonError(
        'INVALID_DEFINITION',
        `${where}: this zod version is too old; use zod >= 3.24 or zod 4`,
      )
    }
    return fromStandardSchema(input as never, where)
  }
  if ('~standard' in input) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: schemas from "${(input as { '~standard': { vendor: string } })['~standard'].vendor}" are not supported; use zod or JSON Schema`,
    )
  }
  return fromJsonSchema(input as JsonSchema, where)
}

/** Like `toSchema`, and also requires the schema to describe a JSON object (what tools take). */
export function toObjectSchema(input: SchemaInput | undefined, where: string): Schema {
  const schema = toSchema(input, where)
  const json = schema.jsonSchema
  const type = json.type
  const union = (['anyOf', 'oneOf'] as const).find((key) => Array.isArray(json[key]))
  if (type !== 'object' && (union || Array.isArray(type))) {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: must describe an object (JSON Schema "type": "object"), got a union (${union ?? `"type": ${JSON.stringify(type)}`}): tool parameters must be one object schema; put the alternatives in a property of it (e.g. a discriminated union under one key)`,
    )
  }
  if (type !== 'object') {
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: must describe an object (JSON Schema "type": "object"), got ${type === undefined ? 'a schema without a type' : JSON.stringify(type)}`,
    )
  }
  return schema
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`
  return typeof value
}
