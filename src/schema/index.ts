export { formatIssues, formatPath } from './format-issues.js'
export { describe, toObjectSchema, toSchema } from './to-schema.js'
export type {
  InferSchema,
  Schema,
  SchemaInput,
  SchemaIssue,
  SchemaKind,
  StandardSchemaLike,
  ValidationResult,
} from './types.js'
