import type { Schema, SchemaIssue } from '../schema/index.js'

const FENCE = /^```(?:json|JSON)?\s*\n([\s\S]*?)\n?```$/

/** Parses the final answer as JSON (a fenced block is accepted) and validates it. */
export async function parseOutput(
  text: string,
  schema: Schema,
): Promise<{ success: true; data: unknown } | { success: false; problem: string; issues?: SchemaIssue[] }> {
  const trimmed = text.trim()
  const body = FENCE.exec(trimmed)?.[1] ?? trimmed
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (error) {
    return {
      success: false,
      problem: `the final answer must be JSON matching the output schema, but it is not valid JSON (${(error as Error).message})`,
    }
  }
  const result = await schema.validate(json)
  if (result.success) return result
  return {
    success: false,
    problem: 'the final answer does not match the output schema:',
    issues: result.issues,
  }
}
