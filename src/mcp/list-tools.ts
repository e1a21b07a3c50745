import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import { type Connection, connectionError } from './connect.js'

/** The JSON-RPC error code of the SDK's request timeout. */
export const REQUEST_TIMEOUT = -32001

/**
 * One tool as listed by the server: the fields Baton reads, as the server sent them. Only the
 * name is sure to be a string; every other field is checked where it is used, so one tool a
 * server describes badly can be left out with `exclude` instead of failing the whole list.
 */
export interface ListedTool {
  name: string
  title?: unknown
  description?: unknown
  inputSchema?: unknown
  outputSchema?: unknown
  annotations?: { title?: unknown; readOnlyHint?: unknown; idempotentHint?: unknown } | null
  execution?: { taskSupport?: unknown } | null
}

/**
 * Every page of the server's tool list, within `timeoutMs` for all of them. The result is read
 * leniently (each tool is checked on its own later); a tool without a name cannot be called or
 * named in `exclude`, and is left out. A cursor the server sent before would list forever: it fails.
 */
export async function listAll(connection: Connection, timeoutMs: number): Promise<ListedTool[]> {
  const { ResultSchema } = await import('@modelcontextprotocol/sdk/types.js')
  const { label } = connection
  const deadline = Date.now() + timeoutMs
  const tools: ListedTool[] = []
  const cursors = new Set<string>()
  let pages = 0
  const tooSlow = () =>
    connectionError(
      `the MCP server ${label} did not finish listing its tools within ${timeoutMs} ms (${pages} ${pages === 1 ? 'page' : 'pages'} and ${tools.length} tools so far)`,
    )
  let cursor: string | undefined
  try {
    do {
      const left = deadline - Date.now()
      if (left <= 0) throw tooSlow()
      const page = await connection.client.request(
        { method: 'tools/list', ...(cursor === undefined ? {} : { params: { cursor } }) },
        ResultSchema,
        { timeout: left },
      )
      pages++
      if (!Array.isArray(page.tools))
        throw connectionError(
          `the MCP server ${label} answered tools/list without a list of tools (got ${describe(page.tools)})`,
        )
      for (const tool of page.tools as unknown[]) if (hasName(tool)) tools.push(tool)
      const next = page.nextCursor
      cursor = typeof next === 'string' && next !== '' ? next : undefined
      if (cursor !== undefined) {
        if (cursors.has(cursor))
          throw connectionError(
            `the MCP server ${label} sent the tools/list cursor ${JSON.stringify(cursor.slice(0, 100))} twice: its tool list would never end`,
          )
        cursors.add(cursor)
      }
    } while (cursor !== undefined)
  } catch (error) {
    if (error instanceof BatonError) throw error
    if (connection.closed) throw connection.lostError(error)
    if ((error as { code?: unknown }).code === REQUEST_TIMEOUT) throw tooSlow()
    throw connectionError(
      `could not list the tools of the MCP server ${label}: ${(error as Error).message}`,
      error,
    )
  }
  return tools
}

function hasName(tool: unknown): tool is ListedTool {
  return typeof tool === 'object' && tool !== null && typeof (tool as { name?: unknown }).name === 'string'
}
