/**
 * The city comparer in plan mode against the same agent on the ordinary loop, on the same cases:
 * both must give every city's figures and density right and compare the populations; plan mode
 * must do it in one plan and an answer. The report shows each eval's model calls and tokens side
 * by side.
 *
 *   baton eval evals/city-planner.eval.ts                  # offline, from evals/cassettes/city-*
 *   baton eval evals/city-planner.eval.ts --mode record    # run the agents (scripted offline) and record again
 */
import { readFileSync } from 'node:fs'
import { defineScorer } from 'baton'
import { defineEval, stepsAtMost, trajectory } from 'baton/eval'
import { cityComparer, offlineModel } from '../agents/city-planner.js'
import type { CityFacts } from '../agents/city-tools.js'

const CITIES = JSON.parse(
  readFileSync(new URL('../agents/data/cities.json', import.meta.url), 'utf8'),
) as Record<string, CityFacts>

/** Every city's population and density as the data says, and its population against the first city's. */
const figuresRight = defineScorer('figures-right', ({ output, expected }) => {
  const text = String(output)
  const cities = (expected as string[]).map((city) => CITIES[city.toLowerCase()]!)
  const want = [
    ...cities.map(
      (c) =>
        `${c.population.toLocaleString('en-US')} people on ${c.areaKm2} km² (${round(c.population / c.areaKm2)} per km²)`,
    ),
    ...cities
      .slice(1)
      .map((c) => `has ${round(cities[0]!.population / c.population)} times the population of ${c.city}`),
  ]
  const missing = want.filter((line) => !text.includes(line))
  return {
    pass: missing.length === 0,
    score: (want.length - missing.length) / want.length,
    reason: missing.length ? `missing: ${missing.join('; ')}` : 'every figure is right',
  }
})

const round = (n: number) => Math.round(n * 100) / 100

const cases = [
  {
    name: 'lisbon-porto',
    input: 'Compare Lisbon and Porto by population and density.',
    expected: ['Lisbon', 'Porto'],
  },
  {
    name: 'porto-braga-faro',
    input: 'How do Porto, Braga and Faro compare in population and density?',
    expected: ['Porto', 'Braga', 'Faro'],
  },
  {
    name: 'all-five',
    input: 'Compare Lisbon, Porto, Braga, Coimbra and Faro.',
    expected: ['Lisbon', 'Porto', 'Braga', 'Coimbra', 'Faro'],
  },
]

export const planMode = defineEval({
  name: 'city-planner',
  agent: () => cityComparer(offlineModel({ plan: true })),
  cases,
  scorers: [figuresRight, trajectory(['plan', 'city_facts', 'divide']), stepsAtMost(2)],
})

export const loop = defineEval({
  name: 'city-stepper',
  agent: () => cityComparer(offlineModel({ plan: false }), { plan: false }),
  cases,
  scorers: [figuresRight, stepsAtMost(16)],
})
