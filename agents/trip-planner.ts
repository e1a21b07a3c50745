/**
 * A trip planner: a lead agent that delegates to a researcher and a budgeter (concurrently),
 * then writes a typed plan.
 *
 * Offline, it runs on a scripted model: a fixed script whose later steps read the real tool
 * results from the request, so the data flowing through the run is real even though no
 * language model is called.
 *
 *   npm run demo
 */
import { defineAgent, defineTool, type ModelRequest, type ToolMessage } from 'baton'
import { scriptedModel } from 'baton/testing'
import { z } from 'zod'

const GUIDE: Record<string, { name: string; area: string; source: string }[]> = {
  lisbon: [
    { name: 'Belém Tower', area: 'Belém', source: 'visitlisboa.com' },
    { name: 'Jerónimos Monastery', area: 'Belém', source: 'visitlisboa.com' },
    { name: 'Alfama and the Castle of São Jorge', area: 'Alfama', source: 'visitlisboa.com' },
    { name: 'LX Factory', area: 'Alcântara', source: 'lxfactory.com' },
  ],
  porto: [
    { name: 'Livraria Lello', area: 'Baixa', source: 'visitporto.travel' },
    { name: 'Ribeira', area: 'Ribeira', source: 'visitporto.travel' },
  ],
}
const DAILY_EUR: Record<string, number> = { lisbon: 145, porto: 120 }

const cityGuide = defineTool({
  name: 'city_guide',
  description: 'Lists the sights worth seeing in a city, with the area each is in and a source.',
  input: z.object({ city: z.string().describe('City name, e.g. "Lisbon"') }),
  run: ({ city }) => {
    const sights = GUIDE[city.toLowerCase()]
    if (!sights) throw new Error(`no guide for ${city}; known cities: ${Object.keys(GUIDE).join(', ')}`)
    return sights
  },
})

const estimateCosts = defineTool({
  name: 'estimate_costs',
  description: 'Estimates the cost in euros of a stay: lodging, food and transport.',
  input: z.object({
    city: z.string(),
    days: z.number().int().positive(),
    travellers: z.number().int().positive(),
  }),
  run: ({ city, days, travellers }) => {
    const daily = DAILY_EUR[city.toLowerCase()] ?? 150
    return { city, days, travellers, perDayEur: daily, totalEur: daily * days * travellers }
  },
})

/** The latest result of a tool in the request, parsed when it is JSON. */
function resultOf<T>(request: ModelRequest, tool: string): T {
  const message = request.messages.findLast((m): m is ToolMessage => m.role === 'tool' && m.toolName === tool)
  if (!message) throw new Error(`the script expected a result from ${tool}`)
  try {
    return JSON.parse(message.content) as T
  } catch {
    return message.content as T
  }
}

/** What the scripted models read from a brief: the city, the number of days and travellers. */
function tripOf(text: string) {
  const city = /\b(Lisbon|Porto)\b/i.exec(text)?.[1] ?? 'Lisbon'
  const words: Record<string, number> = { one: 1, two: 2, three: 3, four: 4 }
  const days = /(\d+|one|two|three|four)[- ]days?\b/i.exec(text)?.[1] ?? '2'
  const travellers = /(\d+) (?:people|travellers|persons)/i.exec(text)?.[1] ?? '1'
  return {
    city: city[0]!.toUpperCase() + city.slice(1).toLowerCase(),
    days: words[days.toLowerCase()] ?? Number(days),
    travellers: Number(travellers),
  }
}

const briefOf = (request: ModelRequest) => request.messages.find((m) => m.role === 'user')?.content ?? ''

interface Sight {
  name: string
  area: string
  source: string
}

/**
 * A fresh trip planner (scripted models are used up as they play: evals make one per case).
 * The offline script is a small policy: every step reads the brief and the tool results it got.
 */
export function tripPlanner() {
  const researcher = defineAgent({
    name: 'researcher',
    description: 'Finds the sights worth seeing in a city, with sources.',
    instructions: new URL('../prompts/researcher.md', import.meta.url),
    tools: [cityGuide],
    output: z.object({
      sights: z.array(z.object({ name: z.string(), area: z.string(), source: z.string() })),
    }),
    budget: { maxSteps: 4 },
    model: scriptedModel(
      [
        (request) => ({
          toolCalls: [{ name: 'city_guide', args: { city: tripOf(briefOf(request)).city } }],
          usage: { inputTokens: 180, outputTokens: 20 },
        }),
        (request) => ({
          text: JSON.stringify({ sights: resultOf(request, 'city_guide') }),
          usage: { inputTokens: 320, outputTokens: 120 },
        }),
      ],
      { id: 'scripted:offline-demo', latencyMs: 40 },
    ),
  })

  const budgeter = defineAgent({
    name: 'budgeter',
    description: 'Estimates what a trip costs in euros.',
    instructions: new URL('../prompts/budgeter.md', import.meta.url),
    tools: [estimateCosts],
    budget: { maxSteps: 4 },
    model: scriptedModel(
      [
        (request) => ({
          toolCalls: [{ name: 'estimate_costs', args: tripOf(briefOf(request)) }],
          usage: { inputTokens: 150, outputTokens: 25 },
        }),
        (request) => {
          const estimate = resultOf<{ totalEur: number; perDayEur: number }>(request, 'estimate_costs')
          return {
            text: `About €${estimate.totalEur} in total (€${estimate.perDayEur} a day).`,
            usage: { inputTokens: 260, outputTokens: 30 },
          }
        },
      ],
      { id: 'scripted:offline-demo', latencyMs: 30 },
    ),
  })

  return defineAgent({
    name: 'trip-planner',
    instructions: new URL('../prompts/trip-planner.md', import.meta.url),
    agents: [researcher, budgeter],
    output: z.object({
      city: z.string(),
      days: z.array(z.object({ day: z.number(), plan: z.string() })),
      estimatedCostEur: z.number(),
      sources: z.array(z.string()),
    }),
    budget: { maxSteps: 12, maxCostUsd: 0.5 },
    model: scriptedModel(
      [
        (request) => {
          const { city, days, travellers } = tripOf(briefOf(request))
          const people = travellers === 1 ? '1 traveller' : `${travellers} travellers`
          return {
            toolCalls: [
              {
                name: 'delegate_researcher',
                args: { task: `List the sights worth seeing in ${city}, with sources.` },
              },
              {
                name: 'delegate_budgeter',
                args: { task: `Estimate the cost of ${days} days in ${city} for ${people}.` },
              },
            ],
            usage: { inputTokens: 240, outputTokens: 60 },
          }
        },
        (request) => {
          const { city, days } = tripOf(briefOf(request))
          const { sights } = resultOf<{ sights: Sight[] }>(request, 'delegate_researcher')
          const total = Number(/€(\d+)/.exec(resultOf<string>(request, 'delegate_budgeter'))?.[1])
          // Spread the sights over the days, neighbours together.
          const byArea = [...sights].sort((a, b) => a.area.localeCompare(b.area))
          const perDay = Math.max(1, Math.ceil(byArea.length / days))
          const plan = {
            city,
            days: Array.from({ length: days }, (_, d) => {
              const today = byArea.slice(d * perDay, (d + 1) * perDay)
              const text = today.map((s) => `${s.name} (${s.area})`).join(', ')
              return { day: d + 1, plan: text || 'A free day to wander.' }
            }),
            estimatedCostEur: total,
            sources: [...new Set(sights.map((s) => s.source))],
          }
          return { text: JSON.stringify(plan), usage: { inputTokens: 520, outputTokens: 180 } }
        },
      ],
      { id: 'scripted:offline-demo', latencyMs: 50 },
    ),
  })
}

export default tripPlanner()
