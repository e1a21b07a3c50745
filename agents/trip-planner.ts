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

const researcher = defineAgent({
  name: 'researcher',
  description: 'Finds the sights worth seeing in a city, with sources.',
  instructions: 'prompts/researcher.md',
  tools: [cityGuide],
  output: z.object({ sights: z.array(z.object({ name: z.string(), area: z.string(), source: z.string() })) }),
  budget: { maxSteps: 4 },
  model: scriptedModel(
    [
      {
        toolCalls: [{ name: 'city_guide', args: { city: 'Lisbon' } }],
        usage: { inputTokens: 180, outputTokens: 20 },
      },
      (request) => ({
        text: JSON.stringify({ sights: resultOf(request, 'city_guide') }),
        usage: { inputTokens: 320, outputTokens: 120 },
      }),
    ],
    { latencyMs: 40 },
  ),
})

const budgeter = defineAgent({
  name: 'budgeter',
  description: 'Estimates what a trip costs in euros.',
  instructions: 'prompts/budgeter.md',
  tools: [estimateCosts],
  budget: { maxSteps: 4 },
  model: scriptedModel(
    [
      {
        toolCalls: [{ name: 'estimate_costs', args: { city: 'Lisbon', days: 2, travellers: 1 } }],
        usage: { inputTokens: 150, outputTokens: 25 },
      },
      (request) => {
        const estimate = resultOf<{ totalEur: number; perDayEur: number }>(request, 'estimate_costs')
        return {
          text: `About €${estimate.totalEur} in total (€${estimate.perDayEur} a day).`,
          usage: { inputTokens: 260, outputTokens: 30 },
        }
      },
    ],
    { latencyMs: 30 },
  ),
})

export default defineAgent({
  name: 'trip-planner',
  instructions: 'prompts/trip-planner.md',
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
      {
        toolCalls: [
          {
            name: 'delegate_researcher',
            args: { task: 'List the sights worth seeing in Lisbon, with sources.' },
          },
          {
            name: 'delegate_budgeter',
            args: { task: 'Estimate the cost of 2 days in Lisbon for 1 traveller.' },
          },
        ],
        usage: { inputTokens: 240, outputTokens: 60 },
      },
      (request) => {
        const { sights } = resultOf<{ sights: { name: string; area: string; source: string }[] }>(
          request,
          'delegate_researcher',
        )
        const total = Number(/€(\d+)/.exec(resultOf<string>(request, 'delegate_budgeter'))?.[1])
        const byArea = (areas: string[]) => sights.filter((s) => areas.includes(s.area)).map((s) => s.name)
        const plan = {
          city: 'Lisbon',
          days: [
            {
              day: 1,
              plan: `Belém: ${byArea(['Belém']).join(' and ')}; evening at ${byArea(['Alcântara']).join(', ')}.`,
            },
            { day: 2, plan: `${byArea(['Alfama']).join(', ')}, then the tram 28 through the old town.` },
          ],
          estimatedCostEur: total,
          sources: [...new Set(sights.map((s) => s.source))],
        }
        return { text: JSON.stringify(plan), usage: { inputTokens: 520, outputTokens: 180 } }
      },
    ],
    { id: 'scripted:offline-demo', latencyMs: 50 },
  ),
})
