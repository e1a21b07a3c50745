/**
 * The tools of the city examples (city-planner.ts in plan mode, city-report.ts a workflow): a
 * city's census figures from agents/data/cities.json, and a division to two decimals.
 */
import { readFileSync } from 'node:fs'
import { defineTool } from 'baton'
import { z } from 'zod'

export interface CityFacts {
  city: string
  population: number
  areaKm2: number
  source: string
}

const CITIES = JSON.parse(readFileSync(new URL('./data/cities.json', import.meta.url), 'utf8')) as Record<
  string,
  CityFacts
>

/** The cities the data knows, as written in a text ("Compare Lisbon and Porto"), in its order. */
export function citiesIn(text: string): string[] {
  return Object.values(CITIES)
    .map((facts) => ({ city: facts.city, at: text.toLowerCase().indexOf(facts.city.toLowerCase()) }))
    .filter(({ at }) => at >= 0)
    .sort((a, b) => a.at - b.at)
    .map(({ city }) => city)
}

export const cityFacts = defineTool({
  name: 'city_facts',
  description: 'The census population (2021) and the area in km² of a Portuguese city, with the source.',
  input: z.object({ city: z.string().describe('The city, e.g. "Lisbon"') }),
  run: ({ city }) => {
    const facts = CITIES[city.toLowerCase()]
    if (!facts)
      throw new Error(
        `no figures for ${city}; known: ${Object.values(CITIES)
          .map((c) => c.city)
          .join(', ')}`,
      )
    return facts
  },
})

export const divide = defineTool({
  name: 'divide',
  description: 'Divides a by b and rounds to two decimals (a ratio, or people per km²).',
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }) => {
    if (b === 0) throw new Error('cannot divide by zero')
    return Math.round((a / b) * 100) / 100
  },
})
