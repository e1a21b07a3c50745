import { agentPathOf } from './step-keys.js'
import type { ElicitationRequest, ElicitationRequestEvent } from './types.js'

/**
 * The request an `elicitation.request` event stands for: what the run's `elicit` function is
 * given, and what a paused run's `pending` holds (the same whether live or folded from a transcript).
 */
export function elicitationOf(event: Omit<ElicitationRequestEvent, 'type'>): ElicitationRequest {
  const { path, callId, name, server, message, schema } = event
  return {
    path,
    agent: agentPathOf(path),
    toolCall: path.slice(0, path.lastIndexOf('/elicit/')),
    callId,
    tool: name,
    server,
    message,
    schema,
  }
}
