/**
 * @module otel
 * A run's events as the spans of a trace, after the OpenTelemetry GenAI semantic conventions
 * (v1.41.0, "Development"): `invoke_agent {agent}` for each agent, `chat {model}` for each model
 * call, `execute_tool {tool}` for each tool call. The tree is built from step keys, never from
 * async context: a sub-agent's span is under its parent agent's, a call's under its agent's,
 * however they interleave. The same events give the same spans live and from a transcript.
 * Attribute names are kept here as strings (the conventions' own constants are deprecated).
 */

import type { BudgetLeft } from '../budget/index.js'
import { agentPathOf, type BatonEvent, isSideCall } from '../events/index.js'
import { type Redactor, redactor } from '../transcript/redact.js'
import { Contents, FINISH_REASONS, storedText } from './content.js'
import type { AttributeValue, SpanChange, SpanRecord } from './span-record.js'

export type { AttributeValue, SpanChange, SpanRecord } from './span-record.js'

/** The agent path of a step key: `root/2/agent:a#0/3/tool/c1` → `root/2/agent:a#0`. */
const agentOf = agentPathOf

/** The parent agent of an agent path: `root/2/agent:a#0` → `root`. */
const parentAgentOf = (path: string): string | undefined =>
  path === 'root' ? undefined : path.replace(/\/\d+\/agent:[^/]+$/, '')

/** The events that open a span, keyed by their path. */
const OPENING: ReadonlySet<string> = new Set(['agent.start', 'model.request', 'tool.call'])

/** `provider:model` → its parts; an id of another shape is the model, of no known provider. */
function modelParts(id: string): { provider?: string; model: string } {
  const at = id.indexOf(':')
  return at > 0 ? { provider: id.slice(0, at), model: id.slice(at + 1) } : { model: id }
}

/**
 * Builds a run's spans from its events, one event at a time (live, or read from a transcript).
 * `runId` is the trace's conversation id (`gen_ai.conversation.id`).
 */
export class SpanBuilder {
  private readonly open = new Map<string, SpanRecord>()
  readonly spans: SpanRecord[] = []
  /** A sub-agent's path → the span of the delegation that started it (`…/3/tool/<call id>`). */
  private readonly delegatedBy = new Map<string, string>()
  /** A plan task's step key → the key of the plan call it belongs to. */
  private readonly plannedBy = new Map<string, string>()
  /** The agents' conversations, when message contents go on the spans. */
  private readonly contents: Contents | undefined
  /** Every span started so far, open or ended, by key. */
  private readonly started = new Map<string, SpanRecord>()
  /** Error messages go on spans redacted as the transcript redacts them, contents on or off. */
  private readonly redact: Redactor = redactor()

  /**
   * `content`: put message contents on the spans (prompts, answers, tool arguments and results),
   * redacted as the transcript redacts them. Off by default: they may hold what a trace store
   * should not.
   */
  constructor(
    private readonly runId: string,
    options: { content?: boolean } = {},
  ) {
    this.contents = options.content ? new Contents() : undefined
  }

  /** Takes the next event: the span it opened or closed, if any. */
  add(event: BatonEvent): SpanChange | undefined {
    const t = event.t ?? 0
    // The same span opened again while it is open (a line written twice): the span is already there.
    if (OPENING.has(event.type) && this.open.has(event.path)) return undefined
    switch (event.type) {
      case 'agent.start':
        return this.start(
          event.path,
          this.causeOf(event.path),
          `invoke_agent ${event.agent}`,
          'internal',
          t,
          {
            'gen_ai.operation.name': 'invoke_agent',
            'gen_ai.agent.name': event.agent,
            ...this.requested(event.model),
            'baton.depth': event.depth,
            ...(this.contents
              ? {
                  'gen_ai.input.messages': JSON.stringify([
                    { role: 'user', parts: [{ type: 'text', content: this.contents.text(event.task) }] },
                  ]),
                }
              : {}),
          },
        )
      case 'agent.end': {
        const span = this.open.get(event.path)
        if (!span) return undefined
        Object.assign(span.attributes, {
          'baton.status': event.status,
          'baton.stop_reason': event.stopReason,
          'gen_ai.usage.input_tokens': event.usage.inputTokens,
          'gen_ai.usage.output_tokens': event.usage.outputTokens,
          'baton.cost_usd': event.usage.costUsd,
        })
        if (this.contents) {
          this.contents.end(event.path)
          if (event.output !== undefined && event.output !== null)
            span.attributes['gen_ai.output.messages'] = JSON.stringify([
              { role: 'assistant', parts: [{ type: 'text', content: this.contents.text(event.output) }] },
            ])
        }
        if (event.status !== 'done' && event.status !== 'awaiting_approval')
          this.fail(span, event.error?.code ?? event.stopReason, event.error?.message ?? event.stopReason)
        return this.end(span, t)
      }
      case 'model.request': {
        // A side call (a judge, a summary) has a conversation of its own.
        const conversation = isSideCall(event.path) ? event.path : agentOf(event.path)
        const contents = this.contents?.request(conversation, event.messages)
        if (conversation === event.path) this.contents?.end(conversation)
        // An MCP server's sampling request is answered during its tool call: under that call's span.
        const sampled = event.path.lastIndexOf('/sample/')
        const call = sampled > 0 ? event.path.slice(0, sampled) : undefined
        return this.start(
          event.path,
          call !== undefined && this.open.has(call) ? call : agentOf(event.path),
          `chat ${modelParts(event.model).model}`,
          'client',
          t,
          {
            'gen_ai.operation.name': 'chat',
            ...this.requested(event.model),
            ...(event.maxTokens !== undefined ? { 'gen_ai.request.max_tokens': event.maxTokens } : {}),
            'baton.request_hash': event.hash,
            ...budgetLeft(event.budgetLeft),
            ...contents,
          },
        )
      }
      case 'context.compact':
        this.contents?.compacted(agentOf(event.path), event.messages)
        return this.count(agentOf(event.path), 'baton.context.compactions')
      case 'model.retry':
        return this.count(event.path, 'baton.retries')
      case 'model.fallback': {
        this.count(event.path, 'baton.fallbacks')
        const span = this.open.get(event.path)
        if (span) span.attributes['baton.fallback.last'] = `${event.from} → ${event.to} (${event.code})`
        return undefined
      }
      case 'model.route': {
        const span = this.open.get(event.path)
        if (span) span.attributes['baton.route.model'] = event.model
        return undefined
      }
      case 'model.queued': {
        const span = this.open.get(event.path)
        if (span) span.attributes['baton.queued.reason'] = event.reason
        return undefined
      }
      case 'model.response': {
        this.delegations(event.path, event.message.toolCalls)
        const span = this.open.get(event.path)
        if (!span) return undefined
        const { usage } = event
        const answered = modelParts(event.model ?? String(span.attributes['baton.model'] ?? ''))
        Object.assign(span.attributes, {
          'gen_ai.response.model': answered.model,
          'gen_ai.response.finish_reasons': [FINISH_REASONS[event.finishReason] ?? event.finishReason],
          'gen_ai.usage.input_tokens': usage.inputTokens,
          'gen_ai.usage.output_tokens': usage.outputTokens,
          ...(usage.cachedInputTokens
            ? { 'gen_ai.usage.cache_read.input_tokens': usage.cachedInputTokens }
            : {}),
          ...(usage.cacheWriteTokens
            ? { 'gen_ai.usage.cache_creation.input_tokens': usage.cacheWriteTokens }
            : {}),
          ...(usage.reasoningTokens ? { 'gen_ai.usage.reasoning.output_tokens': usage.reasoningTokens } : {}),
          'baton.cost_usd': event.costUsd,
          ...this.contents?.response(event.message, event.finishReason),
        })
        return this.end(span, t)
      }
      case 'model.error': {
        const span = this.open.get(event.path)
        if (!span) return undefined
        const code = event.error.details?.code
        this.fail(span, typeof code === 'string' ? code : event.error.code, event.error.message)
        return this.end(span, t)
      }
      case 'plan.start':
        this.planned(event.path, event.callId, event.tasks)
        return undefined
      case 'tool.call':
        return this.start(
          event.path,
          this.callerOf(event.path),
          `execute_tool ${event.name}`,
          'internal',
          t,
          {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': event.name,
            'gen_ai.tool.call.id': event.callId,
            ...(this.contents ? { 'gen_ai.tool.call.arguments': this.contents.text(event.args) } : {}),
          },
        )
      case 'approval.request': {
        const span = this.open.get(event.path)
        if (span) span.attributes['baton.approval'] = 'requested'
        return undefined
      }
      case 'tool.result': {
        const span = this.open.get(event.path)
        if (!span) return undefined
        if (event.error?.code === 'APPROVAL_DENIED') span.attributes['baton.approval'] = 'denied'
        if (event.error?.code === 'AWAITING_APPROVAL') span.attributes['baton.approval'] = 'waiting'
        if (this.contents) span.attributes['gen_ai.tool.call.result'] = this.contents.text(event.content)
        if (event.isError) {
          const code = event.error?.code ?? 'TOOL_ERROR'
          // Without contents, a failure with no message of its own is said by its code, not its result.
          this.fail(span, code, event.error?.message ?? (this.contents ? event.content : code))
        }
        return this.end(span, t)
      }
      case 'stall.warning':
        return this.count(event.path, 'baton.stall_warnings')
      case 'budget.exceeded': {
        const span = this.open.get(agentOf(event.path)) ?? this.open.get(event.path)
        if (span) span.attributes['baton.budget.exceeded'] = event.limit
        return undefined
      }
      case 'run.end':
        return this.closeAll(t)
      default:
        return undefined
    }
  }

  /**
   * Ends what is still open at `t`, the latest started first: at the run's end, or where a
   * transcript cut short by a crash stops (those spans say `baton.unfinished`).
   */
  closeAll(t: number, unfinished = false): SpanChange | undefined {
    const ended = [...this.open.values()].reverse()
    for (const span of ended) {
      if (unfinished) span.attributes['baton.unfinished'] = true
      this.end(span, t)
    }
    return ended.length ? { ended } : undefined
  }

  /**
   * Notes which tool call of a step starts which sub-agent: the step's `delegate_<name>` calls,
   * in the order the model made them, are its delegations `#0`, `#1`… to `<name>`.
   */
  private delegations(modelKey: string, calls: readonly { id: string; name: string }[] | undefined): void {
    if (!calls?.length) return
    const step = modelKey.slice(0, -'/model'.length)
    const counts = new Map<string, number>()
    for (const call of calls) {
      if (!call.name.startsWith('delegate_')) continue
      const sub = call.name.slice('delegate_'.length)
      const k = counts.get(sub) ?? 0
      counts.set(sub, k + 1)
      this.delegatedBy.set(`${step}/agent:${sub}#${k}`, `${step}/tool/${call.id}`)
    }
  }

  /**
   * Notes a plan's tasks: each sits under the plan's call, and a delegation task `#k` to a
   * sub-agent (in the plan's order) starts that sub-agent.
   */
  private planned(
    planKey: string,
    callId: string,
    tasks: readonly { id: string; kind: string; name: string }[],
  ): void {
    const step = planKey.slice(0, planKey.lastIndexOf('/tool/'))
    const counts = new Map<string, number>()
    for (const task of tasks) {
      const key = `${step}/tool/${callId}.${task.id.replaceAll('/', '.')}`
      this.plannedBy.set(key, planKey)
      if (task.kind !== 'agent') continue
      const k = counts.get(task.name) ?? 0
      counts.set(task.name, k + 1)
      this.delegatedBy.set(`${step}/agent:${task.name}#${k}`, key)
    }
  }

  /** The span a tool call sits under: its plan's call while open, else its agent's. */
  private callerOf(key: string): string | undefined {
    const plan = this.plannedBy.get(key)
    this.plannedBy.delete(key)
    return plan !== undefined && this.open.has(plan) ? plan : agentOf(key)
  }

  /**
   * The span above a key that has none: its agent's for a call; for an agent, the delegation
   * that started it, else its parent agent's.
   */
  private above(key: string): string | undefined {
    const agent = agentOf(key)
    if (agent !== key) return agent
    const call = this.delegatedBy.get(key)
    return call !== undefined && this.started.has(call) ? call : parentAgentOf(key)
  }

  /** The span a sub-agent's sits under: the delegation's tool call while open, else its parent agent's. */
  private causeOf(path: string): string | undefined {
    const call = this.delegatedBy.get(path)
    this.delegatedBy.delete(path)
    return call !== undefined && this.open.has(call) ? call : parentAgentOf(path)
  }

  private requested(modelId: string): Record<string, AttributeValue> {
    const { provider, model } = modelParts(modelId)
    return {
      ...(provider ? { 'gen_ai.provider.name': provider } : {}),
      'gen_ai.request.model': model,
      'gen_ai.conversation.id': this.runId,
      'baton.model': modelId,
    }
  }

  private start(
    key: string,
    parent: string | undefined,
    name: string,
    kind: SpanRecord['kind'],
    t: number,
    attributes: Record<string, AttributeValue>,
  ): SpanChange {
    // A parent that never started (its start event missing from a transcript): the nearest
    // span above it that did, so that every span stays in the run's one trace.
    let under = parent
    while (under !== undefined && !this.started.has(under)) under = this.above(under)
    const span: SpanRecord = {
      key,
      parent: under,
      name,
      kind,
      start: t,
      end: undefined,
      attributes: { ...attributes, 'baton.step_key': key },
      status: { code: 'unset' },
    }
    this.open.set(key, span)
    this.started.set(key, span)
    this.spans.push(span)
    return { started: span }
  }

  private end(span: SpanRecord, t: number): SpanChange {
    span.end = t
    this.open.delete(span.key)
    return { ended: [span] }
  }

  private fail(span: SpanRecord, type: string, message: string): void {
    span.attributes['error.type'] = type
    span.status = { code: 'error', message: storedText(message, this.redact) }
  }

  private count(key: string, attribute: string): undefined {
    const span = this.open.get(key)
    if (span) span.attributes[attribute] = Number(span.attributes[attribute] ?? 0) + 1
    return undefined
  }
}

/** What was left of the budget when a call was sent, as `baton.budget.left.*` attributes. */
function budgetLeft(left: BudgetLeft | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [name, value] of Object.entries(left ?? {}))
    if (value !== undefined) out[`baton.budget.left.${LEFT_NAMES[name] ?? name}`] = value
  return out
}

const LEFT_NAMES: Record<string, string> = { costUsd: 'cost_usd', toolCalls: 'tool_calls', wallMs: 'wall_ms' }

/** The spans of a whole run's events (a transcript's, say), in the order they started. */
export function spansOf(
  events: readonly BatonEvent[],
  runId: string,
  options: { content?: boolean } = {},
): SpanRecord[] {
  const builder = new SpanBuilder(runId, options)
  for (const event of events) builder.add(event)
  return builder.spans
}
