/**
 * An MCP server's sampling request (`sampling/createMessage`) as a Baton model request, and the
 * model's answer as the MCP result. Text only: the system prompt and text messages go to the
 * model, its text comes back. The server's model preferences, temperature and stop sequences
 * are hints Baton does not take: the user chose the model.
 */
import type { FinishReason, Message, ModelResponse } from '../model/types.js'

/** The parts of `sampling/createMessage` params Baton reads. */
export interface SamplingParams {
  messages: { role: 'user' | 'assistant'; content: unknown }[]
  systemPrompt?: string
  maxTokens: number
}

/** The request's messages as Baton messages, or why they cannot be (content other than text). */
export function samplingMessages(params: SamplingParams): Message[] | { problem: string } {
  const messages: Message[] = []
  if (params.systemPrompt) messages.push({ role: 'system', content: params.systemPrompt })
  for (const [i, message] of params.messages.entries()) {
    const blocks = Array.isArray(message.content) ? message.content : [message.content]
    const texts: string[] = []
    for (const block of blocks as { type?: unknown; text?: unknown }[]) {
      if (block?.type !== 'text' || typeof block.text !== 'string')
        return {
          problem: `message ${i + 1} has ${String(block?.type ?? 'no')} content; Baton's sampling takes text only`,
        }
      texts.push(block.text)
    }
    messages.push({ role: message.role, content: texts.join('\n') })
  }
  return messages
}

/** The model's answer as a `sampling/createMessage` result. */
export function samplingResult(response: ModelResponse, modelId: string) {
  return {
    role: 'assistant' as const,
    content: { type: 'text' as const, text: response.message.content },
    model: response.model ?? modelId,
    stopReason: stopReason(response.finishReason),
  }
}

function stopReason(reason: FinishReason): string {
  if (reason === 'stop') return 'endTurn'
  if (reason === 'length') return 'maxTokens'
  if (reason === 'tool-calls') return 'toolUse'
  return reason
}
