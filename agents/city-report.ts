/**
 * A workflow written in code: a city report. No model plans it: the cities' facts are looked up
 * at once, their densities and the population ratios worked out as soon as each lookup is in,
 * and a writer (a sub-agent on a model) turns the figures into a short report. It runs like any
 * agent: `baton run`, evals, a transcript that replays.
 *
 *   npx baton run agents/city-report.ts "Lisbon and Porto"       offline: replays the recording
 *   OPENAI_API_KEY=sk-... npx baton run agents/city-report.ts "Faro, Coimbra and Braga"
 */
import { fileURLToPath } from 'node:url'
import { defineAgent, defineWorkflow, type Model, type PlannedTask } from 'baton'
import { type ScriptStep, scriptedModel } from 'baton/testing'
import { citiesIn, cityFacts, divide } from './city-tools.js'

/** The recorded run `baton run` replays when no API key is set (see agents/recordings/record.ts). */
export const recording = fileURLToPath(new URL('./recordings/city-report.jsonl', import.meta.url))

/** The task the recording answers. */
export const question = 'Lisbon and Porto'

/** The writer's model live: whichever provider has a key. */
export function liveModel(): string {
  return process.env.ANTHROPIC_API_KEY && !process.env.OPENAI_API_KEY
    ? 'anthropic:claude-haiku-4-5'
    : 'openai:gpt-4.1-mini'
}

/** The city report, its writer on `model`. */
export function cityReport(model: Model | string = liveModel()) {
  const writer = defineAgent({
    name: 'writer',
    description: 'Writes a short report from figures it is given.',
    instructions:
      'Write a report of two or three sentences from the figures you are given. Use every figure as given; add none.',
    model,
    budget: { maxSteps: 2 },
  })
  return defineWorkflow({
    name: 'city-report',
    description: 'A short report comparing Portuguese cities by population and density.',
    tools: [cityFacts, divide],
    agents: [writer],
    plan: ({ task, round, results }) => {
      const cities = citiesIn(String(task))
      if (cities.length === 0)
        return { output: 'No city I know of is named: try Lisbon, Porto, Braga, Coimbra or Faro.' }
      if (round === 1)
        return { output: results.report?.status === 'done' ? results.report.value : results.report }
      const id = (city: string) => city.toLowerCase()
      const [first] = cities
      const tasks: PlannedTask[] = [
        ...cities.map((city) => ({ id: id(city), tool: 'city_facts', args: { city } })),
        ...cities.map((city) => ({
          id: `${id(city)}_density`,
          tool: 'divide',
          args: { a: `\${${id(city)}.population}`, b: `\${${id(city)}.areaKm2}` },
        })),
        ...cities.slice(1).map((city) => ({
          id: `${id(city)}_ratio`,
          tool: 'divide',
          args: { a: `\${${id(first!)}.population}`, b: `\${${id(city)}.population}` },
        })),
      ]
      const figures = [
        ...cities.map(
          (city) =>
            `${city}: \${${id(city)}.population} people, \${${id(city)}.areaKm2} km², \${${id(city)}_density} per km².`,
        ),
        ...cities
          .slice(1)
          .map((city) => `${first} has \${${id(city)}_ratio} times the population of ${city}.`),
        `Source: \${${id(first!)}.source}.`,
      ]
      tasks.push({ id: 'report', agent: 'writer', task: `Figures:\n${figures.join('\n')}` })
      return { tasks }
    },
  })
}

export default cityReport()

/** The writer offline: a scripted model that writes the report from the figures in its brief. */
export function offlineWriter(latencyMs = 0): Model {
  const write = (request: { messages: { role: string; content: string }[] }): ScriptStep => {
    const figures = request.messages.find((m) => m.role === 'user')?.content ?? ''
    const lines = figures.split('\n').slice(1)
    const text = lines.join(' ')
    return {
      text,
      usage: { inputTokens: Math.ceil(figures.length / 4), outputTokens: Math.ceil(text.length / 4) },
    }
  }
  return scriptedModel(
    Array.from({ length: 10 }, () => write),
    { id: 'scripted:offline-demo', latencyMs },
  )
}
