import type { Message } from '../model/types.js'

/**
 * A cheap, deliberately generous token estimate (about 4 characters a token) used only to
 * refuse calls a budget cannot afford before they are made. Real usage comes from the model.
 */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4)
}

/** Characters of a message that count toward the model's input. */
export function messageChars(message: Message): number {
  switch (message.role) {
    case 'assistant': {
      let chars = message.content.length
      if (message.toolCalls)
        for (const call of message.toolCalls) chars += call.name.length + (call.argsText?.length ?? 32)
      if (message.reasoning) for (const part of message.reasoning) chars += part.text.length
      return chars + 8
    }
    default:
      return message.content.length + 8
  }
}
