/**
 * The hand-written agent loop the benchmarks compare Baton with, measured in the same process
 * and the same rounds: what a person writes without a framework. It keeps a messages array,
 * calls the model, validates each tool call's arguments with zod, runs the tool, and goes on
 * until the model answers. No budget, no events, no transcript, no goal check.
 */
import { z } from 'zod'
import type { Message, Model, ToolSpec } from '../dist/index.js'

const echoInput = z.object({ text: z.string() })
const echoSpec: ToolSpec = {
  name: 'echo',
  description: 'Returns its text unchanged',
  parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
}

/** Runs `model` on `task` with the echo tool until it answers; returns the answer and the counts. */
export async function handWrittenLoop(
  model: Model,
  task: string,
  maxSteps = 1_000,
): Promise<{ text: string; steps: number; toolCalls: number }> {
  const messages: Message[] = [
    { role: 'system', content: 'Call echo until told otherwise, then answer.' },
    { role: 'user', content: task },
  ]
  let toolCalls = 0
  for (let steps = 1; steps <= maxSteps; steps++) {
    const { message } = await model.generate({ messages: messages.slice(), tools: [echoSpec] })
    messages.push(message)
    if (!message.toolCalls?.length) return { text: message.content, steps, toolCalls }
    for (const call of message.toolCalls) {
      toolCalls++
      const input = echoInput.safeParse(call.args)
      const content = input.success ? input.data.text : `Error: ${input.error.message}`
      messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content })
    }
  }
  throw new Error('the hand-written loop ran out of steps')
}

/** Fails loudly when the hand-written loop did not do the work it is timed for. */
export function expectHandDone(
  result: { steps: number; toolCalls: number },
  what: string,
  expect: { steps: number; toolCalls: number },
): void {
  if (result.steps !== expect.steps || result.toolCalls !== expect.toolCalls)
    throw new Error(
      `${what}: the hand-written loop made ${result.steps} model calls and ${result.toolCalls} tool calls, expected ${expect.steps} and ${expect.toolCalls}`,
    )
}
