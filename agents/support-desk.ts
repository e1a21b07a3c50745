/**
 * A support desk: triages a customer message into a category and a priority, looks the order
 * up when there is one, and drafts a reply, as a typed JSON answer.
 *
 * Offline, it runs on a scripted model: a small keyword policy that reads the message and the
 * order lookup, so each message gets its own answer.
 */
import { defineAgent, defineTool, type ModelRequest, type ToolMessage } from 'baton'
import { scriptedModel } from 'baton/testing'
import { z } from 'zod'

const ORDERS: Record<string, { status: string; item: string; daysLate?: number }> = {
  '1042': { status: 'delivered', item: 'walking boots' },
  '1043': { status: 'in transit', item: 'rain jacket', daysLate: 6 },
  '1044': { status: 'lost', item: 'tent' },
  '1045': { status: 'processing', item: 'head torch' },
}

const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Looks up an order by its number: its status, the item, and how late it is.',
  input: z.object({ orderId: z.string().regex(/^\d+$/, 'digits only, without the #') }),
  run: ({ orderId }) => {
    const order = ORDERS[orderId]
    if (!order) throw new Error(`no order ${orderId}`)
    return { orderId, ...order }
  },
})

export const Triage = z.object({
  category: z.enum(['refund', 'shipping', 'account', 'other']),
  priority: z.enum(['low', 'normal', 'urgent']),
  orderId: z.string().optional(),
  reply: z.string().min(1),
})

const messageOf = (request: ModelRequest) => request.messages.find((m) => m.role === 'user')?.content ?? ''

/** The script's keyword policy. */
function triage(text: string, order: { status: string; item: string; daysLate?: number } | undefined) {
  const lower = text.toLowerCase()
  const category = /refund|money back|return/.test(lower)
    ? 'refund'
    : /where|deliver|shipping|arrive|late/.test(lower)
      ? 'shipping'
      : /password|log ?in|account|email/.test(lower)
        ? 'account'
        : 'other'
  const urgent =
    /urgent|asap|immediately/.test(lower) || order?.status === 'lost' || (order?.daysLate ?? 0) > 5
  const priority = urgent ? 'urgent' : category === 'other' ? 'low' : 'normal'
  const reply = order
    ? `Thanks for writing. Your ${order.item} is ${order.status}${order.daysLate ? `, ${order.daysLate} days late` : ''}; we are on it.`
    : category === 'account'
      ? 'Thanks for writing. You can reset your password from the sign-in page; tell us if that does not work.'
      : 'Thanks for writing. We will get back to you shortly.'
  return { category, priority, reply }
}

/** A fresh support desk (evals make one per case). */
export function supportDesk() {
  return defineAgent({
    name: 'support-desk',
    instructions: new URL('../prompts/support-desk.md', import.meta.url),
    tools: [lookupOrder],
    output: Triage,
    budget: { maxSteps: 4, maxToolCalls: 2 },
    model: scriptedModel(
      [
        (request) => {
          const text = messageOf(request)
          const orderId = /#(\d+)/.exec(text)?.[1]
          if (orderId)
            return {
              toolCalls: [{ name: 'lookup_order', args: { orderId } }],
              usage: { inputTokens: 210, outputTokens: 18 },
            }
          return {
            text: JSON.stringify(triage(text, undefined)),
            usage: { inputTokens: 210, outputTokens: 60 },
          }
        },
        (request) => {
          const result = request.messages.findLast((m): m is ToolMessage => m.role === 'tool')
          const order = result && !result.isError ? JSON.parse(result.content) : undefined
          const orderId = /#(\d+)/.exec(messageOf(request))?.[1]
          return {
            text: JSON.stringify({ ...triage(messageOf(request), order), orderId }),
            usage: { inputTokens: 290, outputTokens: 70 },
          }
        },
      ],
      { id: 'scripted:offline-demo', latencyMs: 20 },
    ),
  })
}

export default supportDesk()
