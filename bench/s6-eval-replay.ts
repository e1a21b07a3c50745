import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import {
  defineEval,
  type EvalCase,
  type EvalReport,
  exact,
  matchesSchema,
  runEval,
  trajectory,
} from '../dist/eval/index.js'
import { defineAgent, defineTool } from '../dist/index.js'
import { type ScriptedModel, scriptedModel } from '../dist/testing/index.js'
import { type MeasureOptions, now, type Samples } from './lib.js'

export const CASES = 1_000
/**
 * The concurrency values tried, in every round (`default`: the option left out, which is 4 for
 * an eval that does not set its own).
 */
export const CONCURRENCIES = [1, 'default', 16, 64] as const

const Item = z.object({ id: z.number().int(), name: z.string(), price: z.number() })
type Item = z.infer<typeof Item>

const itemOf = (id: number): Item => ({ id, name: `item-${id}`, price: (id * 37) % 1000 })

const lookup = defineTool({
  name: 'lookup',
  description: 'Finds an item by its id.',
  input: z.object({ id: z.number().int() }),
  run: ({ id }) => itemOf(id),
})

/** Reads the item id from its brief, looks it up, then answers with what the tool returned. */
function itemModel(): ScriptedModel {
  return scriptedModel([
    (request) => {
      const brief = request.messages.find((m) => m.role === 'user')?.content ?? ''
      const id = Number(/item (\d+)/.exec(String(brief))?.[1] ?? Number.NaN)
      return { toolCalls: [{ name: 'lookup', args: { id } }], usage: { inputTokens: 120, outputTokens: 12 } }
    },
    (request) => {
      const result = request.messages.findLast((m) => m.role === 'tool')
      return { text: String(result?.content), usage: { inputTokens: 160, outputTokens: 20 } }
    },
  ])
}

/**
 * A 1,000-case eval in replay mode: its cassettes are recorded once into a temp directory (not
 * timed), then each round replays the whole eval once per concurrency value. Reported: wall
 * seconds for the 1,000 cases, per concurrency value.
 */
export async function measure(options: MeasureOptions): Promise<Samples> {
  const cases: EvalCase<Item>[] = Array.from({ length: CASES }, (_, i) => ({
    name: `case-${String(i).padStart(4, '0')}`,
    input: `Look up item ${i} and answer with it as JSON.`,
    expected: itemOf(i),
  }))
  // The models the factory made since the last check: a replay must call none of them.
  let models: ScriptedModel[] = []
  const definition = defineEval({
    name: 'items',
    // A fresh agent per case: its scripted model is used up as it plays.
    agent: () => {
      const model = itemModel()
      models.push(model)
      return defineAgent({
        name: 'shop',
        instructions: 'Look the item up, then answer with it as JSON.',
        model,
        tools: [lookup],
        output: Item,
      })
    },
    cases,
    scorers: [matchesSchema(Item), exact(), trajectory(['lookup'], { mode: 'exact' })],
  })
  const cassetteDir = mkdtempSync(join(tmpdir(), 'baton-bench-s6-'))
  // Every case must pass, from its own cassette, with the recorded steps and nothing else.
  const check = (report: EvalReport, what: string, replayed: boolean) => {
    const made = models
    models = []
    if (made.length !== CASES) throw new Error(`S6 ${what}: ${made.length} agents made, expected ${CASES}`)
    const live = made.reduce((sum, model) => sum + model.requests.length, 0)
    if (replayed && live !== 0) throw new Error(`S6 ${what}: ${live} model calls went live`)
    const { results } = report.evals[0]!
    const failed = results.find((r) => !r.pass)
    if (failed) throw new Error(`S6 ${what}: case ${failed.case} failed: ${failed.failure}`)
    const odd = results.find((r) => r.steps !== 2 || r.toolCalls !== 1)
    if (odd)
      throw new Error(`S6 ${what}: case ${odd.case} made ${odd.steps} model and ${odd.toolCalls} tool calls`)
    const elsewhere = results.find((r) => !r.cassette?.endsWith(`${r.case}.jsonl`))
    if (elsewhere)
      throw new Error(`S6 ${what}: case ${elsewhere.case} used the cassette ${elsewhere.cassette}`)
    if (results.length !== CASES || report.summary.passed !== CASES)
      throw new Error(
        `S6 ${what}: ${report.summary.passed} of ${results.length} runs passed, expected ${CASES}`,
      )
  }
  const replayOnce = async (concurrency: (typeof CONCURRENCIES)[number]): Promise<number> => {
    const options = concurrency === 'default' ? {} : { concurrency }
    const started = now()
    const report = await runEval(definition, { mode: 'replay', cassetteDir, ...options })
    const seconds = (now() - started) / 1000
    check(report, `replay (concurrency ${concurrency})`, true)
    return seconds
  }

  try {
    check(await runEval(definition, { mode: 'record', cassetteDir, concurrency: 16 }), 'recording', false)
    for (let i = 0; i < (options.warmup ?? 2); i++) await replayOnce('default')
    const samples: Samples = {}
    for (let i = 0; i < (options.rounds ?? 7); i++) {
      for (const concurrency of CONCURRENCIES) {
        const key = concurrency === 'default' ? concurrency : `c${concurrency}`
        samples[key] = [...(samples[key] ?? []), await replayOnce(concurrency)]
      }
    }
    return samples
  } finally {
    rmSync(cassetteDir, { recursive: true, force: true })
  }
}
