import type { Schema, SchemaIssue } from '../schema/index.js'
import { deeperThan, MAX_DEPTH } from '../transcript/depth.js'

const FENCE = /^```(?:json|JSON)?\s*\n([\s\S]*?)\n?```$/

/**
 * How deep a final answer may nest objects and arrays: what a transcript line keeps, less the
 * levels of the events around it (`agent.end`, a sub-agent's `memory.write`). Deeper, a schema
 * would overflow the stack checking it, and a transcript could not keep it whole.
 */
export const OUTPUT_MAX_DEPTH = MAX_DEPTH - 10

/**
 * Parses the final answer as JSON (a fenced block is accepted) and validates it. What is wrong
 * with the answer is a problem for the model; a schema that throws is let through to the caller.
 */
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
  if (deeperThan(json, OUTPUT_MAX_DEPTH))
    return {
      success: false,
      problem: `the final answer nests deeper than ${OUTPUT_MAX_DEPTH} levels of objects and arrays; give a flatter answer that matches the output schema`,
    }
  const result = await schema.validate(json)
  if (result.success) return result
  return {
    success: false,
    problem: 'the final answer does not match the output schema:',
    // As many as a message shows are shown (formatIssues counts the rest).
    issues: result.issues,
  }
}
