/**
 * S8 (`npm run bench -- --only s8`): 100 runs × 5 model calls (4 tool turns and an answer),
 * started together against a local server that allows 50 requests a second (a bucket of 50)
 * and answers 429 with `retry-after` past that, as the real APIs do. Once with shared limits
 * (`setRateLimits` at 2,880 requests a minute for that server, 48 a second), once with retries alone (the
 * model's `sharedLimits: false`: each call backs off on its own), and in between with no limit
 * set (only the provider's pauses shared, and the pace learned from its refusals). Prints one table. The ideal is
 * 500 calls / 50 a second = 10 s.
 */
import { z } from 'zod'
import {
  defineAgent,
  defineTool,
  type RunResult,
  resetRateLimits,
  run,
  setRateLimits,
} from '../dist/index.js'
import { compatible } from '../dist/providers/index.js'
import { startRateLimitedServer } from '../test/providers/wire/rate-limited-server.js'
import { renderTable } from './lib.js'

const RUNS = 100
const TOOL_TURNS = 4
const PER_SECOND = 50
const LIMIT_PER_SECOND = 48
const LATENCY_MS = 20
const IDEAL_S = (RUNS * (TOOL_TURNS + 1)) / PER_SECOND

const echo = defineTool({
  name: 'echo',
  description: 'Returns its text',
  input: z.object({ text: z.string() }),
  run: ({ text }) => text,
})

interface Outcome {
  mode: string
  done: number
  requests: number
  limited: number
  inputTokens: number
  wallS: number
}

type Mode = 'shared limits' | 'no limit set' | 'retries alone'

async function measure(mode: Mode): Promise<Outcome> {
  resetRateLimits()
  const server = await startRateLimitedServer({
    perSecond: PER_SECOND,
    toolTurns: TOOL_TURNS,
    latencyMs: LATENCY_MS,
  })
  try {
    const shared = mode !== 'retries alone'
    // A little under the server's rate, as one sets a limit: at exactly its rate, a request that
    // arrives a moment early is refused.
    if (mode === 'shared limits')
      setRateLimits({ [server.url]: { requestsPerMinute: LIMIT_PER_SECOND * 60 } })
    const agent = defineAgent({
      name: 'worker',
      instructions: 'Echo four times, then answer.',
      model: compatible('limited', { baseURL: server.url, sharedLimits: shared }),
      tools: [echo],
    })
    const started = performance.now()
    const results: RunResult[] = await Promise.all(
      Array.from({ length: RUNS }, (_, i) => run(agent, `Task ${i}`, { budget: { maxWallMs: 120_000 } })),
    )
    const wallS = (performance.now() - started) / 1000
    const { requests, limited, inputTokens } = server.counts
    return {
      mode,
      done: results.filter((r) => r.status === 'done').length,
      requests,
      limited,
      inputTokens,
      wallS,
    }
  } finally {
    await server.close()
  }
}

const outcomes = [
  await measure('shared limits'),
  await measure('no limit set'),
  await measure('retries alone'),
]
const pct = (o: Outcome) => (100 * o.limited) / o.requests
console.log(
  `S8: ${RUNS} runs × ${TOOL_TURNS + 1} model calls against a server of ${PER_SECOND} requests a second (429 + retry-after past it), ${LATENCY_MS} ms an answer; ideal ${IDEAL_S} s\n`,
)
console.log(
  renderTable(
    ['mode', 'runs done', 'requests', 'answered 429', 'tokens sent', 'wall s', 'wall / ideal'],
    outcomes.map((o) => [
      o.mode,
      `${o.done} / ${RUNS}`,
      String(o.requests),
      `${o.limited} (${pct(o).toFixed(1)}%)`,
      o.inputTokens.toLocaleString('en-US'),
      o.wallS.toFixed(2),
      (o.wallS / IDEAL_S).toFixed(2),
    ]),
  ),
)
const [limits] = outcomes
console.log(
  `\nTargets with shared limits: every run done ${limits!.done === RUNS ? 'yes' : 'NO'} · ≤ 2% answered 429 ${pct(limits!) <= 2 ? 'yes' : 'NO'} · wall ≤ 1.15× ideal ${limits!.wallS / IDEAL_S <= 1.15 ? 'yes' : 'NO'}`,
)
