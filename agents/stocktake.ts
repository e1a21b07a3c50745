/**
 * A stocktake, slow enough to watch: it counts the shelves of a store one by one, a model call
 * and a `count_shelf` call per shelf, then reports. docs/durable.md runs it on workers and kills
 * the one running it, to see the run finish on another with nothing counted twice.
 *
 * Offline, it runs on a local policy standing in for an LLM (`local:stocktake-policy`): it reads
 * how many shelves the task names and how many the tool results say are counted, and thinks for
 * a second before each answer. Being a function of the request alone, it answers a run taken
 * over by another worker as it would have answered the first.
 *
 * `count_shelf` is not idempotent (it appends a line to runs/stocktake.log): a call cut off by a
 * dead worker is not made again, the model is told it may or may not have happened.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineAgent, defineTool, type Model, type ModelRequest } from 'baton'
import { z } from 'zod'

const THINK_MS = Number(process.env.STOCKTAKE_THINK_MS ?? 1_000)

const countShelf = defineTool({
  name: 'count_shelf',
  description: 'Counts the items on one shelf and writes the count down in the stock log.',
  input: z.object({ shelf: z.number().int().min(1) }),
  run: ({ shelf }) => {
    const items = (shelf * 7) % 23
    mkdirSync('runs', { recursive: true })
    appendFileSync('runs/stocktake.log', `shelf ${shelf}: ${items} items (process ${process.pid})\n`)
    return { shelf, items }
  },
})

/** Shelves to count: the first number in the task (default 8, at most 50). */
function shelvesOf(request: ModelRequest): number {
  const task = request.messages.find((m) => m.role === 'user')?.content ?? ''
  const found = /\d+/.exec(typeof task === 'string' ? task : JSON.stringify(task))
  return Math.min(50, Math.max(1, found ? Number(found[0]) : 8))
}

const policy: Model = {
  spec: 'baton.model.v1',
  id: 'local:stocktake-policy',
  async generate(request, options) {
    await sleep(THINK_MS, undefined, options?.signal ? { signal: options.signal } : undefined)
    const results = request.messages.filter((m) => m.role === 'tool')
    const shelves = shelvesOf(request)
    const usage = { inputTokens: 120 + 40 * results.length, outputTokens: 20 }
    if (results.length < shelves) {
      const shelf = results.length + 1
      return {
        message: {
          role: 'assistant',
          content: `Counting shelf ${shelf} of ${shelves}.`,
          toolCalls: [{ id: `shelf_${shelf}`, name: 'count_shelf', args: { shelf } }],
        },
        usage,
        finishReason: 'tool-calls',
      }
    }
    let total = 0
    let unsure = 0
    for (const result of results) {
      if (result.role !== 'tool') continue
      if (result.isError) unsure++
      else total += (JSON.parse(result.content) as { items: number }).items
    }
    const note = unsure ? ` (${unsure} shelf count${unsure > 1 ? 's' : ''} interrupted: check the log)` : ''
    return {
      message: { role: 'assistant', content: `Counted ${shelves} shelves: ${total} items${note}.` },
      usage,
      finishReason: 'stop',
    }
  },
}

export default defineAgent({
  name: 'stocktake',
  description: 'Counts the shelves of a store one by one',
  instructions: 'Count every shelf with count_shelf, one at a time, then report the total.',
  model: policy,
  tools: [countShelf],
  budget: { maxSteps: 60 },
})
