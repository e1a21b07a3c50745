/**
 * S2 — parallel tool calls.
 * One model response asks for 10 tool calls; each tool sleeps 50 ms; then a final answer. The
 * model answers instantly. Reported: wall ms of the whole run (ideal ≈ 50: the calls overlap).
 */
import { z } from 'zod'
import { defineAgent, defineTool, run } from '../dist/index.js'
import { type ScriptStep, scriptedModel } from '../dist/testing/index.js'
import { alternate, expectDone, type MeasureOptions, now, type Samples, sleep, transcriptDir } from './lib.js'

export const CALLS = 10
export const TOOL_MS = 50

export async function measure(options: MeasureOptions): Promise<Samples> {
  const slow = defineTool({
    name: 'slow',
    description: 'Waits 50 ms, then returns its id',
    input: z.object({ id: z.number() }),
    run: async ({ id }) => {
      await sleep(TOOL_MS)
      return id
    },
  })
  const agent = defineAgent({
    name: 'fanner',
    instructions: 'Call slow ten times at once, then answer.',
    model: scriptedModel([]), // replaced per run by RunOptions.model
    tools: [slow],
  })
  const steps: ScriptStep[] = [
    { toolCalls: Array.from({ length: CALLS }, (_, id) => ({ name: 'slow', args: { id } })) },
    { text: 'done' },
  ]
  const files = transcriptDir('s2')

  const once = async (record: boolean, round: number): Promise<number> => {
    const path = record ? files.path(`run-${round}`) : undefined
    const started = now()
    const model = scriptedModel(steps)
    const result = await run(agent, 'Call slow ten times.', path ? { model, record: path } : { model })
    const elapsed = now() - started
    expectDone(result, 'S2', { steps: 2, toolCalls: CALLS })
    if (path) files.discard(path)
    return elapsed
  }

  try {
    // The floor: the same ten 50 ms waits, started together, without Baton.
    const floor = async (): Promise<number> => {
      const started = now()
      await Promise.all(Array.from({ length: CALLS }, () => sleep(TOOL_MS)))
      return now() - started
    }
    return await alternate(once, { warmup: options.warmup ?? 20, rounds: options.rounds ?? 7 }, floor)
  } finally {
    files.remove()
  }
}
