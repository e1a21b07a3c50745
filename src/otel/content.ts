/**
 * Message contents on spans, when a run opts in: Baton's messages in the GenAI conventions' shape
 * (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`, tool call
 * arguments and results), redacted exactly as the transcript redacts them: each value goes
 * through the transcript's own serializer first, so a span never holds what a transcript would
 * not.
 */
import type { AssistantMessage, FinishReason, Message } from '../model/types.js'
import { type Redactor, redactor } from '../transcript/redact.js'
import { transcriptJson } from '../transcript/transcript-json.js'

/** A part of a message, as the conventions write it. */
type Part =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id: string; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id: string; response: string }

interface ConventionMessage {
  role: 'user' | 'assistant' | 'tool'
  parts: Part[]
  finish_reason?: string
}

/** The conventions' finish reasons, from Baton's. */
export const FINISH_REASONS: Record<FinishReason, string> = {
  stop: 'stop',
  'tool-calls': 'tool_call',
  length: 'length',
  refusal: 'content_filter',
  'content-filter': 'content_filter',
  other: 'error',
}

/** Each agent's conversation so far, kept redacted, for the contents of its model calls' spans. */
export class Contents {
  private readonly redact: Redactor = redactor()
  private readonly histories = new Map<string, { system: Part[]; messages: ConventionMessage[] }>()

  /** A value as the transcript stores it (secrets redacted, nesting cut). */
  stored<T>(value: T): T {
    return JSON.parse(transcriptJson(value, this.redact)) as T
  }

  /** Takes an agent's new request messages; gives the request's attributes. */
  request(agent: string, added: readonly Message[]): Record<string, string> {
    let history = this.histories.get(agent)
    if (!history) {
      history = { system: [], messages: [] }
      this.histories.set(agent, history)
    }
    for (const message of this.stored(added)) {
      if (message.role === 'system') history.system.push({ type: 'text', content: message.content })
      else history.messages.push(conventionMessage(message))
    }
    return {
      ...(history.system.length ? { 'gen_ai.system_instructions': JSON.stringify(history.system) } : {}),
      'gen_ai.input.messages': JSON.stringify(history.messages),
    }
  }

  /** The agent's history was compacted: its conversation from here on is `messages` and what follows. */
  compacted(agent: string, messages: readonly Message[]): void {
    this.histories.delete(agent)
    this.request(agent, messages)
  }

  /** Takes an agent's answer; gives the response's attributes. */
  response(message: AssistantMessage, finishReason: FinishReason): Record<string, string> {
    // The answer comes back in the agent's next request, with the tool results after it.
    const answer = { ...conventionMessage(this.stored(message)), finish_reason: FINISH_REASONS[finishReason] }
    return { 'gen_ai.output.messages': JSON.stringify([answer]) }
  }

  /** The agent's conversation is over (its span ended). */
  end(agent: string): void {
    this.histories.delete(agent)
  }

  /** A text value (a task, a tool result) as the transcript stores it. */
  text(value: unknown): string {
    return storedText(value, this.redact)
  }
}

/** A value as text, as the transcript stores it (secrets redacted, nesting cut). */
export function storedText(value: unknown, redact: Redactor): string {
  const stored = JSON.parse(transcriptJson(value, redact))
  return typeof stored === 'string' ? stored : JSON.stringify(stored)
}

function conventionMessage(message: Exclude<Message, { role: 'system' }>): ConventionMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', parts: [{ type: 'text', content: message.content }] }
    case 'tool':
      return {
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: message.toolCallId, response: message.content }],
      }
    case 'assistant': {
      const parts: Part[] = []
      for (const reasoning of message.reasoning ?? [])
        if (reasoning.text) parts.push({ type: 'reasoning', content: reasoning.text })
      if (message.content) parts.push({ type: 'text', content: message.content })
      for (const call of message.toolCalls ?? [])
        parts.push({ type: 'tool_call', id: call.id, name: call.name, arguments: call.args ?? call.argsText })
      return { role: 'assistant', parts }
    }
  }
}
