/**
 * Records the runs the example agents replay when no API key is set:
 *
 *   npm run build && npx tsx agents/recordings/record.ts                 every recording
 *   npm run build && npx tsx agents/recordings/record.ts city-report     only the ones named
 *
 * No language model is reachable offline, so each recording is made with a scripted model: a
 * small policy that reads each request (its brief, its tool results) and answers the way a
 * model would, while the tools, sub-agents, memory and budgets all run for real. The transcript
 * says so: every agent's model is `scripted:offline-demo`. With an API key the same agents run
 * live instead.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Agent, ModelRequest, ToolMessage } from 'baton'
import { type ScriptedModel, type ScriptStep, scriptedModel } from 'baton/testing'
// The recordings name their agent's module in the header (what `baton run` records), an option
// the public run() does not take.
import { streamRun } from '../../src/run/run.js'
import * as planner from '../city-planner.js'
import * as report from '../city-report.js'
import * as mcp from '../mcp-agent.js'
import * as research from '../research-lead.js'
import * as files from '../workspace-agent.js'

const tokens = (text: string) => Math.ceil(text.length / 4)

/** The tool results an agent has received so far, in order. */
const results = (request: ModelRequest) => request.messages.filter((m): m is ToolMessage => m.role === 'tool')

function answer(request: ModelRequest, step: Omit<ScriptStep, 'usage'>): ScriptStep {
  const input = tokens(request.messages.map((m) => m.content).join('\n'))
  const output = tokens(step.text ?? JSON.stringify(step.toolCalls ?? []))
  return { ...step, usage: { inputTokens: input, outputTokens: output } }
}

/** The research lead's team, played by one policy that looks at who is asking (`request.path`). */
function researchPolicy(request: ModelRequest): ScriptStep {
  const done = results(request)
  if (request.path === 'root') {
    const notes = done.find((m) => m.toolName === 'delegate_researcher')
    const analysis = done.find((m) => m.toolName === 'delegate_analyst')
    if (!notes) {
      return answer(request, {
        toolCalls: [
          {
            name: 'delegate_researcher',
            args: {
              task: 'Find the 2021 census population and the area (km²) of the city proper of Lisbon and of Porto. Give each figure with its source.',
            },
          },
        ],
      })
    }
    if (!analysis) {
      return answer(request, {
        toolCalls: [
          {
            name: 'delegate_analyst',
            args: {
              task: 'From the researcher notes, work out how many times bigger Lisbon is than Porto by population and by area, and the difference in people.',
              memoryKeys: ['agents/researcher/0'],
            },
          },
        ],
      })
    }
    const { figures } = JSON.parse(analysis.content) as { figures: Record<string, number> }
    const sources = [
      ...new Set(
        (notes.content.match(/Source: [^\n]+/g) ?? [])
          .flatMap((line) => line.replace('Source: ', '').split('; '))
          .map((source) => source.trim().replace(/\.$/, '')),
      ),
    ]
    return answer(request, {
      text:
        `By population, Lisbon is about ${figures.populationRatio?.toFixed(2)} times the size of Porto: ` +
        `${figures.lisbonPopulation?.toLocaleString('en-US')} people against ${figures.portoPopulation?.toLocaleString('en-US')} ` +
        `(${figures.populationDifference?.toLocaleString('en-US')} more, 2021 census, city proper). ` +
        `By area it is about ${figures.areaRatio?.toFixed(2)} times larger: ${figures.lisbonAreaKm2} km² against ${figures.portoAreaKm2} km². ` +
        `Sources: ${sources.join('; ')}.`,
    })
  }
  if (request.path?.includes('agent:researcher')) {
    if (done.length === 0)
      return answer(request, {
        toolCalls: [{ name: 'search_files', args: { query: 'Population (city proper' } }],
      })
    if (done.length === 1)
      return answer(request, { toolCalls: [{ name: 'search_files', args: { query: 'Area (city proper)' } }] })
    if (done.length === 2)
      return answer(request, { toolCalls: [{ name: 'search_files', args: { query: 'Source:' } }] })
    const lines = done.flatMap((m) => m.content.split('\n')).filter((line) => /^\w+\.md:\d+:/.test(line))
    const fact = (file: string, what: RegExp) =>
      lines.find((l) => l.startsWith(file) && what.test(l))?.replace(/^[^:]+:\d+:\s*-?\s*/, '')
    const text = ['lisbon', 'porto']
      .flatMap((city) => {
        const name = city[0]!.toUpperCase() + city.slice(1)
        return [
          `${name}: ${fact(`${city}.md`, /Population \(city proper/)}`,
          `${name}: ${fact(`${city}.md`, /Area \(city proper/)}`,
          `${name}: ${fact(`${city}.md`, /Source:/)}`,
        ]
      })
      .join('\n')
    return answer(request, { text })
  }
  if (request.path?.includes('agent:analyst')) {
    const brief = request.messages.find((m) => m.role === 'user')?.content ?? ''
    const number = (city: string, what: string) =>
      Number(new RegExp(`${city}: ${what}[^:]*:\\s*([\\d,.]+)`).exec(brief)?.[1]?.replace(/,/g, ''))
    const lisbon = { people: number('Lisbon', 'Population'), area: number('Lisbon', 'Area') }
    const porto = { people: number('Porto', 'Population'), area: number('Porto', 'Area') }
    const sums = [
      `${lisbon.people} / ${porto.people}`,
      `${lisbon.area} / ${porto.area}`,
      `${lisbon.people} - ${porto.people}`,
    ]
    if (done.length < sums.length)
      return answer(request, { toolCalls: [{ name: 'calculate', args: { expression: sums[done.length]! } }] })
    const [populationRatio, areaRatio, populationDifference] = done.map((m) => Number(m.content))
    const figures = {
      lisbonPopulation: lisbon.people,
      portoPopulation: porto.people,
      lisbonAreaKm2: lisbon.area,
      portoAreaKm2: porto.area,
      populationRatio: Math.round(populationRatio! * 100) / 100,
      areaRatio: Math.round(areaRatio! * 100) / 100,
      populationDifference: populationDifference!,
    }
    const findings = [
      `Lisbon has ${figures.populationRatio} times Porto's population (${lisbon.people} vs ${porto.people}).`,
      `Lisbon's city proper is ${figures.areaRatio} times Porto's area (${lisbon.area} km² vs ${porto.area} km²).`,
    ]
    return answer(request, { text: JSON.stringify({ findings, figures }) })
  }
  throw new Error(`no script for ${request.path}`)
}

/** The workspace agent: list, read the notes, write the todo list, say what changed. */
function workspacePolicy(request: ModelRequest): ScriptStep {
  const done = results(request)
  if (done.length === 0) return answer(request, { toolCalls: [{ name: 'list_files', args: {} }] })
  if (done.length === 1)
    return answer(request, { toolCalls: [{ name: 'read_file', args: { path: 'notes.md' } }] })
  const todo = todoFrom(done[1]!.content)
  if (done.length === 2) {
    return answer(request, {
      toolCalls: [{ name: 'write_file', args: { path: 'todo.md', content: `${todo.join('\n')}\n` } }],
    })
  }
  return answer(request, {
    text: `Wrote todo.md: ${todo.length - 2} actions from notes.md, each with its owner (one still needs one).`,
  })
}

/** The notes' action lines as todo items. */
function todoFrom(notes: string): string[] {
  const items = [...notes.matchAll(/^- (.+)$/gm)].map(([, line]) => {
    const text = line!.replace(/\.$/, '')
    const will = /^(\w+) will (.+)$/.exec(text)
    if (will) return `- [ ] ${cap(will[2]!)} (${will[1]})`
    const takes = /^(\w+) takes over (.+)$/.exec(text)
    if (takes) return `- [ ] Take over ${takes[2]} (${takes[1]})`
    if (/no owner/.test(text))
      return `- [ ] ${cap(text.replace(/^Someone should /, '').replace(/ \(no owner yet\)/, ''))} (owner needed)`
    return `- [ ] ${cap(text.replace(/^We agreed to /, ''))} (team)`
  })
  return ['# Todo', '', ...items]
}

const cap = (text: string) => text[0]!.toUpperCase() + text.slice(1)

/** The MCP agent: list the folder, read the notes, answer from them. */
function mcpPolicy(request: ModelRequest): ScriptStep {
  const done = results(request)
  if (done.length === 0)
    return answer(request, { toolCalls: [{ name: 'fs_list_directory', args: { path: '.' } }] })
  if (done.length === 1)
    return answer(request, { toolCalls: [{ name: 'fs_read_text_file', args: { path: 'notes.md' } }] })
  // The server answers with structured content ({ content: "..." }) when it has it.
  const raw = done[1]!.content
  const notes = raw.startsWith('{') ? (JSON.parse(raw) as { content: string }).content : raw
  const budget = /Budget: ([^\n]+)/.exec(notes)?.[1]?.replace(/\.$/, '')
  const owners = [...notes.matchAll(/^- (\w+) (?:will|takes over) (.+?)\.?$/gm)].map(
    ([, who, what]) => `${who}: ${what}`,
  )
  return answer(request, {
    text: `notes.md sets the budget: ${budget}. Owners: ${owners.join('; ')}. The website's speaker page has no owner yet.`,
  })
}

/** The examples to record: those named on the command line, else all. */
const only = process.argv.slice(2)
const wanted = (name: string) => only.length === 0 || only.includes(name)

/** Records one example run of `agent` (its models scripted already). */
async function recordRun(name: string, agent: Agent, question: string, path: string) {
  if (!wanted(name)) return
  const events = streamRun(agent, question, { record: path, source: { module: `agents/${name}.ts` } })
  for await (const _ of events);
  const result = await events.result
  const output = typeof result.output === 'string' ? result.output : JSON.stringify(result.output)
  console.log(`${name}: ${result.status}, ${result.usage.steps} model calls\n${output}\n`)
  if (result.status !== 'done') process.exitCode = 1
}

/** Records one example on a scripted model playing `policy`. */
async function record(
  name: string,
  make: (model: ScriptedModel) => Agent | Promise<Agent>,
  policy: (request: ModelRequest) => ScriptStep,
  question: string,
  path: string,
) {
  if (!wanted(name)) return
  const model = scriptedModel(
    Array.from({ length: 40 }, () => policy),
    { id: 'scripted:offline-demo', latencyMs: 30 },
  )
  await recordRun(name, await make(model), question, path)
}

// The file agents work on a copy of the seeded workspace, so the recordings hold no local paths.
const scratch = mkdtempSync(join(tmpdir(), 'baton-record-'))
copyFileSync(fileURLToPath(new URL('../data/workspace/notes.md', import.meta.url)), join(scratch, 'notes.md'))
let stop = async () => {}
try {
  await record(
    'research-lead',
    (model) => research.researchLead(model),
    researchPolicy,
    research.question,
    research.recording,
  )
  await recordRun(
    'city-planner',
    planner.cityComparer(planner.offlineModel({ latencyMs: 30 })),
    planner.question,
    planner.recording,
  )
  await recordRun(
    'city-report',
    report.cityReport(report.offlineWriter(30)),
    report.question,
    report.recording,
  )
  await record(
    'workspace-agent',
    (model) => files.workspaceAgent(model, scratch),
    workspacePolicy,
    files.question,
    files.recording,
  )
  await record(
    'mcp-agent',
    async (model) => {
      const started = await mcp.mcpAgent(model, scratch)
      stop = started.close
      return started.agent
    },
    mcpPolicy,
    mcp.question,
    mcp.recording,
  )
} finally {
  await stop()
  await mcp.close()
  rmSync(scratch, { recursive: true, force: true })
}
console.log(`recordings written to ${fileURLToPath(new URL('.', import.meta.url))}`)
