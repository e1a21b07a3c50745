/**
 * Pure conversions between MCP and Baton: tool names, input schemas, and call results.
 */
import type { JsonSchema } from '../model/types.js'
import { describe } from '../schema/index.js'

const MAX_NAME = 64

/**
 * A provider-safe tool name (`/^[A-Za-z0-9_-]{1,64}$/`): `prefix` + the MCP name with every other
 * character replaced by `_`, cut to 64 characters.
 */
export function toolName(mcpName: string, prefix = ''): string {
  const safe = mcpName.replace(/[^A-Za-z0-9_-]/g, '_') || '_'
  return (prefix + safe).slice(0, MAX_NAME)
}

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#'
const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema'

/**
 * An MCP tool's `inputSchema` made ready for Ajv: the dialect is one Ajv knows (draft-07 for
 * draft-04/06/07, 2020-12 for 2019-09/2020-12 and anything unknown), and `type: "object"` is
 * present (the MCP spec requires it; a few servers leave it out).
 */
export function inputSchema(schema: unknown): JsonSchema {
  const copy = knownDialect(schema)
  if (copy.type === undefined) copy.type = 'object'
  return copy
}

/**
 * An MCP tool's `outputSchema` with a dialect Ajv knows. A value that is not an object is given
 * back as it is, for the schema check to refuse it.
 */
export function outputSchema(schema: unknown): JsonSchema {
  return isObject(schema) ? knownDialect(schema) : (schema as JsonSchema)
}

function knownDialect(schema: unknown): JsonSchema {
  const copy: JsonSchema = isObject(schema) ? { ...schema } : {}
  const dialect = copy.$schema
  if (typeof dialect === 'string') {
    if (/draft-0[4-7]/.test(dialect)) copy.$schema = DRAFT_07
    else if (/draft\/20(19-09|20-12)/.test(dialect)) copy.$schema = DRAFT_2020
    else delete copy.$schema
  } else if (dialect !== undefined) delete copy.$schema
  return copy
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The content blocks of an MCP `tools/call` result (the part Baton reads). */
export interface McpCallResult {
  content?: unknown[]
  structuredContent?: unknown
  isError?: boolean
  /** Servers on the 2024-10-07 protocol answer with `toolResult` instead. */
  toolResult?: unknown
}

/** An MCP tool that reported `isError: true`: its message goes back to the model. */
export class McpToolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'McpToolError'
  }
}

/**
 * The value a Baton tool returns for an MCP result: `structuredContent` when present, else the
 * content blocks as text (text joined, images/audio/resources described, not dumped).
 * `isError: true` throws `McpToolError` with the server's text. A result whose `content` is not
 * a list throws an error saying so, naming `server` when given.
 */
export function resultValue(result: McpCallResult, mcpName: string, server?: string): unknown {
  if (result.isError === true) {
    const text = contentText(result.content)
    throw new McpToolError(text || `the MCP tool "${mcpName}" reported an error without a message`)
  }
  if (result.structuredContent !== undefined && result.structuredContent !== null)
    return result.structuredContent
  if (!Array.isArray(result.content) && 'toolResult' in result) return result.toolResult
  if (result.content === undefined || result.content === null) return undefined
  if (!Array.isArray(result.content))
    throw new Error(
      `${server ? `the MCP server ${server}` : 'the MCP server'} answered the call to "${mcpName}" with a result that is not an MCP tool result: its content is ${describe(result.content)}, not a list of content blocks`,
    )
  if (result.content.length === 0) return undefined
  return contentText(result.content)
}

/** Content blocks as text, one block per line (non-text blocks described). */
export function contentText(content: unknown[] | undefined): string {
  if (!Array.isArray(content)) return ''
  return content.map(describeBlock).join('\n')
}

type Block = Record<string, unknown>

function describeBlock(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value)
  const block = value as Block
  switch (block.type) {
    case 'text':
      return String(block.text ?? '')
    case 'image':
    case 'audio':
      return `[${block.type}: ${mimeOf(block)}, ${sizeOf(base64Bytes(block.data))}]`
    case 'resource':
      return describeResource(block.resource)
    case 'resource_link':
      return describeLink(block)
    default:
      return `[${typeof block.type === 'string' ? block.type : 'unknown'} content]`
  }
}

function describeResource(value: unknown): string {
  const resource = (typeof value === 'object' && value !== null ? value : {}) as Block
  const bytes =
    typeof resource.text === 'string' ? Buffer.byteLength(resource.text, 'utf8') : base64Bytes(resource.blob)
  const kind = typeof resource.text === 'string' ? 'text' : 'binary'
  return `[resource ${String(resource.uri ?? '(no uri)')}: ${mimeOf(resource)}, ${kind}, ${sizeOf(bytes)}]`
}

function describeLink(block: Block): string {
  const facts = [mimeOf(block)]
  if (typeof block.size === 'number') facts.push(sizeOf(block.size))
  const name = typeof block.name === 'string' ? `${block.name} ` : ''
  const description = typeof block.description === 'string' ? ` — ${block.description}` : ''
  return `[resource link ${name}<${String(block.uri ?? '')}>: ${facts.join(', ')}]${description}`
}

function mimeOf(block: Block): string {
  return typeof block.mimeType === 'string' ? block.mimeType : 'unknown type'
}

/** The decoded size of base64 data, without decoding it. */
function base64Bytes(data: unknown): number {
  if (typeof data !== 'string') return 0
  const clean = data.replace(/\s/g, '')
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding)
}

function sizeOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}
