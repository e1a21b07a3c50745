import type { JsonSchema } from '../model/types.js'

/** One validation problem: where (a path into the value) and what. */
export interface SchemaIssue {
  path: (string | number)[]
  message: string
}

/** Failures are values: `{ success, data } | { success, issues }`. */
export type ValidationResult<T> = { success: true; data: T } | { success: false; issues: SchemaIssue[] }

export type SchemaKind = 'zod4' | 'zod3' | 'json-schema'

/** A schema Baton can both describe to a model (JSON Schema) and validate with. */
export interface Schema<T = unknown> {
  readonly kind: SchemaKind
  readonly jsonSchema: JsonSchema
  validate(value: unknown): ValidationResult<T> | Promise<ValidationResult<T>>
}

/** What `defineTool`/`defineAgent` accept as a schema: zod 4, zod 3 or a JSON Schema object. */
// biome-ignore lint/suspicious/noExplicitAny: zod types of either major version are accepted structurally
export type SchemaInput<T = any> = StandardSchemaLike<T> | JsonSchema

/** The part of the Standard Schema interface (implemented by zod 3.24+ and zod 4) Baton uses. */
export interface StandardSchemaLike<T = unknown> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    validate(value: unknown): StandardResult<T> | Promise<StandardResult<T>>
    readonly types?: { readonly input: unknown; readonly output: T } | undefined
  }
}

type StandardResult<T> =
  | { readonly value: T; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
      }>
    }

/** The value type a schema input validates to. */
export type InferSchema<S> = S extends StandardSchemaLike<infer T> ? T : unknown
