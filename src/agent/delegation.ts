import type { ToolSpec } from '../model/types.js'
import type { Schema, SchemaIssue, ValidationResult } from '../schema/index.js'
import type { Agent } from './types.js'

/** The input of the default delegation tool: `{ task: string, memoryKeys?: string[] }`. */
export interface DelegationInput {
  task: string
  memoryKeys?: string[]
}

/** A sub-agent offered to the planning model as a tool. */
export interface DelegationTool {
  readonly kind: 'baton.delegation'
  readonly name: string
  readonly agent: Agent
  readonly input: Schema
  readonly spec: ToolSpec
}

export function delegationToolName(agentName: string): string {
  return `delegate_${agentName}`
}

const DEFAULT_PARAMETERS = {
  type: 'object',
  properties: {
    task: {
      type: 'string',
      description: 'A complete, self-contained brief: the sub-agent sees nothing else of this conversation.',
    },
    memoryKeys: {
      type: 'array',
      items: { type: 'string' },
      description: 'Keys of shared memory entries to hand to the sub-agent along with the brief.',
    },
  },
  required: ['task'],
  additionalProperties: false,
}

// The default input is fixed, so it is checked by hand: no schema library on this path.
const defaultInput: Schema<DelegationInput> = {
  kind: 'json-schema',
  jsonSchema: DEFAULT_PARAMETERS,
  validate(value): ValidationResult<DelegationInput> {
    const issues: SchemaIssue[] = []
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { success: false, issues: [{ path: [], message: 'must be an object with a "task" string' }] }
    }
    const { task, memoryKeys, ...rest } = value as Record<string, unknown>
    if (typeof task !== 'string' || task.trim() === '')
      issues.push({ path: ['task'], message: 'must be a non-empty string' })
    if (memoryKeys !== undefined) {
      if (!Array.isArray(memoryKeys))
        issues.push({ path: ['memoryKeys'], message: 'must be an array of strings' })
      else
        memoryKeys.forEach((key, i) => {
          if (typeof key !== 'string') issues.push({ path: ['memoryKeys', i], message: 'must be a string' })
        })
    }
    for (const key of Object.keys(rest)) issues.push({ path: [key], message: 'property is not allowed' })
    return issues.length ? { success: false, issues } : { success: true, data: value as DelegationInput }
  },
}

export function delegationTool(agent: Agent): DelegationTool {
  const name = delegationToolName(agent.name)
  const input = agent.input ?? defaultInput
  return {
    kind: 'baton.delegation',
    name,
    agent,
    input,
    spec: {
      name,
      description: `Delegate to the "${agent.name}" sub-agent: ${agent.description}`,
      parameters: input.jsonSchema,
    },
  }
}
