/**
 * What a transcript holds when a run does not end normally: the process is killed (SIGKILL,
 * in a child process), the model throws, the consumer stops reading, the signal aborts.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type BatonEvent,
  defineAgent,
  defineTool,
  readTranscript,
  run,
  stream,
  TRANSCRIPT_VERSION,
  VERSION,
} from '../src/index.js'
import { type ScriptEntry, scriptedModel } from '../src/testing/index.js'
import { recordedOf } from './helpers.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

let dir: string
let child: ChildProcess | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-crash-'))
})
afterEach(async () => {
  const alive = child
  child = undefined
  if (alive && alive.exitCode === null && alive.signalCode === null) {
    const closed = new Promise((resolve) => alive.once('close', resolve))
    alive.kill('SIGKILL')
    await closed
  }
  rmSync(dir, { recursive: true, force: true })
})

const steps = (events: readonly BatonEvent[]) => events.map((e) => `${e.type} ${e.path}`)

/** How many model responses the file at `path` holds so far. */
/** Model responses in the transcript's whole lines: a line still being written is not one yet. */
function responsesIn(path: string): number {
  if (!existsSync(path)) return 0
  const text = readFileSync(path, 'utf8')
  return text.slice(0, text.lastIndexOf('\n') + 1).split('"type":"model.response"').length - 1
}

interface Reported {
  seq: number
  type: string
  path: string
  durationMs?: number
}

/** Starts test/fixtures/crash-run.ts recording to `path`; collects its stdout and stderr. */
function startChild(path: string, ...args: string[]) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-run.ts', path, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child = proc
  const out = {
    stdout: '',
    stderr: '',
    ended: undefined as { code: number | null; signal: string | null } | undefined,
  }
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out.stdout += chunk
  })
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    out.stderr += chunk
  })
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.once('close', (code, signal) => {
      out.ended = { code, signal }
      resolve(out.ended)
    }),
  )
  /** The events the child reported, whole lines only (the last one may have been cut). */
  const reported = () =>
    out.stdout
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as Reported)
  return { proc, out, closed, reported }
}

/**
 * Runs the fixture until its transcript holds at least `responses` model responses, kills it
 * with SIGKILL, and returns the transcript path and the events the child reported before it died.
 */
async function killMidRun(responses: number): Promise<{ path: string; reported: Reported[] }> {
  const path = join(dir, 'crashed.jsonl')
  const { proc, out, closed, reported } = startChild(path)
  const deadline = Date.now() + 90_000
  while (responsesIn(path) < responses) {
    if (out.ended)
      throw new Error(`the child ended before it was killed (${JSON.stringify(out.ended)}):\n${out.stderr}`)
    if (Date.now() > deadline) throw new Error(`no ${responses} model responses after 90 s:\n${out.stderr}`)
    await sleep(5)
  }
  expect(proc.kill('SIGKILL')).toBe(true)
  const { signal } = await closed
  expect(signal).toBe('SIGKILL')
  return { path, reported: reported() }
}

/** Step keys opened (first type) and not closed (second type) in `events`. */
function unclosed(events: readonly BatonEvent[], open: string, close: string): BatonEvent[] {
  const closed = new Set(events.filter((e) => e.type === close).map((e) => e.path))
  return events.filter((e) => e.type === open && !closed.has(e.path))
}

describe('a run killed with SIGKILL', () => {
  it.each([6, 17, 30])(
    'leaves a readable transcript with every completed step (killed after %i model responses)',
    async (threshold) => {
      const { path, reported } = await killMidRun(threshold)
      const transcript = readTranscript(path)
      const { header, events } = transcript

      expect(header).toMatchObject({
        type: 'header',
        version: TRANSCRIPT_VERSION,
        baton: VERSION,
        task: 'a long task',
        agent: {
          name: 'lead',
          model: 'scripted:lead',
          tools: [{ name: 'work' }],
          agents: [{ name: 'helper', model: 'scripted:helper', tools: [{ name: 'work' }], agents: [] }],
        },
        budget: { maxSteps: 10_000, maxToolCalls: 10_000 },
      })
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
      expect(events[0]).toMatchObject({ type: 'run.start', path: 'root' })
      const types = events.map((e) => e.type)
      expect(types).not.toContain('run.end')
      expect(reported.some((r) => r.type === 'run.end')).toBe(false)

      // Every model call on disk completed, except at most the one in flight.
      const responses = events.filter((e) => e.type === 'model.response')
      expect(responses.length).toBeGreaterThanOrEqual(threshold)
      const requestAt = new Map(events.filter((e) => e.type === 'model.request').map((e) => [e.path, e.seq!]))
      for (const response of responses) expect(requestAt.get(response.path)!).toBeLessThan(response.seq!)
      expect(unclosed(events, 'model.request', 'model.response').length).toBeLessThanOrEqual(1)
      // Likewise tool calls: one plain tool call, and the delegation it may be part of.
      const openCalls = unclosed(events, 'tool.call', 'tool.result') as { name?: string }[]
      expect(openCalls.filter((c) => c.name === 'work').length).toBeLessThanOrEqual(1)
      expect(openCalls.filter((c) => c.name === 'delegate_helper').length).toBeLessThanOrEqual(1)
      const openAgents = unclosed(events, 'agent.start', 'agent.end').map((e) => e.path)
      expect(openAgents[0]).toBe('root')
      expect(openAgents.length).toBeLessThanOrEqual(2)
      // The lead delegates at its step 4: by the 6th response the helper has answered.
      expect(responses.some((e) => e.path.startsWith('root/4/agent:helper#0/'))).toBe(true)

      // What the child saw agrees with the file, and nothing it saw complete was lost: every
      // event up to its last slow step (a model call, a tool that took time) is on disk.
      for (const r of reported.filter((r) => r.seq < events.length)) {
        expect(`${events[r.seq]!.type} ${events[r.seq]!.path}`).toBe(`${r.type} ${r.path}`)
      }
      const slow = reported.filter(
        (r) => (r.type === 'model.response' || r.type === 'tool.result') && (r.durationMs ?? 0) >= 1,
      )
      expect(slow.length).toBeGreaterThan(0)
      expect(events.length).toBeGreaterThan(slow.at(-1)!.seq)
      expect(reported.filter((r) => r.type === 'model.response' && r.seq >= events.length)).toEqual([])
    },
    150_000,
  )
})

describe('a run() killed with SIGKILL (nobody reads its events: one write per step)', () => {
  it.each([5, 14])(
    'loses at most the step in flight (killed once the lead has started its tool call %i)',
    async (threshold) => {
      const path = join(dir, 'crashed-run.jsonl')
      const { proc, out, closed } = startChild(path, 'run')
      /** The lead's calls of `work` that have started (the helper's are numbered from 100,000). */
      const started = () =>
        out.stdout
          .split('\n')
          .slice(0, -1)
          .map((line) => (JSON.parse(line) as { work?: number }).work)
          .filter((n): n is number => n !== undefined && n < 100_000)
      const deadline = Date.now() + 90_000
      while (!started().some((n) => n >= threshold)) {
        if (out.ended)
          throw new Error(
            `the child ended before it was killed (${JSON.stringify(out.ended)}):\n${out.stderr}`,
          )
        if (Date.now() > deadline) throw new Error(`no call ${threshold} after 90 s:\n${out.stderr}`)
        await sleep(5)
      }
      expect(proc.kill('SIGKILL')).toBe(true)
      expect((await closed).signal).toBe('SIGKILL')

      const { events } = readTranscript(path)
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
      expect(events.map((e) => e.type)).not.toContain('run.end')
      // The lead's call `last` had started: its step was in flight. Every earlier step of the
      // lead (a model call, then its tool call or delegation) is complete on disk, and so is
      // the request of the step in flight, written while its model call was under way.
      const last = Math.max(...started())
      const at = (type: string, path: string) => events.some((e) => e.type === type && e.path === path)
      for (let k = 1; k < last; k++) {
        expect(at('model.response', `root/${k}/model`), `step ${k}`).toBe(true)
        expect(
          events.some((e) => e.type === 'tool.result' && e.path.startsWith(`root/${k}/tool/`)),
          `step ${k}`,
        ).toBe(true)
      }
      expect(at('model.request', `root/${last}/model`)).toBe(true)
    },
    150_000,
  )
})

describe('a run whose process exits mid-run', () => {
  it('has every event written before the exit on disk, bursts of instant steps included', async () => {
    const path = join(dir, 'exited.jsonl')
    const { out, closed, reported } = startChild(path, 'exit')
    const { code } = await closed
    expect(code, out.stderr).toBe(0)
    const { events, truncated } = readTranscript(path)
    expect(truncated).toBe(false)
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
    // The run got as far as the response asking for the call that exited (whose tool.call
    // may not have been stamped yet: the tool starts as its event is queued), and every
    // event before it is there.
    const last = events.findLastIndex((e) => e.type === 'model.response')
    expect(events[last]).toMatchObject({
      path: 'root/19/model',
      message: { toolCalls: [{ name: 'work', args: { n: 19 } }] },
    })
    expect(steps(events.slice(last + 1))).toEqual(
      events.length > last + 1 ? ['tool.call root/19/tool/call_19_0'] : [],
    )
    expect(events.length).toBeGreaterThanOrEqual(reported().length)
    expect(events.filter((e) => e.type === 'model.response')).toHaveLength(19 + 2 * 4)
    expect(unclosed(events, 'model.request', 'model.response')).toEqual([])
    expect(steps(events.slice(0, reported().length))).toEqual(reported().map((r) => `${r.type} ${r.path}`))
    expect(events.map((e) => e.type)).not.toContain('run.end')
  }, 150_000)
})

const echo = defineTool({
  name: 'echo',
  description: 'Echoes a number back',
  input: z.object({ n: z.number() }),
  run: ({ n }) => `echo ${n}`,
})

describe('a run whose model fails', () => {
  it('ends with status error, and the transcript ends with agent.end and run.end carrying the error', async () => {
    const record = join(dir, 'failed.jsonl')
    const model = scriptedModel([
      { toolCalls: [{ name: 'echo', args: { n: 1 } }] },
      { toolCalls: [{ name: 'echo', args: { n: 2 } }] },
    ])
    const agent = defineAgent({ name: 'short', instructions: 'Go on.', model, tools: [echo] })
    const result = await run(agent, 'Keep going', { record })
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('SCRIPT_EXHAUSTED')
    expect(result.error).toMatchObject({
      code: 'SCRIPT_EXHAUSTED',
      message: expect.stringContaining('2 step(s)'),
    })

    const transcript = readTranscript(record)
    expect(transcript.truncated).toBe(false)
    const { events } = transcript
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
    expect(steps(events.slice(-4))).toEqual([
      'model.request root/3/model',
      'model.error root/3/model',
      'agent.end root',
      'run.end root',
    ])
    const [modelError, agentEnd, runEnd] = events.slice(-3)
    expect(modelError).toMatchObject({ error: { code: 'SCRIPT_EXHAUSTED' } })
    expect(agentEnd).toMatchObject({ status: 'error', stopReason: 'SCRIPT_EXHAUSTED', error: result.error })
    expect(runEnd).toMatchObject({
      status: 'error',
      stopReason: 'SCRIPT_EXHAUSTED',
      error: result.error,
      usage: { toolCalls: 2 },
    })
  })

  it('records a model that throws its own error the same way', async () => {
    const record = join(dir, 'threw.jsonl')
    const model = scriptedModel([
      { toolCalls: [{ name: 'echo', args: { n: 1 } }] },
      () => {
        throw new Error('connection reset by peer')
      },
    ])
    const agent = defineAgent({ name: 'flaky', instructions: 'Go on.', model, tools: [echo] })
    const result = await run(agent, 'Keep going', { record })
    expect(result.status).toBe('error')
    expect(result.error?.message).toBe('connection reset by peer')
    const { events } = readTranscript(record)
    expect(steps(events.slice(-3))).toEqual(['model.error root/2/model', 'agent.end root', 'run.end root'])
    expect(events.at(-1)).toMatchObject({ status: 'error', error: { message: 'connection reset by peer' } })
  })

  it('in a sub-agent, records the sub-agent’s failure and lets the lead go on', async () => {
    const record = join(dir, 'sub-failed.jsonl')
    const helper = defineAgent({
      name: 'helper',
      description: 'Helps',
      instructions: 'Help.',
      model: scriptedModel([{ toolCalls: [{ name: 'echo', args: { n: 7 } }] }]),
      tools: [echo],
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: scriptedModel([
        { toolCalls: [{ name: 'delegate_helper', args: { task: 'help me' } }] },
        { text: 'managed without help' },
      ]),
      agents: [helper],
    })
    const result = await run(lead, 'Lead the work', { record })
    expect(result.status).toBe('done')
    const { events } = readTranscript(record)
    const sub = 'root/1/agent:helper#0'
    expect(steps(events)).toContain(`model.error ${sub}/2/model`)
    expect(events.find((e) => e.type === 'agent.end' && e.path === sub)).toMatchObject({
      status: 'error',
      error: { code: 'SCRIPT_EXHAUSTED' },
    })
    expect(events.find((e) => e.type === 'tool.result' && e.path === 'root/1/tool/call_1_0')).toMatchObject({
      isError: true,
      error: { code: 'SUB_AGENT_FAILED' },
    })
    expect(steps(events.slice(-2))).toEqual(['agent.end root', 'run.end root'])
    expect(events.at(-1)).toMatchObject({ status: 'done', output: 'managed without help' })
  })
})

describe('a run stopped from outside', () => {
  /** A lead that works for up to 50 steps, delegating every third step to a slow helper. */
  function longTeam() {
    const helperModel = scriptedModel(
      Array.from({ length: 40 }, (_, i): ScriptEntry[] => [
        { toolCalls: [{ name: 'echo', args: { n: 1000 + i } }] },
        { text: `helped ${i}` },
      ]).flat(),
      { latencyMs: 20, id: 'scripted:helper' },
    )
    const helper = defineAgent({
      name: 'helper',
      description: 'Helps',
      instructions: 'Help.',
      model: helperModel,
      tools: [echo],
    })
    const leadModel = scriptedModel(
      [
        ...Array.from(
          { length: 49 },
          (_, i): ScriptEntry =>
            i % 3 === 2
              ? { toolCalls: [{ name: 'delegate_helper', args: { task: `part ${i}` } }] }
              : { toolCalls: [{ name: 'echo', args: { n: i } }] },
        ),
        { text: 'done' },
      ],
      { latencyMs: 5, id: 'scripted:lead' },
    )
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: leadModel,
      tools: [echo],
      agents: [helper],
    })
    return { lead, helperModel }
  }

  it('still ends the transcript with run.end (aborted) when the consumer breaks early', async () => {
    const record = join(dir, 'broken.jsonl')
    const { lead } = longTeam()
    const events = stream(lead, 'Lead the work', { record })
    const seen: BatonEvent[] = []
    for await (const event of events) {
      seen.push(event)
      if (event.type === 'model.response' && event.path === 'root/2/model') break
    }
    const result = await events.result
    expect(result.status).toBe('aborted')
    expect(result.stopReason).toBe('consumer')
    expect(result.transcript).toBe(record)
    expect(result.usage.steps).toBe(2)

    const transcript = readTranscript(record)
    expect(transcript.truncated).toBe(false)
    const { events: recorded } = transcript
    expect(recorded.map((e) => e.seq)).toEqual(recorded.map((_, i) => i))
    // What the consumer saw is exactly the start of the record (but the deltas, never recorded)...
    const kept = recordedOf(seen)
    expect(steps(recorded.slice(0, kept.length))).toEqual(steps(kept))
    // ...and the run stopped at once: no model call completed after the break.
    expect(recorded.filter((e) => e.type === 'model.response').map((e) => e.path)).toEqual([
      'root/1/model',
      'root/2/model',
    ])
    expect(steps(recorded.slice(-2))).toEqual(['agent.end root', 'run.end root'])
    expect(recorded.at(-1)).toMatchObject({
      type: 'run.end',
      path: 'root',
      status: 'aborted',
      stopReason: 'consumer',
      error: { code: 'ABORTED' },
      usage: { steps: 2 },
    })
  })

  it('ends the transcript with run.end when the consumer breaks while a sub-agent is in flight, and stops it', async () => {
    const record = join(dir, 'broken-sub.jsonl')
    const { lead, helperModel } = longTeam()
    const events = stream(lead, 'Lead the work', { record })
    for await (const event of events) {
      if (event.type === 'model.request' && event.path.includes('/agent:helper#0/')) break
    }
    const result = await events.result
    expect(result.status).toBe('aborted')
    const text = readFileSync(record, 'utf8')
    const transcript = readTranscript(record)
    expect(transcript.events.at(-1)).toMatchObject({ type: 'run.end', status: 'aborted' })
    expect(transcript.events.filter((e) => e.type === 'run.end')).toHaveLength(1)
    // Nothing is written after run.end, and the helper is not called again.
    const calls = helperModel.requests.length
    await sleep(100)
    expect(readFileSync(record, 'utf8')).toBe(text)
    expect(helperModel.requests.length).toBe(calls)
  })

  it('ends the transcript with run.end when the consumer breaks at the first event', async () => {
    const record = join(dir, 'first.jsonl')
    const events = stream(longTeam().lead, 'Lead the work', { record })
    for await (const _ of events) break
    const result = await events.result
    expect(result.status).toBe('aborted')
    expect(result.usage.steps).toBe(0)
    const recorded = readTranscript(record).events
    expect(steps(recorded.slice(0, 1))).toEqual(['run.start root'])
    expect(steps(recorded.slice(-2))).toEqual(['agent.end root', 'run.end root'])
    expect(recorded.some((e) => e.type === 'model.response' || e.type === 'tool.call')).toBe(false)
  })

  it('ends the transcript with agent.end and run.end (aborted) when the signal aborts', async () => {
    const record = join(dir, 'signalled.jsonl')
    const controller = new AbortController()
    const { lead } = longTeam()
    const events = stream(lead, 'Lead the work', { record, signal: controller.signal })
    for await (const event of events) {
      if (event.type === 'tool.result' && event.path === 'root/2/tool/call_2_0') controller.abort()
    }
    const result = await events.result
    expect(result).toMatchObject({ status: 'aborted', stopReason: 'signal' })
    const { events: recorded } = readTranscript(record)
    expect(recorded.map((e) => e.seq)).toEqual(recorded.map((_, i) => i))
    expect(steps(recorded.slice(-2))).toEqual(['agent.end root', 'run.end root'])
    expect(recorded.at(-1)).toMatchObject({
      status: 'aborted',
      stopReason: 'signal',
      error: { code: 'ABORTED' },
    })
  })
})
