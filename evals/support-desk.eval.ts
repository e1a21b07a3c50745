/**
 * The support desk on six customer messages: each is triaged into the expected category and
 * priority, orders are looked up when the message gives a number (and only then), and the
 * answer is a valid `Triage` in at most two model calls.
 *
 *   baton eval evals/support-desk.eval.ts                  # offline, from evals/cassettes/support-desk/
 *   baton eval evals/support-desk.eval.ts --mode record    # run the agent and record again
 */
import { defineScorer } from 'baton'
import { defineEval, matchesSchema, stepsAtMost, trajectory } from 'baton/eval'
import { supportDesk, Triage } from '../agents/support-desk.js'

/** The fields of `expected` (category, priority, orderId) as the output has them; the score is the share right. */
const triaged = defineScorer('triage', ({ output, expected }) => {
  const want = (expected ?? {}) as Record<string, unknown>
  const got = (output ?? {}) as Record<string, unknown>
  const fields = Object.keys(want)
  const wrong = fields.filter((field) => got[field] !== want[field])
  const shown = (fields: string[], from: Record<string, unknown>) =>
    fields.map((field) => `${field} ${JSON.stringify(from[field])}`).join(', ')
  return {
    pass: wrong.length === 0,
    score: fields.length ? (fields.length - wrong.length) / fields.length : 1,
    reason: wrong.length
      ? `expected ${shown(wrong, want)}, got ${shown(wrong, got)}`
      : `triaged as ${shown(fields, got)}`,
  }
})

/** A message with an order number: the order is looked up. */
const looksUp = trajectory(['lookup_order'], { mode: 'exact' })
/** A message without one: no tool is called. */
const noLookup = trajectory([], { mode: 'exact' })

export default defineEval({
  name: 'support-desk',
  agent: () => supportDesk(),
  cases: [
    {
      name: 'late-order',
      input: 'Where is my order #1043? It should have arrived last week.',
      expected: { category: 'shipping', priority: 'urgent', orderId: '1043' },
      scorers: [looksUp],
    },
    {
      name: 'lost-order',
      input: 'My order #1044 was never delivered and the tracking page says the parcel is lost.',
      expected: { category: 'shipping', priority: 'urgent', orderId: '1044' },
      scorers: [looksUp],
    },
    {
      name: 'refund',
      input: 'I would like a refund for order #1042, the boots do not fit me.',
      expected: { category: 'refund', priority: 'normal', orderId: '1042' },
      scorers: [looksUp],
    },
    {
      name: 'asap-order',
      input: 'Order #1045 has not been delivered yet and I need it ASAP for a hike on Saturday.',
      expected: { category: 'shipping', priority: 'urgent', orderId: '1045' },
      scorers: [looksUp],
    },
    {
      name: 'password-reset',
      input: 'I forgot my password and cannot log in to my account.',
      expected: { category: 'account', priority: 'normal' },
      scorers: [noLookup],
    },
    {
      name: 'vague',
      input: 'Hello, I have a question about your shop.',
      expected: { category: 'other', priority: 'low' },
      scorers: [noLookup],
    },
  ],
  scorers: [matchesSchema(Triage), triaged, stepsAtMost(2)],
})
