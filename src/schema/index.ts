export { formatIssues, formatPath, MAX_ISSUES } from './format-issues.js'
export {
  copyPlain,
  outputJsonProblem,
  prototypeKey,
  prototypeKeyProblem,
  schemaJsonProblem,
} from './plain-json.js'
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
