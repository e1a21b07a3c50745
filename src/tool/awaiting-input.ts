import type { ElicitationRequest } from '../events/index.js'

/**
 * A tool call's server asked for input nobody can give now (a run with no `elicit` function):
 * the call ends waiting, and the run pauses as `awaiting_approval` until a resume answers it.
 * The relay rejects with it; a tool that relays lets it through.
 */
export class AwaitingInput extends Error {
  constructor(readonly request: ElicitationRequest) {
    super(`the MCP server ${request.server} asks for input: ${request.message}`)
    this.name = 'AwaitingInput'
  }
}
