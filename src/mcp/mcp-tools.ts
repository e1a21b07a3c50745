/**
 * @module mcp
 * An MCP server's tools as Baton tools: arguments validated with Ajv against each tool's
 * `inputSchema` before the call, results mapped to text or structured values, errors sent back
 * to the model as tool errors. The server may ask for input (elicitation) and completions
 * (sampling) during a call, list the client's roots, and change its tool list.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { BatonError } from '../errors/index.js'
import type { Model } from '../model/types.js'
import { describe, formatIssues, type Schema, toSchema } from '../schema/index.js'
import { AwaitingInput, defineTool, type Tool, type ToolContext, type ToolSet } from '../tool/index.js'
import { checkOptions, checkServer } from './check-options.js'
import { ClientRequests } from './client-requests.js'
import { type Connection, connect, connectionError, type McpServerConfig } from './connect.js'
import { inputSchema, type McpCallResult, outputSchema, resultValue, toolName } from './convert.js'
import { HttpStatusError } from './http-error.js'
import { type ListedTool, listAll, REQUEST_TIMEOUT } from './list-tools.js'

const DEFAULT_TIMEOUT_MS = 60_000

export interface McpToolsOptions {
  /** Put before every tool name (e.g. `'fs_'`): letters, digits, `_` and `-`. */
  prefix?: string
  /** Only these MCP tools (by their MCP name). Unknown names are refused, listing what exists. */
  include?: string[]
  /** Leave these MCP tools out (by their MCP name). */
  exclude?: string[]
  /** The time limit of each call: a slower call fails as a tool timeout and is cancelled. Default 60,000. */
  timeoutMs?: number
  /** The time limit for starting the server, the handshake and listing the tools. Default 60,000. */
  connectTimeoutMs?: number
  /**
   * Let the server ask the user for input during a call (MCP elicitation, form mode): the run's
   * `elicit` answers, or the run pauses until a resume does. Default true.
   */
  elicitation?: boolean
  /**
   * Let the server ask for completions during a call (MCP sampling), answered by this model on
   * the budget of the agent whose call it is; `maxTokens` caps what one request may ask. Off by default.
   */
  sampling?: { model: Model | string; maxTokens?: number }
  /** Directories the server may work in (MCP roots): paths or `file://` URIs. None by default. */
  roots?: string[]
}

/**
 * What `mcpTools` returns: the tools, and the connection to close when you are done. It is a
 * live tool set too: an agent given `tools: [mcp]` sees the server's tool list as it is at each
 * step, where `tools: mcp.tools` keeps the list as it is now.
 */
export interface McpTools extends ToolSet {
  /** The server's tools as they are now (a new array when the server changes its list). */
  readonly tools: Tool[]
  /** The server's name and version, as it reported them. */
  server: { name: string; version: string; instructions?: string }
  /** The pid of a stdio server's process (undefined over HTTP). */
  pid: number | undefined
  /** The MCP SDK client, for what Baton does not wrap (resources, prompts). */
  client: Client
  /** Lists other roots (needs the `roots` option) and tells the server they changed. */
  setRoots(roots: string[]): Promise<void>
  /** Ends the session (HTTP) or the server process (stdio). Safe to call twice. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Connects to an MCP server and turns its tools into Baton tools.
 *
 * @example
 * const fs = await mcpTools(
 *   { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp/work'] },
 *   { prefix: 'fs_' },
 * )
 * try {
 *   const agent = defineAgent({ name: 'clerk', instructions: '…', model, tools: fs.tools })
 *   await run(agent, 'Summarise notes.txt')
 * } finally {
 *   await fs.close()
 * }
 */
export async function mcpTools(server: McpServerConfig, options: McpToolsOptions = {}): Promise<McpTools> {
  checkServer(server)
  checkOptions(options)
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS
  const requests = new ClientRequests({
    elicitation: options.elicitation !== false,
    ...(options.sampling ? { sampling: options.sampling } : {}),
    ...(options.roots ? { roots: options.roots } : {}),
  })
  const connection = await connect(server, connectTimeoutMs, (client) => requests.serve(client))
  try {
    const listed = await listAll(connection, connectTimeoutMs)
    let tools = toBatonTools(connection, requests, listed, options, timeoutMs)
    const info = connection.client.getServerVersion()
    requests.server = info?.name ?? connection.label
    const instructions = connection.client.getInstructions()
    // The server changed its tool list: fetch it again, once more if it changes meanwhile.
    let refreshing: Promise<void> | undefined
    let stale = false
    requests.onToolsChanged = () => {
      stale = true
      refreshing ??= (async () => {
        while (stale && !connection.closed) {
          stale = false
          const now = await listAll(connection, connectTimeoutMs).catch(() => undefined)
          if (now) tools = toBatonTools(connection, requests, now, options, timeoutMs, true)
        }
      })().finally(() => {
        refreshing = undefined
      })
    }
    const close = () => connection.close()
    return {
      kind: 'baton.toolset',
      get tools() {
        return tools
      },
      settled: async () => {
        await refreshing
      },
      server: {
        name: info?.name ?? 'unknown',
        version: info?.version ?? 'unknown',
        ...(instructions ? { instructions } : {}),
      },
      pid: connection.pid,
      client: connection.client,
      setRoots: async (roots) => {
        if (!options.roots)
          throw new BatonError(
            'INVALID_OPTIONS',
            'mcpTools: setRoots needs the roots option, which declares them',
            {
              details: { field: 'roots' },
            },
          )
        checkOptions({ roots })
        await requests.setRoots(roots)
      },
      close,
      [Symbol.asyncDispose]: close,
    }
  } catch (error) {
    await connection.close()
    throw error
  }
}

/**
 * The server's tools as Baton tools. `changed`: the list the server changed during a run, where
 * nothing may throw: a tool that cannot be used (an `include` gone, a clash, a bad schema) is left out.
 */
function toBatonTools(
  connection: Connection,
  requests: ClientRequests,
  listed: ListedTool[],
  options: McpToolsOptions,
  timeoutMs: number,
  changed = false,
): Tool[] {
  const available = new Set(listed.map((tool) => tool.name))
  const missing = (options.include ?? []).filter((name) => !available.has(name))
  if (missing.length && !changed) {
    throw new BatonError(
      'INVALID_OPTIONS',
      `mcpTools: include names tools the MCP server ${connection.label} does not have: ${missing.map((n) => JSON.stringify(n)).join(', ')}. It has: ${[...available].join(', ') || '(no tools)'}`,
      { details: { field: 'include', value: missing } },
    )
  }
  const include = options.include ? new Set(options.include) : undefined
  const exclude = new Set(options.exclude ?? [])
  const byName = new Map<string, string>()
  const tools: Tool[] = []
  for (const tool of listed) {
    if (include && !include.has(tool.name)) continue
    if (exclude.has(tool.name)) continue
    // Tools that must run as MCP tasks cannot be called with a plain tools/call.
    if (tool.execution?.taskSupport === 'required') {
      if (!include || changed) continue
      throw new BatonError(
        'INVALID_OPTIONS',
        `mcpTools: the MCP tool "${tool.name}" of ${connection.label} only runs as an MCP task, which Baton does not support`,
        { details: { field: 'include', value: tool.name } },
      )
    }
    const name = toolName(tool.name, options.prefix)
    const clash = byName.get(name)
    if (clash !== undefined && changed) continue
    if (clash !== undefined) {
      throw new BatonError(
        'INVALID_DEFINITION',
        `mcpTools: the MCP tools "${clash}" and "${tool.name}" of ${connection.label} both become the tool name "${name}"; leave one out with \`exclude\``,
        { details: { field: 'name', value: name, tools: [clash, tool.name] } },
      )
    }
    byName.set(name, tool.name)
    try {
      tools.push(toBatonTool(connection, requests, tool, name, timeoutMs))
    } catch (error) {
      if (!changed) throw error
    }
  }
  return tools
}

function toBatonTool(
  connection: Connection,
  requests: ClientRequests,
  tool: ListedTool,
  name: string,
  timeoutMs: number,
): Tool {
  const mcpName = tool.name
  const description =
    nonEmpty(tool.description) ??
    nonEmpty(tool.title) ??
    nonEmpty(tool.annotations?.title) ??
    `The tool "${mcpName}" of the MCP server ${connection.label}.`
  const unusable = (field: string, why: string, cause?: unknown) =>
    new BatonError(
      'INVALID_DEFINITION',
      `mcpTools: the MCP tool "${mcpName}" of ${connection.label} cannot be used (${why}); leave it out with \`exclude\``,
      { ...(cause === undefined ? {} : { cause }), details: { field, tool: mcpName } },
    )
  if (tool.inputSchema !== undefined && tool.inputSchema !== null && !isPlainObject(tool.inputSchema))
    throw unusable(
      'inputSchema',
      `its inputSchema is ${describe(tool.inputSchema)}, not a JSON Schema object`,
    )
  let output: Schema | undefined
  if (tool.outputSchema !== undefined && tool.outputSchema !== null) {
    try {
      output = toSchema(outputSchema(tool.outputSchema), `tool "${name}": outputSchema`)
    } catch (error) {
      if (!(error instanceof BatonError)) throw error
      throw unusable('outputSchema', error.message, error)
    }
  }
  try {
    return defineTool({
      name,
      description,
      input: inputSchema(tool.inputSchema),
      timeoutMs,
      // The server's own hints: a read-only tool, or one it says is idempotent, may run again
      // after a durable run's worker died during the call.
      idempotent: tool.annotations?.readOnlyHint === true || tool.annotations?.idempotentHint === true,
      run: (args: unknown, ctx: ToolContext) =>
        callTool(connection, requests, { mcpName, output }, args, ctx, timeoutMs),
    })
  } catch (error) {
    if (!(error instanceof BatonError)) throw error
    throw unusable('inputSchema', error.message, error)
  }
}

async function callTool(
  connection: Connection,
  requests: ClientRequests,
  tool: { mcpName: string; output: Schema | undefined },
  args: unknown,
  ctx: ToolContext,
  timeoutMs: number,
): Promise<unknown> {
  const { mcpName, output } = tool
  const { label, session } = connection
  if (connection.closed) throw connection.lostError()
  const { McpError, ResultSchema } = await import('@modelcontextprotocol/sdk/types.js')
  const unreachable = (why: string, cause?: unknown) =>
    connectionError(`the call to "${mcpName}" could not reach the MCP server ${label}: ${why}`, cause)
  // A new session that could not be started; a failed authorization stays an MCP_AUTH error.
  const notStarted = (failure: unknown) =>
    failure instanceof BatonError && failure.code === 'MCP_AUTH'
      ? failure
      : unreachable(`it forgot the session, and starting a new session failed: ${reasonOf(failure)}`, failure)
  const send = () =>
    // What the server asks during the call (elicitation, sampling) is relayed to this call's run.
    // The result is read leniently: resultValue says what is wrong with one that is malformed.
    requests.during(ctx, (signal) =>
      connection.client.request(
        {
          method: 'tools/call',
          params: { name: mcpName, arguments: (args ?? {}) as Record<string, unknown> },
        },
        ResultSchema,
        {
          signal,
          timeout: timeoutMs,
          onprogress: (progress) => ctx.progress(progress),
        },
      ),
    )
  // One new session per call at most: a server that forgets every session fails the call.
  let renewed = false
  let result: McpCallResult
  try {
    try {
      renewed = (await session?.ready()) ?? false
    } catch (failure) {
      throw notStarted(failure)
    }
    for (;;) {
      try {
        result = (await send()) as McpCallResult
        break
      } catch (error) {
        if (!(error instanceof HttpStatusError && error.sessionExpired && session) || ctx.signal.aborted)
          throw error
        if (renewed)
          throw unreachable(
            `it forgot the session, and the new one started for this call too: ${error.message}`,
            error,
          )
        renewed = true
        try {
          await session.renew(error.sessionId as string)
        } catch (failure) {
          throw notStarted(failure)
        }
      }
    }
  } catch (error) {
    if (error instanceof AwaitingInput || ctx.signal.aborted) throw error
    if (connection.closed) throw connection.lostError(error)
    if (error instanceof BatonError) throw error
    // Over HTTP a request that did not get through leaves the session as it was: later calls may.
    if (isFetchFailure(error)) throw unreachable(fetchReason(error), error)
    if (error instanceof HttpStatusError)
      throw connectionError(
        `the MCP server ${label} answered the call to "${mcpName}" with ${error.message}`,
        error,
      )
    if ((error as { code?: unknown }).code === REQUEST_TIMEOUT)
      throw new BatonError(
        'TOOL_TIMEOUT',
        `the MCP server ${label} did not answer the call to "${mcpName}" within ${timeoutMs} ms`,
        { cause: error },
      )
    // A JSON-RPC error answer: a tool error the model reads, naming where it came from.
    if (error instanceof McpError)
      throw new Error(
        `the MCP server ${label} answered the call to "${mcpName}" with the JSON-RPC error ${error.code}: ${error.message.replace(/^MCP error -?\d+: /, '')}`,
        { cause: error },
      )
    throw error
  }
  const value = resultValue(result, mcpName, connection.label)
  // The server promised results of this shape (outputSchema): a result that breaks it is refused.
  if (output && result.isError !== true) {
    const where = `the MCP tool "${mcpName}" of ${connection.label}`
    if (result.structuredContent === undefined || result.structuredContent === null)
      throw new BatonError('INVALID_OUTPUT', `${where} has an outputSchema but returned no structuredContent`)
    const checked = await output.validate(result.structuredContent)
    if (!checked.success)
      throw new BatonError(
        'INVALID_OUTPUT',
        `${where} returned structuredContent that does not match its outputSchema:\n${formatIssues(checked.issues)}`,
      )
  }
  return value
}

function isFetchFailure(error: unknown): error is TypeError {
  return error instanceof TypeError && error.message === 'fetch failed'
}

/** Why fetch failed, from its cause (`ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:3001`). */
function fetchReason(error: TypeError): string {
  const cause = error.cause as (Error & { code?: unknown }) | undefined
  if (!(cause instanceof Error)) return error.message
  return `${typeof cause.code === 'string' ? `${cause.code}: ` : ''}${cause.message}`
}

/** Why a request failed, in words (a failed fetch says why from its cause). */
function reasonOf(error: unknown): string {
  if (isFetchFailure(error)) return fetchReason(error)
  return error instanceof Error ? error.message : String(error)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}
