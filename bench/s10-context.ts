/**
 * S10 (`npm run bench -- --only s10`): context compaction. One agent makes 60 tool calls whose
 * results are about 2,000 tokens each (scripted model and tool), without compaction and with
 * each tier; then the research-lead example (agents/research-lead.ts) against one agent making
 * the same tool calls with the full history carried along. The scripted models count a token per
 * 4 characters of each request (messages and tool specs, `countRequestTokens`); totals add up
 * `usage.inputTokens` of every model call, summaries included. Prints two tables.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { question, recording, researchLead } from '../agents/research-lead.js'
import {
  type Agent,
  type ContextOptions,
  type ContextPolicyFn,
  defineAgent,
  defineTool,
  type ModelRequest,
  stream,
} from '../dist/index.js'
import {
  countRequestTokens,
  type ScriptEntry,
  type ScriptStep,
  scriptedModel,
} from '../dist/testing/index.js'
import { median, renderTable } from './lib.js'

const STEPS = 60
/** About 2,000 tokens a result, at 4 characters a token. */
const PAGE_CHARS = 8_000
/** The model's window: the run without compaction (about 121k tokens at its last call) fits. */
const WINDOW = 128_000
/** Compact when a request would pass this: crossed many times in 60 steps. */
const THRESHOLD = 16_000
/** A tighter threshold, under which the stubs alone no longer keep the history small enough. */
const TIGHT = 8_000
const WARMUP = 2
const ROUNDS = 7
const TASK = `Read the survey's ${STEPS} pages with read_page, one after the other, then say you are done.`

/** Page `n`: a fact, then filler to PAGE_CHARS characters (different on every page). */
function page(n: number): string {
  const head = `Page ${n} of ${STEPS}. Fact ${n}: station ${n} recorded ${(n * 37) % 101} mm of rain.\n`
  const filler = `Station ${n}, reading ${n}: the gauge was checked, cleaned and read again, as every day. `
  return (head + filler.repeat(Math.ceil(PAGE_CHARS / filler.length))).slice(0, PAGE_CHARS)
}

const readPage = defineTool({
  name: 'read_page',
  description: 'Reads one page of the rain survey.',
  input: z.object({ page: z.number().int().min(1) }),
  run: ({ page: n }) => page(n),
})

/**
 * The agent reads page after page, then answers; a summary request (no tools, the summariser's
 * instructions) is answered with the facts it was shown. Summaries take entries of the same
 * script, so every entry looks at the request, and the agent's own progress is counted here.
 */
function surveyModel() {
  let step = 0
  const policy = (request: ModelRequest): ScriptStep => {
    if (request.tools.length === 0) {
      const shown = request.messages.map((m) => m.content).join('\n')
      const earlier = /Earlier summary: [^\n]*\n([^\n]*)/.exec(shown)?.[1]
      const facts = [...shown.matchAll(/Fact (\d+): station \d+ recorded (\d+) mm/g)].map(
        ([, n, mm]) => `p${n} ${mm} mm`,
      )
      return {
        text: `Pages read so far, with their facts: ${[earlier, ...facts].filter(Boolean).join('; ')}.`,
      }
    }
    step++
    if (step > STEPS) return { text: `Done: read all ${STEPS} pages.` }
    return { text: `Reading page ${step}.`, toolCalls: [{ name: 'read_page', args: { page: step } }] }
  }
  const entries: ScriptEntry[] = Array.from({ length: 4 * STEPS }, () => policy)
  return scriptedModel(entries, { countTokens: true, contextWindow: WINDOW })
}

/** An own policy: keep the instructions, the brief and the last 3 turns; drop the rest. */
const dropOld: ContextPolicyFn = (history, info) => [
  ...history.slice(0, 2),
  ...history.slice(info.recentFrom),
]

interface Mode {
  label: string
  threshold: number
  context?: ContextOptions
}
const mode = (label: string, threshold: number, context?: Omit<ContextOptions, 'threshold'>): Mode =>
  context
    ? { label, threshold, context: { ...context, threshold: { tokens: threshold } } }
    : { label, threshold }
const MODES: Mode[] = [
  mode('no compaction', WINDOW),
  mode('tier 1: stubs (summarize: false)', THRESHOLD, { summarize: false }),
  mode('tier 2: summaries (stubResults: false)', THRESHOLD, { stubResults: false }),
  mode('tiers 1+2 (the default)', THRESHOLD, {}),
  mode('tiers 1+2 (the default), tighter threshold', TIGHT, {}),
  mode('own policy: drop turns before the last 3', THRESHOLD, { policy: dropOld }),
]

type Measure = Awaited<ReturnType<typeof measure>>

/** Runs `agent` on `task`, adding up the tokens of every model call from the events. */
async function measure(agent: Agent, task: string) {
  const started = performance.now()
  const run = stream(agent, task, { deltas: false })
  const m = {
    /** Model calls, input tokens (summaries included) and the largest request: the agents' own. */
    calls: 0,
    input: 0,
    peak: 0,
    /** The same of the summaries. */
    summaries: 0,
    summaryInput: 0,
    summaryPeak: 0,
    compactions: 0,
    stubbed: 0,
    /** The agents' own calls by agent path (`root`, `root/1/agent:researcher#0`). */
    byAgent: new Map<string, { calls: number; input: number }>(),
    /** Every tool result, in order, as `name → content` (delegations left out). */
    toolResults: [] as string[],
  }
  for await (const event of run) {
    if (event.type === 'model.response') {
      const tokens = event.usage.inputTokens
      m.input += tokens
      if (event.path.endsWith('/compact/model')) {
        m.summaries++
        m.summaryInput += tokens
        m.summaryPeak = Math.max(m.summaryPeak, tokens)
        continue
      }
      m.calls++
      m.peak = Math.max(m.peak, tokens)
      const agentPath = event.path.replace(/\/\d+\/model$/, '')
      const own = m.byAgent.get(agentPath) ?? { calls: 0, input: 0 }
      m.byAgent.set(agentPath, { calls: own.calls + 1, input: own.input + tokens })
    } else if (event.type === 'tool.result') {
      if (!event.name.startsWith('delegate_')) m.toolResults.push(`${event.name} → ${event.content}`)
    } else if (event.type === 'context.compact') {
      m.compactions++
      m.stubbed += event.stubbed.length
    }
  }
  const result = await run.result
  return { ...m, wallMs: performance.now() - started, result }
}

/** A benchmark that did not do the work it claims to measure is worthless: fail loudly. */
function expectWork(what: string, m: Measure, toolCalls: number): void {
  const { result } = m
  if (result.status !== 'done')
    throw new Error(`S10: ${what} ended ${result.status}/${result.stopReason}: ${result.error?.message}`)
  if (result.usage.toolCalls !== toolCalls)
    throw new Error(`S10: ${what} made ${result.usage.toolCalls} tool calls, not ${toolCalls}`)
  if (result.usage.inputTokens !== m.input)
    throw new Error(`S10: ${what}: usage says ${result.usage.inputTokens} input tokens, the calls ${m.input}`)
}

const n = (value: number) => value.toLocaleString('en-US')

async function surveyRun({ label, context }: Mode): Promise<Measure> {
  const agent = defineAgent({
    name: 'surveyor',
    instructions: 'You read documents page by page with your tools.',
    model: surveyModel(),
    tools: [readPage],
    budget: { maxSteps: 200 },
    ...(context ? { context } : {}),
  })
  const m = await measure(agent, TASK)
  expectWork(label, m, STEPS)
  if (m.calls !== STEPS + 1) throw new Error(`S10: ${label} made ${m.calls} model calls, not ${STEPS + 1}`)
  return m
}

// The modes take turns within each round, so that drift (a busy machine, GC) hits them alike.
const rounds = new Map<Mode, Measure[]>(MODES.map((each) => [each, []]))
for (let round = -WARMUP; round < ROUNDS; round++)
  for (const each of MODES) {
    const m = await surveyRun(each)
    if (round >= 0) rounds.get(each)!.push(m)
  }
const rows: string[][] = []
let baseline = 0
for (const [each, measured] of rounds) {
  const m = measured[0]!
  if (measured.some((r) => r.input !== m.input))
    throw new Error(`S10: ${each.label}: tokens differ between rounds`)
  baseline ||= m.input
  const ratio = baseline / m.input
  rows.push([
    each.label,
    each.context ? n(each.threshold) : '—',
    `${m.calls} + ${m.summaries}`,
    `${n(m.input)}${m.summaries ? ` (${n(m.summaryInput)})` : ''}`,
    `${n(m.peak)}${m.summaries ? ` (${n(m.summaryPeak)})` : ''}`,
    `${m.compactions}${m.stubbed ? ` (${m.stubbed} stubs)` : ''}`,
    `${ratio.toFixed(2)}×`,
    median(measured.map((r) => r.wallMs)).toFixed(1),
    each.context ? `${ratio >= 3 ? 'yes' : 'NO'} · ${m.peak <= each.threshold ? 'yes' : 'NO'}` : '',
  ])
}
console.log(
  renderTable(
    [
      `S10: ${STEPS} tool results of ~2,000 tokens`,
      'threshold',
      'model calls (agent + summaries)',
      'input tokens, all calls (summaries)',
      'peak request (summary)',
      'compactions',
      'fewer than none',
      'wall ms',
      'met (≥ 3× · peak ≤ threshold)',
    ],
    rows,
  ),
)
console.log(
  `\nwindow ${n(WINDOW)} tokens (the scripted model refuses a request over it); the last 3 turns kept; ` +
    `every run done with ${STEPS} tool calls; wall: median of ${ROUNDS} rounds after ${WARMUP} warm-up rounds`,
)

// ---------------------------------------------------------------------------------------------
// The research lead against one agent carrying the full history

/** A token per 4 characters of the messages and tool specs, and of the output schema when sent. */
const sent = (request: ModelRequest) =>
  countRequestTokens(request) + (request.output ? Math.ceil(JSON.stringify(request.output).length / 4) : 0)

/** `step`, with the usage `sent` counts. */
const counted = (request: ModelRequest, step: ScriptStep): ScriptStep => ({
  ...step,
  usage: { inputTokens: sent(request), outputTokens: Math.ceil(JSON.stringify(step).length / 4) },
})

/** The recorded answers of every agent of the team, in order, each with its agent's path. */
function recordedAnswers(): { agent: string; step: ScriptStep }[] {
  const lines = readFileSync(recording, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
  return lines
    .map(
      (line) => JSON.parse(line) as { type: string; path: string; message: ScriptStep & { content: string } },
    )
    .filter((event) => event.type === 'model.response')
    .map(({ path, message: { content, toolCalls } }) => ({
      agent: path.replace(/\/\d+\/model$/, ''),
      step: toolCalls?.length ? { text: content, toolCalls } : { text: content },
    }))
}

/** A model that gives each agent of the team its recorded answers, in the order it asks. */
function teamModel(answers: { agent: string; step: ScriptStep }[]) {
  const queues = new Map<string, ScriptStep[]>()
  for (const { agent, step } of answers) queues.set(agent, [...(queues.get(agent) ?? []), step])
  const entry = (request: ModelRequest): ScriptStep => {
    const next = queues.get(request.path ?? 'root')?.shift()
    if (!next) throw new Error(`S10: no recorded answer left for ${request.path}`)
    return counted(request, next)
  }
  return scriptedModel(answers.map(() => entry))
}

const answers = recordedAnswers()
const team = await measure(researchLead(teamModel(answers)), question)
const toolSteps = answers.filter((a) => a.agent !== 'root' && a.step.toolCalls).map((a) => a.step)
const delegations = answers.filter((a) => a.agent === 'root' && a.step.toolCalls).length
expectWork('the research lead', team, delegations + toolSteps.length)

// One agent with the researcher's and the analyst's tools makes the sub-agents' tool calls in
// the same order, then gives the lead's answer; its history holds everything it did.
const [researcher, analyst] = researchLead(scriptedModel([])).agents
const single = defineAgent({
  name: 'one-agent',
  instructions:
    'You answer questions yourself. Find the facts in the notes first (list_files, search_files, read_file), ' +
    'with http_fetch for what they do not have, quoting figures exactly with their sources. Work out ' +
    'comparisons, ratios and differences with the calculate tool. Then answer in a few plain sentences ' +
    'that cite the sources.',
  model: scriptedModel(
    [...toolSteps, answers.at(-1)!.step].map((step) => (request: ModelRequest) => counted(request, step)),
  ),
  tools: [...researcher!.tools, ...analyst!.tools],
})
const alone = await measure(single, question)
expectWork('the one agent', alone, toolSteps.length)
if (alone.toolResults.join('\n') !== team.toolResults.join('\n'))
  throw new Error(
    `S10: the one agent's tool results differ from the team's:\n${alone.toolResults.join('\n')}`,
  )
if (alone.result.output !== team.result.output)
  throw new Error("S10: the one agent's answer differs from the lead's")

const who = (path: string) => (path === 'root' ? 'the lead' : `the ${path.replace(/^.*agent:|#\d+$/g, '')}`)
const teamRows = [
  ['lead + researcher + analyst (scoped briefs)', team, `${toolSteps.length} + ${delegations} delegations`],
  ['one agent, same tool calls, full history', alone, String(toolSteps.length)],
] as const
console.log(
  `\n${renderTable(
    [
      'S10: research lead (agents/research-lead.ts)',
      'model calls',
      'tool calls',
      'input tokens',
      'peak request',
    ],
    teamRows.flatMap(([label, m, tools]) => [
      [label, String(m.calls), tools, n(m.input), n(m.peak)],
      ...(m.byAgent.size > 1
        ? [...m.byAgent].map(([path, own]) => [
            `  of which ${who(path)}`,
            String(own.calls),
            '',
            n(own.input),
            '',
          ])
        : []),
    ]),
  )}`,
)
console.log(
  `\none agent against the team: ${(alone.input / team.input).toFixed(2)}× the input tokens ` +
    '(the same tool results, the same answer: the recorded one)',
)
