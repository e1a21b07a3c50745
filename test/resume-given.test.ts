/**
 * What replay, resume and fork refuse before anything runs, and how they name it: a header edited
 * by hand is the transcript's fault (TRANSCRIPT, file:1), a bad option is the caller's
 * (INVALID_OPTIONS, naming the function), a fork past the recording says how far it goes.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { isErrorCode } from '../src/errors/index.js'
import { defineAgent, defineTool, fork, type ModelRequest, replay, resume, run } from '../src/index.js'
import { fakeClock, type ScriptEntry, scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-resume-given-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (name: string) => join(dir, `${files++}-${name}.jsonl`)

/** One agent that calls `work` three times, one call per step, then answers: 4 steps. */
function worker(models: 'play' | 'none' = 'play') {
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
  const policy: ScriptEntry = (request: ModelRequest) => {
    const done = request.messages.filter((m) => m.role === 'tool').length
    return done < 3
      ? { toolCalls: [{ name: 'work', args: { n: done + 1 }, id: `w${done + 1}` }] }
      : { text: 'worked' }
  }
  const model = scriptedModel(models === 'play' ? Array.from({ length: 8 }, () => policy) : [], {
    id: 'scripted:worker',
  })
  const agent = defineAgent({ name: 'worker', instructions: 'Work.', model, tools: [work] })
  return { agent, model, runs }
}

let recorded: string | undefined
/** A copy of a finished 4-step run's transcript. */
async function transcript(name: string): Promise<string> {
  if (!recorded) {
    recorded = file('recorded')
    const done = await run(worker().agent, 'Do three units', { record: recorded, budget: { maxSteps: 10 } })
    expect(done.status).toBe('done')
  }
  const path = file(name)
  copyFileSync(recorded, path)
  return path
}

/** Rewrites the transcript's lines (header at 0) with `edit`. */
function editLines(path: string, edit: (line: Record<string, unknown>, index: number) => void): void {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
  const edited = lines.map((text, i) => {
    const line = JSON.parse(text) as Record<string, unknown>
    edit(line, i)
    return JSON.stringify(line)
  })
  writeFileSync(path, `${edited.join('\n')}\n`)
}

const attempt = (f: () => Promise<unknown>) => Promise.resolve().then(f)

describe('a header edited by hand', () => {
  it.each([
    ['a budget limit that is not a number', { budget: { maxSteps: 'ten' } }, /budget\.maxSteps must be/],
    ['an unknown budget limit', { budget: { maxStep: 3 } }, /budget\.maxStep: unknown budget limit/],
    [
      'a price that is not a number',
      { prices: { 'scripted:worker': { input: 'free', output: 0 } } },
      /prices\["scripted:worker"\]\.input must be/,
    ],
  ])('with %s is a TRANSCRIPT error at line 1, for replay, resume and fork', async (_, header, why) => {
    const path = await transcript('header')
    editLines(path, (line, i) => {
      if (i === 0) Object.assign(line, header)
    })
    const before = readFileSync(path, 'utf8')
    for (const again of [
      () => replay(path, worker('none').agent),
      () => resume(path, worker().agent),
      () => fork(path, worker().agent, { from: 2 }),
    ]) {
      const error = await attempt(again).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toMatchObject({ code: 'TRANSCRIPT', details: { path, line: 1 } })
      expect((error as Error).message).toMatch(
        new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: `),
      )
      expect((error as Error).message).toMatch(why)
    }
    expect(readFileSync(path, 'utf8')).toBe(before)
  })
})

describe('bad options', () => {
  it('a bad budget for resume or fork is INVALID_OPTIONS naming the function and the field', async () => {
    const path = await transcript('budget')
    const model = worker()
    await expect(
      attempt(() => resume(path, model.agent, { budget: { maxSteps: -1 } })),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(/^resume: options\.budget\.maxSteps must be a non-negative integer/),
    })
    await expect(
      attempt(() => fork(path, model.agent, { from: 2, budget: { maxCostUsd: Number.NaN } })),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(/^fork: options\.budget\.maxCostUsd/),
    })
    expect(model.model.requests).toHaveLength(0)
  })

  it('a replay or fork that would record over the transcript it reads is refused', async () => {
    const path = await transcript('self')
    const before = readFileSync(path, 'utf8')
    await expect(attempt(() => replay(path, worker('none').agent, { record: path }))).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('options.record names the transcript being read'),
    })
    await expect(attempt(() => fork(path, worker().agent, { from: 2, record: path }))).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    })
    expect(readFileSync(path, 'utf8')).toBe(before)
  })
})

describe('fork from a step past the recording', () => {
  it.each([5, 6, 100])(
    'from %i of a 4-step run that ended done is INVALID_OPTIONS saying how far it goes',
    async (from) => {
      const path = await transcript('past')
      const again = worker()
      await expect(attempt(() => fork(path, again.agent, { from }))).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining(`from ${from} is past the recording, whose last root step is 4`),
      })
      expect(again.model.requests).toHaveLength(0)
    },
  )

  it('from the step after the last of a run that stopped early goes on live, as resume does', async () => {
    const path = file('stopped')
    await run(worker().agent, 'Do three units', { record: path, budget: { maxSteps: 2 } })
    const again = worker()
    const forked = await fork(path, again.agent, { from: 3, budget: { maxSteps: 10 } })
    expect(forked.status).toBe('done')
    expect(again.model.requests).toHaveLength(2)
    await expect(attempt(() => fork(path, worker().agent, { from: 5 }))).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    })
  })
})

describe('a recorded model failure with a code this Baton does not know', () => {
  it('replays as MODEL_ERROR keeping the recorded code, never a code outside ERROR_CODES', async () => {
    const path = await transcript('code')
    editLines(path, (line) => {
      if (line.type === 'model.response' && line.path === 'root/2/model') {
        for (const key of Object.keys(line)) if (!['seq', 't', 'path', 'type'].includes(key)) delete line[key]
        Object.assign(line, { type: 'model.error', error: { code: 'QUOTA_GONE', message: 'out of quota' } })
      }
    })
    const replayed = await replay(path, worker('none').agent)
    expect(replayed.status).toBe('error')
    expect(isErrorCode(replayed.error?.code)).toBe(true)
    expect(replayed.error).toMatchObject({
      code: 'MODEL_ERROR',
      message: 'out of quota',
      details: { recordedCode: 'QUOTA_GONE' },
    })
    expect(isErrorCode(replayed.stopReason)).toBe(true)
  })
})

describe('a recording stopped by maxWallMs', () => {
  /** An agent whose `slow` tool takes five seconds of the fake clock. */
  function slowWorker(clock: ReturnType<typeof fakeClock>, models: 'play' | 'none' = 'play') {
    const slow = defineTool({
      name: 'slow',
      description: 'Takes five seconds',
      input: z.object({ n: z.number() }),
      run: ({ n }) => {
        clock.advance(5_000)
        return `slow ${n}`
      },
    })
    const policy: ScriptEntry = (request) => {
      const done = request.messages.filter((m) => m.role === 'tool').length
      return done < 3
        ? { toolCalls: [{ name: 'slow', args: { n: done }, id: `s${done}` }] }
        : { text: 'done' }
    }
    const model = scriptedModel(models === 'play' ? Array.from({ length: 6 }, () => policy) : [], {
      id: 'scripted:slow',
    })
    return { agent: defineAgent({ name: 'slow', instructions: 'Go slowly.', model, tools: [slow] }), model }
  }

  it('replays to REPLAY_MISSING saying the deadline stopped the recorded run and wall time does not replay', async () => {
    const path = file('wall')
    const clock = fakeClock(1_000)
    const stopped = await run(slowWorker(clock).agent, 'Go', {
      clock,
      record: path,
      budget: { maxWallMs: 7_000 },
    })
    expect([stopped.status, stopped.stopReason]).toEqual(['budget_exceeded', 'maxWallMs'])
    const again = fakeClock(1_000)
    const replayed = await replay(path, slowWorker(again, 'none').agent, { clock: again })
    expect(replayed.stopReason).toBe('REPLAY_MISSING')
    expect(replayed.error?.message).toMatch(
      /^root\/3\/model: the recording has no model answer .*: the recorded run was stopped by maxWallMs \(7000 ms\) at root, and wall time does not replay$/,
    )
  })
})
