/**
 * resume of a run that ended with status `error` because a model call failed (a rate limit, a
 * network error): the failed call is made again, live, and the run goes on. A failure the run
 * got over (a sub-agent's, reported to its parent, which went on) is part of the recorded
 * prefix and replays as it was.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  BatonError,
  defineAgent,
  defineTool,
  type Model,
  type ModelRequest,
  readTranscript,
  replay,
  resume,
  run,
} from '../src/index.js'
import { type ScriptEntry, scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-resume-failed-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (name: string) => join(dir, `${files++}-${name}.jsonl`)

const toolResults = (request: ModelRequest) => request.messages.filter((m) => m.role === 'tool')

/** A model that answers as `inner` does, but fails with a 429 at the calls `failing` picks. */
function flaky(inner: Model, failing: (request: ModelRequest) => boolean): Model {
  return {
    spec: 'baton.model.v1',
    id: inner.id,
    async generate(request, options) {
      if (failing(request))
        throw new BatonError('MODEL_ERROR', 'rate limited (HTTP 429)', { details: { code: 'HTTP_429' } })
      return inner.generate(request, options)
    },
  }
}

/** One agent that calls `work` three times, one call per step, then answers: 4 steps. */
function worker(failAt?: number) {
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
      : { text: `worked ${done}`, usage: { inputTokens: 500, outputTokens: 30 } }
  }
  const scripted = scriptedModel(
    Array.from({ length: 8 }, () => policy),
    { id: 'scripted:worker' },
  )
  const model = failAt === undefined ? scripted : flaky(scripted, (r) => toolResults(r).length === failAt - 1)
  const agent = defineAgent({ name: 'worker', instructions: 'Work in units.', model, tools: [work] })
  return { agent, model: scripted, runs }
}

describe('resume of a run that a model failure ended', () => {
  it('makes the failed call again and goes on, paying only for the new calls', async () => {
    const path = file('failed')
    const failed = await run(worker(3).agent, 'Do three units', { record: path })
    expect([failed.status, failed.stopReason]).toEqual(['error', 'MODEL_ERROR'])
    const full = await run(worker().agent, 'Do three units')

    const again = worker()
    const resumed = await resume(path, again.agent)
    expect(resumed.status).toBe('done')
    expect(resumed.output).toBe(full.output)
    // Steps 1 and 2 came from the recording; step 3 (the one that failed) and 4 ran live.
    expect(resumed.live).toEqual({ model: 2, tool: 1 })
    expect(again.model.requests).toHaveLength(2)
    expect(again.runs).toEqual([3])
    expect(resumed.usage.steps).toBe(full.usage.steps)
    expect(resumed.usage.inputTokens).toBe(full.usage.inputTokens)
    expect(resumed.transcript).toBe(path)
    // The new transcript has the call that now succeeded, and replays as any other.
    const events = readTranscript(path).events
    expect(events.filter((e) => e.type === 'model.error')).toEqual([])
    const replayed = await replay(path, worker().agent)
    expect([replayed.status, replayed.output]).toEqual(['done', full.output])
  })

  it('fails again, as a live run would, when the model still fails', async () => {
    const path = file('still-failing')
    await run(worker(3).agent, 'Do three units', { record: path })
    const again = worker(3)
    const resumed = await resume(path, again.agent)
    expect([resumed.status, resumed.stopReason]).toEqual(['error', 'MODEL_ERROR'])
    expect(resumed.live.model).toBe(1)
  })

  it("replays a sub-agent's failure its parent got over, so the rest of the prefix still matches", async () => {
    const helperModel = () => flaky(scriptedModel([], { id: 'scripted:helper' }), () => true)
    const leadPolicy: ScriptEntry = (request) =>
      toolResults(request).length === 0
        ? { toolCalls: [{ name: 'delegate_helper', args: { task: 'Help' }, id: 'd1' }] }
        : { text: `without help: ${toolResults(request)[0]!.content.slice(0, 20)}` }
    const team = (lead: Model) => {
      const helper = defineAgent({
        name: 'helper',
        description: 'Helps',
        instructions: 'Help.',
        model: helperModel(),
      })
      return defineAgent({ name: 'lead', instructions: 'Lead.', model: lead, agents: [helper] })
    }
    const path = file('sub-failure')
    const lead = scriptedModel([leadPolicy, leadPolicy], { id: 'scripted:lead' })
    // The lead's second answer ends in a failure of its own: the run ends on that one.
    const failing = flaky(lead, (r) => toolResults(r).length === 1)
    const failed = await run(team(failing), 'Lead', { record: path })
    expect([failed.status, failed.stopReason]).toEqual(['error', 'MODEL_ERROR'])
    const recorded = readTranscript(path).events.filter((e) => e.type === 'model.error')
    expect(recorded.map((e) => e.path)).toEqual(['root/1/agent:helper#0/1/model', 'root/2/model'])

    const again = scriptedModel([leadPolicy, leadPolicy], { id: 'scripted:lead' })
    const resumed = await resume(path, team(again))
    expect(resumed.status).toBe('done')
    expect(resumed.divergences).toEqual([])
    // Only the lead's failed call went out again; the helper's failure came from the recording.
    expect(resumed.live.model).toBe(1)
    expect(resumed.output).toMatch(/^without help: /)
  })
})
