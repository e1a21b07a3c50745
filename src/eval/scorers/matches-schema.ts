import { defineScorer, type Scorer } from '../../goal/index.js'
import { formatIssues, type SchemaInput, toSchema } from '../../schema/index.js'
import { excerpt, parseJson } from './show.js'

/**
 * Passes when the output matches `schema` (zod 4, zod 3 or JSON Schema). A text output is
 * parsed as JSON first (a fenced block is accepted).
 *
 * @example
 * scorers: [matchesSchema(z.object({ city: z.string(), days: z.number().int() }))]
 */
export function matchesSchema(schema: SchemaInput): Scorer {
  const checked = toSchema(schema, 'matchesSchema')
  return defineScorer('matchesSchema', async ({ output }) => {
    let value: unknown = output
    if (typeof output === 'string') {
      const parsed = parseJson(output)
      if (!parsed.ok)
        return {
          pass: false,
          score: 0,
          reason: `expected JSON matching the schema, got the text ${excerpt(output)}`,
        }
      value = parsed.value
    }
    const result = await checked.validate(value)
    return result.success
      ? { pass: true, score: 1, reason: 'the output matches the schema' }
      : {
          pass: false,
          score: 0,
          reason: `the output does not match the schema:\n${formatIssues(result.issues)}`,
        }
  })
}
