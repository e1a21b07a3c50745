import type { RecordedToolRequest } from '../effects/index.js'
import {
  type ApprovalDecisionEvent,
  agentPathOf,
  type ElicitationAnswerEvent,
  type MemoryWriteEvent,
  type ModelErrorEvent,
  type ModelFallbackEvent,
  type ModelRequestEvent,
  type ModelResponseEvent,
  type ModelRouteEvent,
  type ToolResultEvent,
  type ToolsChangeEvent,
} from '../events/index.js'
import { resultMemoryKey } from '../tool/index.js'
import { type AgentTree, childAgent, type Transcript } from '../transcript/index.js'

export { agentPathOf } from '../events/index.js'

/** A transcript indexed by step key, for replaying it. */
export class Recording {
  readonly requests = new Map<string, ModelRequestEvent>()
  readonly responses = new Map<string, ModelResponseEvent>()
  readonly errors = new Map<string, ModelErrorEvent>()
  readonly toolResults = new Map<string, ToolResultEvent>()
  /** Memory writes a tool made itself (not the loop's writes for it), by the tool's step key. */
  readonly toolWrites = new Map<string, MemoryWriteEvent[]>()
  /** The memory key each truncated tool result was kept whole under, by the call's step key. */
  readonly resultKeys = new Map<string, string>()
  /** The memory key each delegation's result was written under, by the delegation's step key. */
  readonly delegationKeys = new Map<string, string>()
  /** The routing choices and fallbacks made for each model call, in order, by step key. */
  readonly routing = new Map<string, (ModelRouteEvent | ModelFallbackEvent)[]>()
  /** Approval decisions, with who made them and when, by the call's step key. */
  readonly approvals = new Map<string, ApprovalDecisionEvent>()
  /** Tool calls that started (a `tool.call` with no approval to wait for), by step key. */
  readonly startedTools = new Set<string>()
  /** What each tool call's server asked of the run (elicitations, sampling), in order, by the call's step key. */
  readonly toolRequests = new Map<string, RecordedToolRequest[]>()
  /** The answers elicitations got, by the elicitation's step key. */
  readonly elicitations = new Map<string, ElicitationAnswerEvent>()
  /** The tools agents with a live tool set were offered, by step key (`<agent>/<step>/tools`). */
  readonly toolOffers = new Map<string, ToolsChangeEvent>()

  constructor(readonly transcript: Transcript) {
    const writes: MemoryWriteEvent[] = []
    for (const event of transcript.events) {
      if (event.type === 'model.request') this.requests.set(event.path, event)
      else if (event.type === 'model.response') this.responses.set(event.path, event)
      else if (event.type === 'model.error') this.errors.set(event.path, event)
      else if (event.type === 'model.route' || event.type === 'model.fallback') {
        const list = this.routing.get(event.path) ?? []
        list.push(event)
        this.routing.set(event.path, list)
      } else if (event.type === 'tool.call') this.startedTools.add(event.path)
      else if (event.type === 'approval.decision') this.approvals.set(event.path, event)
      else if (event.type === 'tool.result') {
        // A call that was waiting for approval has no result yet, and never started: a resume runs it.
        if (event.error?.code !== 'AWAITING_APPROVAL') this.toolResults.set(event.path, event)
        else this.startedTools.delete(event.path)
      } else if (event.type === 'memory.write') writes.push(event)
      else if (event.type === 'elicitation.request' || event.type === 'sampling.request') {
        const call = event.path.slice(0, event.path.lastIndexOf('/'))
        const key = call.slice(0, call.lastIndexOf('/'))
        const list = this.toolRequests.get(key) ?? []
        list.push(event)
        this.toolRequests.set(key, list)
      } else if (event.type === 'elicitation.answer') this.elicitations.set(event.path, event)
      else if (event.type === 'tools.change') this.toolOffers.set(event.path, event)
    }
    for (const write of writes) {
      if (!/\/tool\/[^/]+$/.test(write.path)) continue
      const caller = agentPathOf(write.path)
      if (write.by !== caller && write.by.startsWith(`${caller}/`)) {
        this.delegationKeys.set(write.path, write.key)
        continue
      }
      const result = this.toolResults.get(write.path)
      if (result?.truncated && isResultKey(write.key, resultMemoryKey(result.name, result.callId))) {
        this.resultKeys.set(write.path, write.key)
        continue
      }
      const list = this.toolWrites.get(write.path) ?? []
      list.push(write)
      this.toolWrites.set(write.path, list)
    }
  }

  get header() {
    return this.transcript.header
  }

  /** The recorded definition of the agent at an agent path (by name down the tree). */
  agentAt(path: string): AgentTree | undefined {
    const names = [...path.matchAll(/agent:([^#/]+)#/g)].map((m) => m[1]!)
    const root = this.header.agent
    let node: AgentTree | undefined = root
    for (const name of names) node = childAgent(root, node, name)
    return node
  }
}

/** Whether `key` is where the loop keeps a truncated result whose usual key is `base` (see `claimResultKey`). */
function isResultKey(key: string, base: string): boolean {
  return key === base || (key.startsWith(`${base}/`) && /^\d+$/.test(key.slice(base.length + 1)))
}
