/**
 * What an MCP server may ask Baton's client (the client's capabilities) and how it is answered:
 * elicitation (form mode) and sampling are relayed to the run of the tool call that caused them,
 * through the tool's context (recorded, budgeted, replayed); roots are the directories given to
 * `mcpTools`; a changed tool list is fetched again. A request is matched to its call by the call
 * whose response stream it came on (streamable HTTP), else by the one call in flight.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js'
import type { Model } from '../model/types.js'
import { AwaitingInput, type ToolContext } from '../tool/index.js'
import { type SamplingParams, samplingMessages, samplingResult } from './sampling.js'

/** What the client offers the server (from `mcpTools` options). */
export interface ClientRequestOptions {
  /** Answer elicitations (form mode). */
  elicitation: boolean
  /** Answer sampling requests with this model, with at most this many output tokens. */
  sampling?: { model: Model | string; maxTokens?: number }
  /** The roots to list: paths or `file://` URIs. */
  roots?: readonly string[]
}

/** A call to the server under way: the requests the server makes during it are relayed to its context. */
interface InFlight {
  readonly ctx: ToolContext
  /** Set when the call waits for input nobody can give now: the call is cancelled, the run pauses. */
  paused: AwaitingInput | undefined
  readonly stop: AbortController
}

/** An MCP root: a `file://` URI and a name. */
export interface Root {
  uri: string
  name: string
}

/** The server→client side of one connection. */
export class ClientRequests {
  private readonly calls = new Set<InFlight>()
  private readonly current = new AsyncLocalStorage<InFlight>()
  private roots: Root[]
  private client: Client | undefined
  private model: Promise<Model> | undefined
  /** Called when the server says its tool list changed. */
  onToolsChanged: (() => void) | undefined
  /** The server's name, for the requests relayed (set once connected). */
  server = 'the MCP server'

  constructor(private readonly options: ClientRequestOptions) {
    this.roots = options.roots ? toRoots(options.roots) : []
  }

  /** Whether requests must be matched to calls (something is relayed to a run). */
  private get relays(): boolean {
    return this.options.elicitation || this.options.sampling !== undefined
  }

  /**
   * Declares the capabilities on a client not yet connected, and answers the server's requests.
   * Returns the capabilities, which a new session declares again.
   */
  async serve(client: Client): Promise<ClientCapabilities> {
    const types = await import('@modelcontextprotocol/sdk/types.js')
    const { McpError, ErrorCode } = types
    const fail = (message: string) => new McpError(ErrorCode.InvalidRequest, message)
    this.client = client
    const { elicitation, sampling, roots } = this.options
    const capabilities: ClientCapabilities = {
      // Form mode only, defaults applied (SEP-1034): Baton has no browser to send a user to.
      ...(elicitation ? { elicitation: { form: { applyDefaults: true } } } : {}),
      ...(sampling ? { sampling: {} } : {}),
      ...(roots ? { roots: { listChanged: true } } : {}),
    }
    client.registerCapabilities(capabilities)
    if (elicitation)
      client.setRequestHandler(types.ElicitRequestSchema, async (request) => {
        const { params } = request
        if (params.mode === 'url') throw fail('Baton answers form-mode elicitations only')
        const call = this.callFor('elicitation/create', fail)
        try {
          return await call.relay.elicit({
            server: this.server,
            message: params.message,
            schema: params.requestedSchema as Record<string, unknown>,
          })
        } catch (error) {
          if (error instanceof AwaitingInput) {
            // Nobody can answer now: the call ends waiting, and a resume asks again.
            call.inFlight.paused = error
            call.inFlight.stop.abort(error)
            throw new McpError(ErrorCode.InternalError, 'the user will answer later: the run paused')
          }
          throw new McpError(ErrorCode.InternalError, `Baton could not answer: ${messageOf(error)}`)
        }
      })
    if (sampling)
      client.setRequestHandler(types.CreateMessageRequestSchema, async (request) => {
        const params = request.params as SamplingParams & { tools?: unknown; toolChoice?: unknown }
        if (params.tools !== undefined || params.toolChoice !== undefined)
          throw new McpError(ErrorCode.InvalidParams, 'Baton offers no tools to sampling requests')
        const messages = samplingMessages(params)
        if ('problem' in messages) throw new McpError(ErrorCode.InvalidParams, messages.problem)
        const call = this.callFor('sampling/createMessage', fail)
        try {
          this.model ??= resolved(sampling.model)
          const model = await this.model
          const maxTokens = Math.min(params.maxTokens, sampling.maxTokens ?? params.maxTokens)
          const response = await call.relay.sample({ server: this.server, model, messages, maxTokens })
          return samplingResult(response, model.id)
        } catch (error) {
          throw new McpError(ErrorCode.InternalError, `Baton could not answer: ${messageOf(error)}`)
        }
      })
    if (roots) client.setRequestHandler(types.ListRootsRequestSchema, () => ({ roots: this.roots }))
    client.setNotificationHandler(types.ToolListChangedNotificationSchema, () => this.onToolsChanged?.())
    return capabilities
  }

  /**
   * Runs one call with the requests the server makes during it relayed to `ctx`. The call's
   * signal is also aborted when the server's question pauses the run.
   */
  async during<T>(ctx: ToolContext, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (!this.relays) return work(ctx.signal)
    const call: InFlight = { ctx, paused: undefined, stop: new AbortController() }
    this.calls.add(call)
    try {
      return await this.current.run(call, () => work(AbortSignal.any([ctx.signal, call.stop.signal])))
    } catch (error) {
      throw call.paused ?? error
    } finally {
      this.calls.delete(call)
    }
  }

  /** Lists other roots, and tells the server they changed. */
  async setRoots(roots: readonly string[]): Promise<void> {
    this.roots = toRoots(roots)
    await this.client?.sendRootsListChanged()
  }

  /**
   * The call a request of the server belongs to: the one whose response stream it came on
   * (streamable HTTP, when the server relates it to the call), else the only call in flight.
   */
  private callFor(
    method: string,
    fail: (message: string) => Error,
  ): { inFlight: InFlight; relay: NonNullable<ToolContext['relay']> } {
    const here = this.current.getStore()
    const inFlight =
      here && this.calls.has(here) ? here : this.calls.size === 1 ? [...this.calls][0] : undefined
    if (!inFlight)
      throw fail(
        this.calls.size === 0
          ? `Baton answers ${method} only during a call to one of your tools, and none is in flight`
          : `${this.calls.size} calls to your tools are in flight and Baton cannot tell which one this ${method} belongs to; send it on the call's own response stream (streamable HTTP, with the call's request as its related request)`,
      )
    const relay = inFlight.ctx.relay
    if (!relay) throw fail(`the call was not made by a Baton run, which has nobody to answer ${method}`)
    return { inFlight, relay }
  }
}

async function resolved(model: Model | string): Promise<Model> {
  if (typeof model !== 'string') return model
  const { resolveModel } = await import('../providers/resolve.js')
  return resolveModel(model)
}

/** Paths and `file://` URIs as MCP roots, named after their last segment. */
export function toRoots(roots: readonly string[]): Root[] {
  return roots.map((root) => {
    const url = root.startsWith('file://')
      ? new URL(root)
      : pathToFileURL(isAbsolute(root) ? root : resolve(root))
    const name = decodeURIComponent(url.pathname.replace(/\/+$/, '').split('/').pop() ?? '') || url.href
    return { uri: url.href, name }
  })
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
