/**
 * A city comparer in plan mode: the model plans every lookup and division at once (a graph whose
 * divisions refer to the lookups' results), Baton runs each as soon as its inputs are ready, and
 * the model answers from all the results. `cityComparer(model, { plan: false })` is the same
 * agent on the ordinary loop, one call at a time: evals/city-planner.eval.ts compares the two.
 *
 *   npx baton run agents/city-planner.ts "Compare Lisbon, Porto and Braga"    offline: replays the recording
 *   OPENAI_API_KEY=sk-... npx baton run agents/city-planner.ts "Compare Faro and Coimbra"
 */
import { fileURLToPath } from 'node:url'
import { defineAgent, type Model, type ModelRequest, type ToolMessage } from 'baton'
import { type ScriptStep, scriptedModel } from 'baton/testing'
import { type CityFacts, citiesIn, cityFacts, divide } from './city-tools.js'

/** The recorded run `baton run` replays when no API key is set (see agents/recordings/record.ts). */
export const recording = fileURLToPath(new URL('./recordings/city-planner.jsonl', import.meta.url))

/** The question the recording answers. */
export const question = 'Compare Lisbon, Porto and Braga by population and density.'

/** The model the example runs on live: whichever provider has a key. */
export function liveModel(): string {
  return process.env.ANTHROPIC_API_KEY && !process.env.OPENAI_API_KEY
    ? 'anthropic:claude-haiku-4-5'
    : 'openai:gpt-4.1-mini'
}

/** The city comparer on `model`: in plan mode, or (`plan: false`) one call at a time. */
export function cityComparer(model: Model | string = liveModel(), { plan = true } = {}) {
  return defineAgent({
    name: plan ? 'city-planner' : 'city-stepper',
    description: 'Compares Portuguese cities by population, area and density.',
    instructions: new URL('../prompts/city-planner.md', import.meta.url),
    model,
    tools: [cityFacts, divide],
    budget: { maxSteps: 30, maxCostUsd: 0.2 },
    ...(plan ? { plan: { maxReplans: 1 } } : {}),
  })
}

export default cityComparer()

// ---------------------------------------------------------------------------------------------
// Offline: a scripted model that answers as a model would (the recordings and the eval use it).

const tokens = (value: unknown) => Math.ceil(JSON.stringify(value).length / 4)
const key = (city: string) => city.toLowerCase()

/** An answer, with the tokens of what the model was sent (messages and tools) and of what it says. */
function answer(request: ModelRequest, step: Omit<ScriptStep, 'usage'>): ScriptStep {
  return {
    ...step,
    usage: {
      inputTokens: tokens(request.messages) + tokens(request.tools ?? []),
      outputTokens: tokens(step.text ?? step.toolCalls ?? ''),
    },
  }
}

const results = (request: ModelRequest) => request.messages.filter((m): m is ToolMessage => m.role === 'tool')
const brief = (request: ModelRequest) =>
  String(request.messages.find((m) => m.role === 'user')?.content ?? '')

/** The answer, from each city's facts, density and population against the first city's. */
function summary(
  cities: CityFacts[],
  density: Record<string, number>,
  ratio: Record<string, number>,
): string {
  const [first, ...rest] = cities
  if (!first) return 'I know none of those cities.'
  const lines = cities.map(
    (c) =>
      `${c.city}: ${c.population.toLocaleString('en-US')} people on ${c.areaKm2} km² (${density[key(c.city)]} per km²).`,
  )
  for (const c of rest)
    lines.push(`${first.city} has ${ratio[key(c.city)]} times the population of ${c.city}.`)
  lines.push(`Source: ${first.source}.`)
  return lines.join('\n')
}

/** Plan mode: one plan (every lookup, density and ratio), then the answer from its results. */
function planPolicy(request: ModelRequest): ScriptStep {
  const report = results(request).find((m) => m.toolName === 'plan')
  const cities = citiesIn(brief(request))
  if (!report) {
    const [first] = cities
    const tasks: object[] = []
    for (const city of cities) tasks.push({ id: `facts_${key(city)}`, tool: 'city_facts', args: { city } })
    for (const city of cities)
      tasks.push({
        id: `density_${key(city)}`,
        tool: 'divide',
        args: { a: `\${facts_${key(city)}.population}`, b: `\${facts_${key(city)}.areaKm2}` },
      })
    for (const city of cities.slice(1))
      tasks.push({
        id: `ratio_${key(city)}`,
        tool: 'divide',
        args: { a: `\${facts_${key(first!)}.population}`, b: `\${facts_${key(city)}.population}` },
      })
    return answer(request, { toolCalls: [{ name: 'plan', args: { tasks } }] })
  }
  const done = JSON.parse(report.content) as Record<string, { result?: unknown }>
  const value = (id: string) => done[id]?.result
  return answer(request, {
    text: summary(
      cities.map((city) => value(`facts_${key(city)}`) as CityFacts),
      Object.fromEntries(cities.map((city) => [key(city), value(`density_${key(city)}`) as number])),
      Object.fromEntries(cities.map((city) => [key(city), value(`ratio_${key(city)}`) as number])),
    ),
  })
}

/** The ordinary loop: one call a step, each chosen from the results so far. */
function stepPolicy(request: ModelRequest): ScriptStep {
  const cities = citiesIn(brief(request))
  const got = results(request)
  const facts = got.filter((m) => m.toolName === 'city_facts').map((m) => JSON.parse(m.content) as CityFacts)
  const divisions = got.filter((m) => m.toolName === 'divide').map((m) => Number(m.content))
  if (facts.length < cities.length)
    return answer(request, { toolCalls: [{ name: 'city_facts', args: { city: cities[facts.length]! } }] })
  const asks = [
    ...facts.map((c) => ({ a: c.population, b: c.areaKm2 })),
    ...facts.slice(1).map((c) => ({ a: facts[0]!.population, b: c.population })),
  ]
  if (divisions.length < asks.length)
    return answer(request, { toolCalls: [{ name: 'divide', args: asks[divisions.length]! }] })
  return answer(request, {
    text: summary(
      facts,
      Object.fromEntries(facts.map((c, i) => [key(c.city), divisions[i]!])),
      Object.fromEntries(facts.slice(1).map((c, i) => [key(c.city), divisions[facts.length + i]!])),
    ),
  })
}

/** The offline stand-in for a model, for `plan` mode or the ordinary loop. */
export function offlineModel({ plan = true, latencyMs = 0 } = {}): Model {
  const policy = plan ? planPolicy : stepPolicy
  return scriptedModel(
    Array.from({ length: 40 }, () => policy),
    { id: 'scripted:offline-demo', latencyMs },
  )
}
