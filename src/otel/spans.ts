/**
 * @module otel
 * A run's events as the spans of a trace, after the OpenTelemetry GenAI semantic conventions
 * (v1.41.0, "Development"): `invoke_agent {agent}` for each agent, `chat {model}` for each model
 * call, `execute_tool {tool}` for each tool call. The tree is built from step keys, never from
 * async context: a sub-agent's span is under its parent agent's, a call's under its agent's,
 * however they interleave. The same events give the same spans live and from a transcript.
 * Attribute names are kept here as strings (the conventions' own constants are deprecated).
 */
import type { BatonEvent } from '../events/index.js'

export type AttributeValue = string | number | boolean | string[]

/** One span, as the events say it: what an OpenTelemetry exporter is handed. */
export interface SpanRecord {
  /** The step key or agent path it stands for (unique in a run). */
  readonly key: string
  /** Its parent's key; undefined for the root agent. */
  readonly parent: string | undefined
  readonly name: string
  /** `client` for model calls (a call to another service), `internal` for the rest. */
  readonly kind: 'client' | 'internal'
  /** Milliseconds since the run started. */
  readonly start: number
  /** Milliseconds since the run started; undefined while it is open. */
  end: number | undefined
  readonly attributes: Record<string, AttributeValue>
  status: { code: 'unset' | 'error'; message?: string }
}

/** What one event did to the trace: the span it opened, and those it closed (children first). */
export interface SpanChange {
  started?: SpanRecord
  ended?: SpanRecord[]
}

/** The agent path of a step key: `root/2/agent:a#0/3/tool/c1` → `root/2/agent:a#0`. */
const agentOf = (key: string): string => key.replace(/\/\d+\/(model|tool\/[^/]+|goal(\/.*)?)$/, '')

/** The parent agent of an agent path: `root/2/agent:a#0` → `root`. */
const parentAgentOf = (path: string): string | undefined =>
  path === 'root' ? undefined : path.replace(/\/\d+\/agent:[^/]+$/, '')

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

  constructor(private readonly runId: string) {}

  /** Takes the next event: the span it opened or closed, if any. */
  add(event: BatonEvent): SpanChange | undefined {
    const t = event.t ?? 0
    switch (event.type) {
      case 'agent.start':
        return this.start(
          event.path,
          parentAgentOf(event.path),
          `invoke_agent ${event.agent}`,
          'internal',
          t,
          {
            'gen_ai.operation.name': 'invoke_agent',
            'gen_ai.agent.name': event.agent,
            ...this.requested(event.model),
            'baton.depth': event.depth,
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
        if (event.status !== 'done' && event.status !== 'awaiting_approval')
          this.fail(span, event.error?.code ?? event.stopReason, event.error?.message ?? event.stopReason)
        return this.end(span, t)
      }
      case 'model.request':
        return this.start(
          event.path,
          agentOf(event.path),
          `chat ${modelParts(event.model).model}`,
          'client',
          t,
          {
            'gen_ai.operation.name': 'chat',
            ...this.requested(event.model),
            ...(event.maxTokens !== undefined ? { 'gen_ai.request.max_tokens': event.maxTokens } : {}),
            'baton.request_hash': event.hash,
          },
        )
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
        const span = this.open.get(event.path)
        if (!span) return undefined
        const { usage } = event
        const answered = modelParts(event.model ?? String(span.attributes['baton.model'] ?? ''))
        Object.assign(span.attributes, {
          'gen_ai.response.model': answered.model,
          'gen_ai.response.finish_reasons': [event.finishReason],
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
      case 'tool.call':
        return this.start(event.path, agentOf(event.path), `execute_tool ${event.name}`, 'internal', t, {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': event.name,
          'gen_ai.tool.call.id': event.callId,
        })
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
        if (event.isError)
          this.fail(span, event.error?.code ?? 'TOOL_ERROR', event.error?.message ?? event.content)
        return this.end(span, t)
      }
      case 'stall.warning':
        return this.count(event.path, 'baton.stall_warnings')
      case 'budget.exceeded': {
        const span = this.open.get(agentOf(event.path)) ?? this.open.get(event.path)
        if (span) span.attributes['baton.budget.exceeded'] = event.limit
        return undefined
      }
      case 'run.end': {
        // What is still open ended with the run, the latest started first.
        const ended = [...this.open.values()].reverse()
        for (const span of ended) this.end(span, t)
        return ended.length ? { ended } : undefined
      }
      default:
        return undefined
    }
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
    const span: SpanRecord = {
      key,
      parent,
      name,
      kind,
      start: t,
      end: undefined,
      attributes: { ...attributes, 'baton.step_key': key },
      status: { code: 'unset' },
    }
    this.open.set(key, span)
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
    span.status = { code: 'error', message }
  }

  private count(key: string, attribute: string): undefined {
    const span = this.open.get(key)
    if (span) span.attributes[attribute] = Number(span.attributes[attribute] ?? 0) + 1
    return undefined
  }
}

/** The spans of a whole run's events (a transcript's, say), in the order they started. */
export function spansOf(events: readonly BatonEvent[], runId: string): SpanRecord[] {
  const builder = new SpanBuilder(runId)
  for (const event of events) builder.add(event)
  return builder.spans
}
