import { defineAgent, run } from '../dist/index.js'
import { type ScriptStep, scriptedModel } from '../dist/testing/index.js'
import {
  alternate,
  echoTool,
  expectDone,
  type MeasureOptions,
  now,
  type Samples,
  transcriptDir,
} from './lib.js'

export const TURNS = 200

export async function measure(options: MeasureOptions): Promise<Samples> {
  const echo = echoTool()
  const agent = defineAgent({
    name: 'echoer',
    instructions: 'Call echo until told otherwise, then answer.',
    model: scriptedModel([]), // replaced per run by RunOptions.model
    tools: [echo],
    budget: { maxSteps: TURNS + 10 },
  })
  const steps: ScriptStep[] = Array.from({ length: TURNS }, (_, i) => ({
    toolCalls: [{ name: 'echo', args: { text: `turn ${i}` } }],
  }))
  steps.push({ text: 'done' })
  const files = transcriptDir('s1')

  const once = async (record: boolean, round: number): Promise<number> => {
    const path = record ? files.path(`run-${round}`) : undefined
    const started = now()
    const model = scriptedModel(steps)
    const result = await run(agent, 'Echo 200 times.', path ? { model, record: path } : { model })
    const elapsed = now() - started
    expectDone(result, 'S1', { steps: TURNS + 1, toolCalls: TURNS })
    if (path) files.discard(path)
    return (elapsed * 1000) / TURNS
  }

  try {
    return await alternate(once, { warmup: options.warmup ?? 20, rounds: options.rounds ?? 15 })
  } finally {
    files.remove()
  }
}
