import { type Agent, defineAgent, delegationToolName, run } from '../dist/index.js'
import { scriptedModel } from '../dist/testing/index.js'
import {
  alternate,
  echoTool,
  expectDone,
  type MeasureOptions,
  now,
  type Samples,
  sleep,
  transcriptDir,
} from './lib.js'

export const WORKERS = 5
export const LATENCY_MS = 20

export async function measure(options: MeasureOptions): Promise<Samples> {
  const echo = echoTool()
  // Scripted models are consumed as they play, so every run gets fresh agents (made before the
  // clock starts: defining agents is not part of running them).
  const supervisor = (): Agent => {
    const workers = Array.from({ length: WORKERS }, (_, w) =>
      defineAgent({
        name: `worker${w}`,
        description: `Worker number ${w}`,
        instructions: 'Echo twice, then answer.',
        model: scriptedModel(
          [
            { toolCalls: [{ name: 'echo', args: { text: `worker ${w} first` } }] },
            { toolCalls: [{ name: 'echo', args: { text: `worker ${w} second` } }] },
            { text: `worker ${w} done` },
          ],
          { latencyMs: LATENCY_MS },
        ),
        tools: [echo],
      }),
    )
    return defineAgent({
      name: 'supervisor',
      instructions: 'Delegate to every worker at once, then answer.',
      model: scriptedModel(
        [
          {
            toolCalls: workers.map((worker, w) => ({
              name: delegationToolName(worker.name),
              args: { task: `part ${w}` },
            })),
          },
          { text: 'all done' },
        ],
        { latencyMs: LATENCY_MS },
      ),
      agents: workers,
    })
  }
  const files = transcriptDir('s4')

  const once = async (record: boolean, round: number): Promise<number> => {
    const agent = supervisor()
    const path = record ? files.path(`run-${round}`) : undefined
    const started = now()
    const result = await run(agent, 'Split the work.', path ? { record: path } : {})
    const elapsed = now() - started
    // 2 supervisor calls + 5 × 3 worker calls; 5 delegations + 5 × 2 echo calls.
    expectDone(result, 'S4', { steps: 2 + WORKERS * 3, toolCalls: WORKERS + WORKERS * 2 })
    if (path) files.discard(path)
    return elapsed
  }

  try {
    // The floor: the same chain of 20 ms waits (1, then 5 × 3 in parallel, then 1), without Baton.
    const floor = async (): Promise<number> => {
      const started = now()
      await sleep(LATENCY_MS)
      await Promise.all(
        Array.from({ length: WORKERS }, async () => {
          for (let call = 0; call < 3; call++) await sleep(LATENCY_MS)
        }),
      )
      await sleep(LATENCY_MS)
      return now() - started
    }
    return await alternate(once, { warmup: options.warmup ?? 20, rounds: options.rounds ?? 7 }, floor)
  } finally {
    files.remove()
  }
}
