/**
 * S9 (`npm run bench -- --only s9`): a task of 8 independent lookups, 2 sums of 4 of them each,
 * and a final sum (model calls take 300 ms, tools 200 ms, scripted). Run four ways: the ordinary
 * loop making one call per step; the ordinary loop with parallel tool calls; plan mode (the
 * model writes the graph once, then answers); and a workflow in code. Prints one table: wall
 * time, model calls, input and output tokens (the scripted model counts a token per 4
 * characters of what it is sent and what it answers), and each against its critical path:
 * plan mode's is plan + three tool levels + the answer (1.2 s), the workflow's the three tool
 * levels (0.6 s). Median of 3 rounds.
 */
import { z } from 'zod'
import { type Agent, defineAgent, defineTool, defineWorkflow, type RunResult, run } from '../dist/index.js'
import { type ScriptEntry, scriptedModel } from '../dist/testing/index.js'
import { median, renderTable, sleep } from './lib.js'

const MODEL_MS = 300
const TOOL_MS = 200
const ROUNDS = 3
const KEYS = Array.from({ length: 8 }, (_, i) => `k${i + 1}`)
const VALUE = (key: string) => Number(key.slice(1)) * 10
const TASK = 'Look up k1 to k8, sum k1–k4 and k5–k8, then sum the two.'

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks a key up and returns its value.',
  input: z.object({ key: z.string() }),
  run: async ({ key }) => {
    await sleep(TOOL_MS)
    return { key, value: VALUE(key) }
  },
})
const sum = defineTool({
  name: 'sum',
  description: 'Adds numbers.',
  input: z.object({ values: z.array(z.number()) }),
  run: async ({ values }) => {
    await sleep(TOOL_MS)
    return values.reduce((a, b) => a + b, 0)
  },
})

const tokens = (value: unknown) => Math.ceil(JSON.stringify(value).length / 4)

/** A scripted answer that counts the tokens of what it is sent (messages and tools) and says. */
const counted =
  (answer: { text?: string; toolCalls?: { name: string; args: object }[] }): ScriptEntry =>
  (request) => ({
    ...answer,
    usage: {
      inputTokens: tokens(request.messages) + tokens(request.tools ?? []),
      outputTokens: tokens(answer),
    },
  })

const call = (name: string, args: object) => ({ name, args })
const half = (keys: string[]) => keys.map(VALUE)
const FIRST = half(KEYS.slice(0, 4)).reduce((a, b) => a + b, 0)
const SECOND = half(KEYS.slice(4)).reduce((a, b) => a + b, 0)
const ANSWER = `The total is ${FIRST + SECOND}.`

function agentWith(steps: ScriptEntry[], plan: boolean): Agent {
  return defineAgent({
    name: plan ? 'planner' : 'stepper',
    instructions: 'Do the task with the tools.',
    model: scriptedModel(steps, { latencyMs: MODEL_MS }),
    tools: [lookup, sum],
    budget: { maxSteps: 30 },
    ...(plan ? { plan: true } : {}),
  })
}

const MODES: Record<string, () => Agent> = {
  'loop, one call per step': () =>
    agentWith(
      [
        ...KEYS.map((key) => counted({ toolCalls: [call('lookup', { key })] })),
        counted({ toolCalls: [call('sum', { values: half(KEYS.slice(0, 4)) })] }),
        counted({ toolCalls: [call('sum', { values: half(KEYS.slice(4)) })] }),
        counted({ toolCalls: [call('sum', { values: [FIRST, SECOND] })] }),
        counted({ text: ANSWER }),
      ],
      false,
    ),
  'loop, parallel tool calls': () =>
    agentWith(
      [
        counted({ toolCalls: KEYS.map((key) => call('lookup', { key })) }),
        counted({
          toolCalls: [
            call('sum', { values: half(KEYS.slice(0, 4)) }),
            call('sum', { values: half(KEYS.slice(4)) }),
          ],
        }),
        counted({ toolCalls: [call('sum', { values: [FIRST, SECOND] })] }),
        counted({ text: ANSWER }),
      ],
      false,
    ),
  'plan mode': () =>
    agentWith([counted({ toolCalls: [call('plan', PLAN)] }), counted({ text: ANSWER })], true),
  'workflow in code': () => defineWorkflow({ name: 'sums', tools: [lookup, sum], plan: PLAN }),
}

const refs = (keys: string[]) => keys.map((key) => `\${${key}.value}`)
const PLAN = {
  tasks: [
    ...KEYS.map((key) => ({ id: key, tool: 'lookup', args: { key } })),
    { id: 'first', tool: 'sum', args: { values: refs(KEYS.slice(0, 4)) } },
    { id: 'second', tool: 'sum', args: { values: refs(KEYS.slice(4)) } },
    { id: 'total', tool: 'sum', args: { values: ['${first}', '${second}'] } },
  ],
}

const CRITICAL_MS: Record<string, number> = {
  'plan mode': MODEL_MS + 3 * TOOL_MS + MODEL_MS,
  'workflow in code': 3 * TOOL_MS,
}

interface Measured {
  wallMs: number
  result: RunResult
}

async function once(make: () => Agent): Promise<Measured> {
  const started = performance.now()
  const result = await run(make(), TASK)
  const wallMs = performance.now() - started
  if (result.status !== 'done')
    throw new Error(`S9: ${make().name} ended ${result.status}: ${result.error?.message}`)
  const output = String(result.output)
  if (!output.includes(String(FIRST + SECOND))) throw new Error(`S9: wrong answer ${output}`)
  return { wallMs, result }
}

const rows: string[][] = []
const walls: Record<string, number> = {}
const inputs: Record<string, number> = {}
for (const [mode, make] of Object.entries(MODES)) {
  const measured: Measured[] = []
  for (let round = 0; round < ROUNDS; round++) measured.push(await once(make))
  const wall = median(measured.map((m) => m.wallMs))
  const { usage } = measured[0]!.result
  walls[mode] = wall
  inputs[mode] = usage.inputTokens
  const critical = CRITICAL_MS[mode]
  rows.push([
    mode,
    (wall / 1000).toFixed(2),
    String(usage.steps),
    String(usage.inputTokens),
    String(usage.outputTokens),
    critical ? `${(wall / critical).toFixed(2)}× of ${(critical / 1000).toFixed(1)} s` : '',
  ])
}
console.log(
  renderTable(
    [
      'S9: 8 lookups, 2 sums, a total',
      'wall s',
      'model calls',
      'input tokens',
      'output tokens',
      'against its critical path',
    ],
    rows,
  ),
)
const slow = 'loop, one call per step'
console.log(
  `\nplan mode against one call per step: ${(walls[slow]! / walls['plan mode']!).toFixed(1)}× faster (target ≥ 3), ` +
    `${(inputs[slow]! / inputs['plan mode']!).toFixed(1)}× fewer input tokens (target ≥ 2); ` +
    `plan mode ${(walls['plan mode']! / CRITICAL_MS['plan mode']!).toFixed(2)}× its critical path (target ≤ 1.1), ` +
    `the workflow ${(walls['workflow in code']! / CRITICAL_MS['workflow in code']!).toFixed(2)}× (target ≤ 1.05)`,
)
