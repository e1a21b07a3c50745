/**
 * The trip planner on three briefs: the plan is a valid itinerary for the right city with one
 * entry per requested day, both sub-agents were asked, and the run stays within its steps and cost.
 *
 *   baton eval evals/trip-planner.eval.ts                  # offline, from evals/cassettes/trip-planner/
 *   baton eval evals/trip-planner.eval.ts --mode record    # run the agent and record again
 */
import { defineScorer } from 'baton'
import { costAtMost, defineEval, includes, matchesSchema, stepsAtMost, trajectory } from 'baton/eval'
import { z } from 'zod'
import { tripPlanner } from '../agents/trip-planner.js'

const Plan = z.object({
  city: z.string(),
  days: z.array(z.object({ day: z.number().int().positive(), plan: z.string().min(1) })).min(1),
  estimatedCostEur: z.number().positive(),
  sources: z.array(z.string()).min(1),
})

interface Brief {
  city: string
  days: number
  /** Euros for the whole stay: the city's daily rate × days × travellers. */
  costEur: number
}

type PlanOutput = z.infer<typeof Plan>

/** One entry per requested day, numbered 1, 2, … in order. */
const onePerDay = defineScorer('one-entry-per-day', ({ output, expected }) => {
  const want = (expected as Brief).days
  const days = (output as PlanOutput).days ?? []
  const numbers = days.map((d) => d.day)
  const inOrder = numbers.every((n, i) => n === i + 1)
  return {
    pass: days.length === want && inOrder,
    score: Math.max(0, 1 - Math.abs(days.length - want) / want) * (inOrder ? 1 : 0.5),
    reason: `expected days 1..${want}, got [${numbers.join(', ')}]`,
  }
})

/** The plan's estimate is the budgeter's: daily rate × days × travellers. */
const costAddsUp = defineScorer('estimated-cost', ({ output, expected }) => {
  const want = (expected as Brief).costEur
  const got = (output as PlanOutput).estimatedCostEur
  return { pass: got === want, score: got === want ? 1 : 0, reason: `expected €${want}, got €${got}` }
})

export default defineEval({
  name: 'trip-planner',
  agent: () => tripPlanner(),
  cases: [
    {
      name: 'lisbon-2-days',
      input: 'Plan a two-day trip to Lisbon',
      expected: { city: 'Lisbon', days: 2, costEur: 290 },
      scorers: [includes('Lisbon')],
    },
    {
      name: 'porto-3-days-2-people',
      input: 'Plan a 3-day trip to Porto for 2 people',
      expected: { city: 'Porto', days: 3, costEur: 720 },
      scorers: [includes('Porto')],
    },
    {
      name: 'lisbon-1-day',
      input: 'Plan a one-day trip to Lisbon',
      expected: { city: 'Lisbon', days: 1, costEur: 145 },
      scorers: [includes('Lisbon')],
    },
  ],
  scorers: [
    matchesSchema(Plan),
    onePerDay,
    costAddsUp,
    trajectory(['delegate_researcher', 'delegate_budgeter'], { mode: 'set' }),
    stepsAtMost(6),
    costAtMost(0.05),
  ],
})
