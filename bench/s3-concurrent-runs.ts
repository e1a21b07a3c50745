import { defineAgent, type RunResult, run } from '../dist/index.js'
import { type ScriptStep, scriptedModel } from '../dist/testing/index.js'
import { expectHandDone, handWrittenLoop } from './hand-written.js'
import { echoTool, expectDone, type MeasureOptions, now, type Samples, transcriptDir } from './lib.js'

export const RUNS = 2_000
export const TOOL_TURNS = 4
export const LATENCY_MS = 20
const WARMUP_RUNS = 200

export async function measure(options: MeasureOptions): Promise<Samples> {
  const record = options.record ?? false
  const echo = echoTool()
  const agent = defineAgent({
    name: 'worker',
    instructions: 'Echo four times, then answer.',
    model: scriptedModel([]), // replaced per run by RunOptions.model
    tools: [echo],
  })
  const steps: ScriptStep[] = Array.from({ length: TOOL_TURNS }, (_, i) => ({
    toolCalls: [{ name: 'echo', args: { text: `turn ${i}` } }],
  }))
  steps.push({ text: 'done' })
  const files = transcriptDir('s3')

  const done = { steps: TOOL_TURNS + 1, toolCalls: TOOL_TURNS }
  // The hand-written loop (options.hand) in the same load, for the ratio.
  const batch = (count: number, tag: string): Promise<unknown[]> =>
    Promise.all(
      Array.from({ length: count }, (_, i) => {
        const model = scriptedModel(steps, { latencyMs: LATENCY_MS })
        if (options.hand) return handWrittenLoop(model, `Task ${i}`)
        return run(agent, `Task ${i}`, record ? { model, record: files.path(`${tag}-${i}`) } : { model })
      }),
    )
  const check = (results: unknown[]) => {
    for (const result of results) {
      if (options.hand) expectHandDone(result as { steps: number; toolCalls: number }, 'S3', done)
      else expectDone(result as RunResult, 'S3', done)
    }
  }
  const gc = (globalThis as { gc?: () => void }).gc

  try {
    // Warm up the JIT with a tenth of the load, then start from a collected heap.
    check(await batch(WARMUP_RUNS, 'warmup'))
    gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    let heapPeak = heapBefore
    const sampler = setInterval(() => {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
    }, 10)

    const started = now()
    const results = await batch(RUNS, 'run')
    const wallMs = now() - started

    clearInterval(sampler)
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
    check(results)
    return {
      wallMs: [wallMs],
      peakRssMb: [process.resourceUsage().maxRSS / 1024],
      heapKbPerRun: [(heapPeak - heapBefore) / 1024 / RUNS],
    }
  } finally {
    files.remove()
  }
}
