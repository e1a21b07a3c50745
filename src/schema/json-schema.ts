import { createRequire } from 'node:module'
import { BatonError, thrownMessage } from '../errors/index.js'
import type { JsonSchema } from '../model/types.js'
import { formatPath } from './format-issues.js'
import { schemaJsonProblem } from './plain-json.js'
import { describe } from './to-schema.js'
import type { Schema, SchemaIssue } from './types.js'

const require = createRequire(import.meta.url)

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}
type ValidateFn = ((value: unknown) => boolean) & { errors?: AjvError[] | null }
interface AjvLike {
  compile(schema: object): ValidateFn
}

let ajv2020: AjvLike | undefined
let ajv07: AjvLike | undefined

/** How deep a JSON Schema given as an object may nest. */
export const SCHEMA_MAX_DEPTH = 500

const DRAFT_2020 = /^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/
const DRAFT_07 = /^http:\/\/json-schema\.org\/draft-07\/schema#?$/

/** The `$schema` values Baton checks with Ajv, as the refusal of any other lists them. */
export const ACCEPTED_DIALECTS =
  'draft 2020-12 ("https://json-schema.org/draft/2020-12/schema", also when $schema is absent) and draft-07 ("http://json-schema.org/draft-07/schema#")'

/** Whether the schema says draft-07; throws for a `$schema` that is neither 2020-12 nor draft-07. */
function isDraft07(schema: JsonSchema, where: string): boolean {
  const dialect = schema.$schema
  if (dialect === undefined || (typeof dialect === 'string' && DRAFT_2020.test(dialect))) return false
  if (typeof dialect === 'string' && DRAFT_07.test(dialect)) return true
  throw new BatonError(
    'INVALID_DEFINITION',
    `${where}: invalid JSON Schema: $schema ${typeof dialect === 'string' ? JSON.stringify(dialect) : describe(dialect)} is not a dialect Baton can check; accepted: ${ACCEPTED_DIALECTS}`,
    { details: { field: '$schema', value: dialect } },
  )
}

// Ajv loads on first use: importing Baton stays fast for people who only use zod.
function ajvFor(schema: JsonSchema, draft07: boolean): AjvLike {
  const Ajv = draft07 ? require('ajv').default : require('ajv/dist/2020').default
  // Ajv registers a schema under its `$id`; two definitions may share one, so each gets its own instance.
  if (schema.$id !== undefined) return createAjv(Ajv)
  if (draft07) {
    ajv07 ??= createAjv(Ajv)
    return ajv07
  }
  ajv2020 ??= createAjv(Ajv)
  return ajv2020
}

function createAjv(Ajv: new (options: object) => AjvLike): AjvLike {
  const ajv = new Ajv({ allErrors: true, strict: false })
  ;(require('ajv-formats').default as (a: AjvLike) => void)(ajv)
  return ajv
}

/** Wraps a plain JSON Schema object, validated with Ajv (draft 2020-12 unless it says draft-07). */
export function fromJsonSchema(schema: JsonSchema, where: string): Schema {
  const wrong = schemaJsonProblem(schema, SCHEMA_MAX_DEPTH)
  if (wrong)
    throw new BatonError(
      'INVALID_DEFINITION',
      `${where}: invalid JSON Schema: at ${formatPath(wrong.path)}, the value ${wrong.problem}; a JSON Schema must be plain JSON`,
      { details: { path: wrong.path } },
    )
  const draft07 = isDraft07(schema, where)
  let check: ValidateFn
  try {
    check = ajvFor(schema, draft07).compile(schema)
  } catch (error) {
    throw new BatonError('INVALID_DEFINITION', `${where}: invalid JSON Schema: ${thrownMessage(error)}`)
  }
  const { $schema: _dialect, ...jsonSchema } = schema
  return {
    kind: 'json-schema',
    jsonSchema,
    validate(value) {
      if (check(value)) return { success: true, data: value }
      return { success: false, issues: (check.errors ?? []).map(toIssue) }
    },
  }
}

function toIssue(error: AjvError): SchemaIssue {
  const path: (string | number)[] = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part))
  if (error.keyword === 'required' || error.keyword === 'additionalProperties') {
    const name = error.params.missingProperty ?? error.params.additionalProperty
    return {
      path: [...path, String(name)],
      message: error.keyword === 'required' ? 'required property is missing' : 'property is not allowed',
    }
  }
  const allowed = error.keyword === 'enum' ? `: ${JSON.stringify(error.params.allowedValues)}` : ''
  return { path, message: `${error.message ?? error.keyword}${allowed}` }
}
