import { defineTool } from './define-tool.js'
import type { Tool } from './types.js'

const KEY = { type: 'string', description: 'A "/"-separated key, e.g. "notes/lisbon".' }

const made = new WeakSet<Tool>()

/** Whether a tool is one of Baton's memory tools (made by `memoryTools`), not a user's of the same name. */
export function isMemoryTool(tool: unknown): boolean {
  return typeof tool === 'object' && tool !== null && made.has(tool as Tool)
}

/** The names of Baton's memory tools. */
export const MEMORY_TOOL_NAMES: readonly string[] = ['memory_read', 'memory_write', 'memory_list']

/** Tools that let a model read, write and list shared memory (within its agent's scope). */
export function memoryTools(): Tool[] {
  const tools = [
    defineTool({
      name: 'memory_read',
      idempotent: true,
      description: 'Read one entry of shared memory by key. Returns the value and who wrote it.',
      input: { type: 'object', properties: { key: KEY }, required: ['key'], additionalProperties: false },
      run: (input, ctx) => {
        const { key } = input as { key: string }
        const entry = ctx.memory.entry(key)
        return entry ? { key, value: entry.value, by: entry.by } : { key, missing: true }
      },
    }),
    defineTool({
      name: 'memory_write',
      idempotent: true,
      description: 'Write a value to shared memory under a key, replacing any earlier value.',
      input: {
        type: 'object',
        properties: { key: KEY, value: {} },
        required: ['key', 'value'],
        additionalProperties: false,
      },
      run: (input, ctx) => {
        const { key, value } = input as { key: string; value: unknown }
        ctx.memory.write(key, value)
        return `stored ${key}`
      },
    }),
    defineTool({
      name: 'memory_list',
      idempotent: true,
      description: 'List the keys in shared memory that start with a prefix, with who wrote each.',
      input: { type: 'object', properties: { prefix: { type: 'string' } }, additionalProperties: false },
      run: (input, ctx) =>
        ctx.memory.list((input as { prefix?: string }).prefix ?? '').map(({ key, by }) => ({ key, by })),
    }),
  ]
  for (const tool of tools) made.add(tool)
  return tools
}
