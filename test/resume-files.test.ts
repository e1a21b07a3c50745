/**
 * What a resume does with the transcript it reads: it replaces it with the resumed run's
 * transcript only when that holds everything the old one did, never lets two resumes write one
 * file, and never destroys the recording it reads before it is done with it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, type ModelRequest, readTranscript, resume, run } from '../src/index.js'
import { type ScriptEntry, scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-resume-files-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (name: string) => join(dir, `${files++}-${name}.jsonl`)

const toolResults = (request: ModelRequest) => request.messages.filter((m) => m.role === 'tool')

/** One agent that calls `work` three times, one call per step, then answers: 4 steps. */
function worker(options: { instructions?: string; latencyMs?: number } = {}) {
  const runs: number[] = []
  const work = defineTool({
    name: 'work',
    description: 'Does one unit of work',
    input: z.object({ n: z.number() }),
    run: ({ n }) => {
      runs.push(n)
      return `done ${n}`
    },
  })
  const policy: ScriptEntry = (request) => {
    const done = toolResults(request).length
    return done < 3
      ? {
          toolCalls: [{ name: 'work', args: { n: done + 1 }, id: `w${done + 1}` }],
          usage: { inputTokens: 100, outputTokens: 10 },
        }
      : { text: 'worked', usage: { inputTokens: 500, outputTokens: 30 } }
  }
  const model = scriptedModel(
    Array.from({ length: 8 }, () => policy),
    { id: 'scripted:worker', latencyMs: options.latencyMs ?? 1 },
  )
  const agent = defineAgent({
    name: 'worker',
    instructions: options.instructions ?? 'Work in units.',
    model,
    tools: [work],
  })
  return { agent, model, runs }
}

const answers = (path: string) =>
  readTranscript(path).events.filter((e) => e.type === 'model.response').length

/** Files beside `path` that a resume left behind (its temporary transcript). */
const leftovers = (path: string) =>
  readdirSync(dir).filter((name) => name.startsWith(`${path.slice(dir.length + 1)}.`))

describe('a resume that stops before the end of its recording', () => {
  it('keeps the recording when a smaller budget stops it inside the recorded prefix', async () => {
    const path = file('small-budget')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 3 } })
    const before = readFileSync(path, 'utf8')
    expect(answers(path)).toBe(3)

    const resumed = await resume(path, worker().agent, { budget: { maxSteps: 1 } })
    expect([resumed.status, resumed.stopReason]).toEqual(['budget_exceeded', 'maxSteps'])
    expect(resumed.live).toEqual({ model: 0, tool: 0 })
    // The three paid answers are still on disk, ready for a resume with a bigger budget.
    expect(readFileSync(path, 'utf8')).toBe(before)
    expect(leftovers(path)).toEqual([])
    // The result names no file that holds something else (or nothing).
    expect(resumed.transcript).toBeUndefined()

    const again = worker()
    const done = await resume(path, again.agent, { budget: { maxSteps: 10 } })
    expect(done.status).toBe('done')
    expect(again.model.requests).toHaveLength(1)
  })

  it('keeps the recording when the resume is aborted before it got through it', async () => {
    const path = file('aborted')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 3 } })
    const before = readFileSync(path, 'utf8')
    const controller = new AbortController()
    controller.abort()
    const resumed = await resume(path, worker().agent, {
      budget: { maxSteps: 10 },
      signal: controller.signal,
    })
    expect(resumed.status).toBe('aborted')
    expect(readFileSync(path, 'utf8')).toBe(before)
    expect(leftovers(path)).toEqual([])
  })

  it('names no deleted file when a divergence keeps the recording', async () => {
    const path = file('diverged')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 2 } })
    const failed = await resume(path, worker({ instructions: 'Work in big units.' }).agent, {
      budget: { maxSteps: 10 },
    })
    expect(failed.stopReason).toBe('REPLAY_DIVERGENCE')
    expect(failed.transcript).toBeUndefined()
    expect(leftovers(path)).toEqual([])
  })
})

describe('record naming the transcript being resumed', () => {
  it('is the default: the recording is replaced only once the resume got past it', async () => {
    const path = file('self')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 2 } })
    const before = readFileSync(path, 'utf8')
    const failed = await resume(path, worker({ instructions: 'Work in big units.' }).agent, {
      budget: { maxSteps: 10 },
      record: path,
    })
    expect(failed.stopReason).toBe('REPLAY_DIVERGENCE')
    expect(readFileSync(path, 'utf8')).toBe(before)

    const resumed = await resume(path, worker().agent, { budget: { maxSteps: 10 }, record: path })
    expect(resumed.status).toBe('done')
    expect(resumed.transcript).toBe(path)
    expect(readTranscript(path).events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
  })
})

describe('two resumes of one transcript at once', () => {
  it('refuses the second with a TRANSCRIPT error naming the file; the first completes it', async () => {
    const path = file('twice')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 2 } })
    const first = worker({ latencyMs: 20 })
    const second = worker({ latencyMs: 20 })
    const settled = await Promise.allSettled([
      resume(path, first.agent, { budget: { maxSteps: 10 } }),
      Promise.resolve().then(() => resume(path, second.agent, { budget: { maxSteps: 10 } })),
    ])
    expect(settled[0]).toMatchObject({ status: 'fulfilled', value: { status: 'done', transcript: path } })
    expect(settled[1]).toMatchObject({
      status: 'rejected',
      reason: { code: 'TRANSCRIPT', message: expect.stringContaining(`${path}: another resume`) },
    })
    // The second one called no model and ran no tool.
    expect(second.model.requests).toHaveLength(0)
    expect(second.runs).toEqual([])
    expect(readTranscript(path).events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
    expect(leftovers(path)).toEqual([])
    // Once the first is over, the transcript resumes again.
    const third = await resume(path, worker().agent)
    expect(third.status).toBe('done')
    expect(existsSync(`${path}.resuming`)).toBe(false)
  })
})
