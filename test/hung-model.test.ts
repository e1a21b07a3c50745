import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  defineAgent,
  defineScorer,
  defineTool,
  judge,
  type Model,
  readTranscript,
  run,
  stream,
} from '../src/index.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { collect, ofType } from './helpers.js'

/** A model whose calls never settle and that never looks at its signal. */
function hungModel(id = 'hung:model') {
  let called!: () => void
  const firstCall = new Promise<void>((resolve) => {
    called = resolve
  })
  const model: Model = {
    spec: 'baton.model.v1',
    id,
    generate: () => {
      called()
      return new Promise(() => {})
    },
  }
  return { model, firstCall }
}

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function transcriptPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-hung-'))
  dirs.push(dir)
  return join(dir, 'run.jsonl')
}

describe('a model that ignores its signal cannot hold a run past its end', () => {
  it('maxWallMs ends the run on time (fake clock), with a complete transcript', async () => {
    const clock = fakeClock(0)
    const { model, firstCall } = hungModel()
    const agent = defineAgent({ name: 'a', instructions: 'x', model })
    const record = transcriptPath()
    const running = collect(stream(agent, 'go', { clock, record, budget: { maxWallMs: 1_000 } }))
    await firstCall
    clock.advance(999)
    await Promise.resolve()
    clock.advance(1)
    const { events, result } = await running
    expect([result.status, result.stopReason]).toEqual(['budget_exceeded', 'maxWallMs'])
    expect(result.usage.wallMs).toBe(1_000)
    expect(events.map((e) => e.type)).toEqual([
      'run.start',
      'agent.start',
      'model.request',
      // The deadline says so when it passes, then the call it cut short ends.
      'budget.exceeded',
      'model.error',
      'agent.end',
      'run.end',
    ])
    expect(ofType(events, 'budget.exceeded')[0]).toMatchObject({
      limit: 'maxWallMs',
      used: 1_000,
      max: 1_000,
      at: 'root',
    })
    expect(ofType(events, 'model.error')[0]!.error.code).toBe('BUDGET_EXCEEDED')
    const transcript = readTranscript(record)
    expect(transcript.events.map((e) => e.type)).toEqual(events.map((e) => e.type))
    expect(transcript.events.at(-1)).toMatchObject({ type: 'run.end', status: 'budget_exceeded' })
  })

  it('an abort ends run() at once, whatever the model does (real AbortController)', async () => {
    const { model, firstCall } = hungModel()
    const agent = defineAgent({ name: 'a', instructions: 'x', model })
    const controller = new AbortController()
    const running = run(agent, 'go', { signal: controller.signal, record: transcriptPath() })
    await firstCall
    controller.abort(new Error('user pressed stop'))
    const result = await running
    expect([result.status, result.stopReason]).toEqual(['aborted', 'signal'])
    expect(result.error?.message).toContain('user pressed stop')
    const transcript = readTranscript(result.transcript!)
    expect(transcript.events.map((e) => e.type).slice(-4)).toEqual([
      'model.request',
      'model.error',
      'agent.end',
      'run.end',
    ])
  })

  it('an abort ends stream() too, and every event up to run.end is handed out', async () => {
    const { model, firstCall } = hungModel()
    const agent = defineAgent({ name: 'a', instructions: 'x', model })
    const controller = new AbortController()
    const running = collect(stream(agent, 'go', { signal: controller.signal }))
    await firstCall
    controller.abort()
    const { events, result } = await running
    expect(result.status).toBe('aborted')
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'aborted' })
    expect(ofType(events, 'model.error')).toHaveLength(1)
  })

  it('a stream reader that stops reading ends the run, even mid hung call', async () => {
    const { model } = hungModel()
    const agent = defineAgent({ name: 'a', instructions: 'x', model })
    const events = stream(agent, 'go')
    for await (const event of events) if (event.type === 'model.request') break
    const result = await events.result
    expect([result.status, result.stopReason]).toEqual(['aborted', 'consumer'])
  })

  it("a sub-agent's own maxWallMs ends only that sub-agent; the parent goes on", async () => {
    const clock = fakeClock(0)
    const { model, firstCall } = hungModel()
    const child = defineAgent({
      name: 'child',
      description: 'Never answers',
      instructions: 'c',
      model,
      budget: { maxWallMs: 500 },
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_child', args: { task: 't' } }] },
      { text: 'parent went on' },
    ])
    const parent = defineAgent({ name: 'p', instructions: 'p', model: parentModel, agents: [child] })
    const running = collect(stream(parent, 'go', { clock }))
    await firstCall
    clock.advance(500)
    const { events, result } = await running
    expect([result.status, result.output]).toEqual(['done', 'parent went on'])
    const childEnd = ofType(events, 'agent.end').find((e) => e.agent === 'child')!
    expect([childEnd.status, childEnd.stopReason]).toEqual(['budget_exceeded', 'maxWallMs'])
  })

  it('the run maxWallMs ends a hung model inside a sub-agent, and the whole run stops', async () => {
    const clock = fakeClock(0)
    const { model, firstCall } = hungModel()
    const child = defineAgent({ name: 'child', description: 'Never answers', instructions: 'c', model })
    const parent = defineAgent({
      name: 'p',
      instructions: 'p',
      model: scriptedModel([{ toolCalls: [{ name: 'delegate_child', args: { task: 't' } }] }]),
      agents: [child],
    })
    const running = run(parent, 'go', { clock, budget: { maxWallMs: 2_000 } })
    await firstCall
    clock.advance(2_000)
    const result = await running
    expect([result.status, result.stopReason]).toEqual(['budget_exceeded', 'maxWallMs'])
  })

  it("a judge's hung model call ends at maxWallMs", async () => {
    const clock = fakeClock(0)
    const { model: grader, firstCall } = hungModel('hung:grader')
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model: scriptedModel([{ text: 'an answer' }]),
      goal: judge({ model: grader, rubric: 'Anything' }),
    })
    const running = collect(stream(agent, 'go', { clock, budget: { maxWallMs: 1_000 } }))
    await firstCall
    clock.advance(1_000)
    const { events, result } = await running
    expect([result.status, result.stopReason]).toEqual(['budget_exceeded', 'maxWallMs'])
    expect(ofType(events, 'model.error').map((e) => e.path)).toEqual(['root/1/goal/0/0/model'])
  })

  it('a goal check or scorer that never settles ends at an abort', async () => {
    for (const goal of [
      () => new Promise<true>(() => {}),
      defineScorer('stuck', () => new Promise(() => {})),
    ]) {
      let checking!: () => void
      const reached = new Promise<void>((resolve) => {
        checking = resolve
      })
      const agent = defineAgent({
        name: 'a',
        instructions: 'x',
        model: scriptedModel([{ text: 'answer' }]),
        goal: [
          () => {
            checking()
            return true
          },
          goal,
        ],
      })
      const controller = new AbortController()
      const running = run(agent, 'go', { signal: controller.signal })
      await reached
      await new Promise((resolve) => setTimeout(resolve, 5))
      controller.abort()
      const result = await running
      expect([result.status, result.stopReason]).toEqual(['aborted', 'signal'])
    }
  })

  it('an approval that never comes ends at an abort, and the tool never runs', async () => {
    let ran = false
    let asked!: () => void
    const askedPromise = new Promise<void>((resolve) => {
      asked = resolve
    })
    const pay = defineTool({
      name: 'pay',
      description: 'Pays',
      input: z.object({ amount: z.number() }),
      needsApproval: true,
      run: () => {
        ran = true
        return 'paid'
      },
    })
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [pay],
      model: scriptedModel([{ toolCalls: [{ name: 'pay', args: { amount: 5 } }] }, { text: 'never' }]),
    })
    const controller = new AbortController()
    const running = collect(
      stream(agent, 'go', {
        signal: controller.signal,
        approve: () => {
          asked()
          return new Promise<boolean>(() => {})
        },
      }),
    )
    await askedPromise
    controller.abort()
    const { events, result } = await running
    expect(result.status).toBe('aborted')
    expect(ran).toBe(false)
    expect(ofType(events, 'tool.result')[0]!.error?.code).toBe('ABORTED')
  })
})
