/**
 * Context that fits, through real runs: an agent whose requests would pass its threshold has
 * its old tool results stubbed (kept whole in memory, readable back), then its older turns
 * summarised by a budgeted, recorded model call; a provider's "too long" compacts and retries
 * once; the agent's own policy can do it instead. Every compaction is an event, chained into the
 * request hash, so a replay compacts the same way and a fork can change the policy. Bad settings
 * and histories that cannot fit end with a clear code and message, the transcript whole.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type BatonError,
  type ContextCompactEvent,
  type ContextOptions,
  defineAgent,
  defineTool,
  fork,
  type Message,
  type ModelRequest,
  readTranscript,
  replay,
  run,
} from '../src/index.js'
import { spansOf } from '../src/otel/index.js'
import { countRequestTokens, type ScriptEntry, type ScriptStep, scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-context-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = () => join(dir, `run-${files++}.jsonl`)

/** About 500 tokens (2,000 characters) a page. */
const PAGE_CHARS = 2_000
const page = (n: number) => `page ${n}: ${'lorem ipsum '.repeat(PAGE_CHARS / 12)}`.slice(0, PAGE_CHARS)

const fetchPage = defineTool({
  name: 'fetch_page',
  description: 'Reads one page of the report.',
  input: z.object({ n: z.number() }),
  idempotent: true,
  run: ({ n }) => page(n),
})

/** A summary request: no tools, the summariser's instructions first. */
const isSummary = (request: ModelRequest) => request.tools.length === 0

/** `pages` turns of one page each, then an answer; summary requests answered in their own words. */
function reader(pages: number, start = 0): ScriptEntry[] {
  const last: ScriptStep = { text: 'All read.' }
  let turn = start
  let summaries = 0
  const one = (request: ModelRequest): ScriptStep => {
    if (isSummary(request)) return { text: `Summary ${++summaries}: pages read so far, nothing odd.` }
    const n = turn++
    return n < pages ? { toolCalls: [{ name: 'fetch_page', args: { n } }] } : last
  }
  // Enough entries for the turns and any summaries between them.
  return Array.from({ length: pages * 2 + 2 }, () => one)
}

function agentWith(
  context: ContextOptions | boolean,
  model = scriptedModel(reader(20), { countTokens: true }),
) {
  return {
    model,
    agent: defineAgent({
      name: 'reader',
      instructions: 'Read every page, then say you are done.',
      model,
      tools: [fetchPage],
      budget: { maxSteps: 200 },
      context,
    }),
  }
}

const compactions = (events: readonly { type: string }[]) =>
  events.filter((e): e is ContextCompactEvent => e.type === 'context.compact')

describe('tier 1: old tool results become stubs', () => {
  it('keeps every request under the threshold, the head and the last turns as they are', async () => {
    const { model, agent } = agentWith({ window: 8_000, threshold: 0.5, keepTurns: 2, summarize: false })
    const path = file()
    const result = await run(agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    expect(result.usage.toolCalls).toBe(20)

    const own = model.requests.filter((r) => !isSummary(r))
    const sizes = own.map(countRequestTokens)
    // Without compaction the last request would hold all 20 pages.
    expect(20 * (PAGE_CHARS / 4)).toBeGreaterThan(8_000)
    // The estimate is calibrated on the model's own count: nothing goes over the threshold by more
    // than the turn added after the last compaction.
    for (const size of sizes) expect(size).toBeLessThanOrEqual(4_000 + PAGE_CHARS / 4 + 100)

    const events = readTranscript(path).events
    const compacted = compactions(events)
    expect(compacted.length).toBeGreaterThan(1)
    for (const event of compacted) {
      expect(event.reason).toBe('threshold')
      expect(event.limit).toBe(4_000)
      expect(event.window).toBe(8_000)
      expect(event.tokensBefore).toBeGreaterThan(event.limit)
      expect(event.tokensAfter).toBeLessThan(event.tokensBefore)
      expect(event.summarized).toBe(0)
      expect(event.stubbed.length).toBeGreaterThan(0)
      expect(event.path).toMatch(/^root\/\d+\/compact$/)
    }

    // The instructions and the brief never change; the last two turns are whole.
    const last = own.at(-1)!.messages
    expect(last[0]).toEqual({ role: 'system', content: 'Read every page, then say you are done.' })
    expect(last[1]!.content).toContain('Read the report.')
    const results = last.filter((m) => m.role === 'tool')
    expect(results.slice(-2).map((m) => m.content)).toEqual([page(18), page(19)])
    // The older results are stubs naming the key that keeps each whole, then come the results
    // added since the last compaction: never a whole result before a stub.
    const stubs = results.filter((m) => m.content.startsWith('[compacted'))
    expect(results.slice(0, stubs.length)).toEqual(stubs)
    expect(stubs.length).toBeGreaterThan(10)
    for (const stub of stubs) {
      expect(stub.content).toMatch(
        /^\[compacted: the 2000-character result of fetch_page .* "context\/root\/call_\d+_0"/,
      )
      expect(stub.content.length).toBeLessThan(300)
    }
    // The whole results are in memory, written by the agent at the compaction's step.
    const kept = result.memory.filter((entry) => entry.key.startsWith('context/root/'))
    expect(kept).toHaveLength(stubs.length)
    expect(compacted.flatMap((e) => e.stubbed).sort()).toEqual(kept.map((e) => e.key).sort())
    for (const entry of kept) {
      expect(entry.value).toMatch(/^page \d+: lorem/)
      expect(entry.by).toBe('root')
      expect(entry.step).toMatch(/^root\/\d+\/compact$/)
    }
    // A tool call and its result are never separated: each result follows its call.
    for (const request of own) expect(pairsBroken(request.messages)).toEqual([])
  })

  it('gives the agent memory_read, which reads a stubbed result back even outside its memory scope', async () => {
    let key = ''
    let turn = 0
    const steps: ScriptEntry[] = Array.from({ length: 20 }, () => (request: ModelRequest): ScriptStep => {
      const n = turn++
      if (n < 6) return { toolCalls: [{ name: 'fetch_page', args: { n } }] }
      if (n === 6) {
        const stub = request.messages.find((m) => m.role === 'tool' && m.content.startsWith('[compacted'))
        key = /"(context\/[^"]+)"/.exec(stub!.content)![1]!
        return { toolCalls: [{ name: 'memory_read', args: { key } }] }
      }
      const read = request.messages.at(-1)!
      return { text: read.content.includes('page 0: lorem') ? 'read back' : 'lost' }
    })
    const model = scriptedModel(steps, { countTokens: true })
    const agent = defineAgent({
      name: 'reader',
      instructions: 'Read pages.',
      model,
      tools: [fetchPage],
      memory: { read: ['notes/*'], write: ['notes/*'] },
      context: { window: 3_000, threshold: 0.6, keepTurns: 1, summarize: false },
    })
    expect(model.requests).toEqual([])
    const result = await run(agent, 'Read.')
    expect(model.requests[0]!.tools.map((t) => t.name)).toEqual(['fetch_page', 'memory_read'])
    expect(key).toBe('context/root/call_1_0')
    expect(result.output).toBe('read back')
  })

  it('leaves results under minChars, and compacts nothing while the request is under the threshold', async () => {
    const { model, agent } = agentWith({ window: 200_000, summarize: false })
    const result = await run(agent, 'Read the report.', { record: file() })
    expect(result.status).toBe('done')
    expect(compactions(readTranscript(result.transcript!).events)).toEqual([])
    expect(model.requests.at(-1)!.messages.filter((m) => m.role === 'tool')).toHaveLength(20)
  })
})

describe('tier 2: older turns summarised by a model call', () => {
  it('summarises with a cheaper model, charged to the agent and recorded at its own step key', async () => {
    const summaries: ModelRequest[] = []
    const summarizer = scriptedModel(
      Array.from({ length: 20 }, () => (request: ModelRequest) => {
        summaries.push(request)
        return {
          text: `The agent read pages up to ${summaries.length * 3}.`,
          usage: { inputTokens: 700, outputTokens: 20 },
        }
      }),
      { id: 'scripted:cheap' },
    )
    const { model, agent } = agentWith({
      window: 8_000,
      threshold: 0.5,
      keepTurns: 2,
      stubResults: false,
      summarize: { model: summarizer, maxTokens: 300 },
    })
    const path = file()
    const result = await run(agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    expect(summaries.length).toBeGreaterThan(0)

    // The summariser sees its instructions and the older turns as text, never the kept ones.
    const first = summaries[0]!
    expect(first.messages[0]!.role).toBe('system')
    expect(first.messages[0]!.content).toContain('You compact the history of an agent')
    expect(first.messages[1]!.content).toContain('Agent called fetch_page')
    expect(first.messages[1]!.content).toContain('Result of fetch_page')
    expect(first.maxTokens).toBe(300)
    expect(first.tools).toEqual([])

    const events = readTranscript(path).events
    const compacted = compactions(events)
    expect(compacted.every((e) => e.summarized > 0 && e.stubbed.length === 0)).toBe(true)
    // The next request holds the summary where the older turns were.
    const after = model.requests.find((r) =>
      r.messages[2]?.content.startsWith('[Summary of the earlier steps'),
    )
    expect(after!.messages[2]!.content).toContain('The agent read pages up to 3.')
    expect(after!.messages[3]!.role).toBe('assistant')
    expect(pairsBroken(after!.messages)).toEqual([])

    // The summary calls are model calls of the agent: on its budget, priced as their model.
    const calls = events.filter((e) => e.type === 'model.response' && e.path.endsWith('/compact/model'))
    expect(calls).toHaveLength(summaries.length)
    const own = model.requests.reduce((sum, r) => sum + countRequestTokens(r), 0)
    expect(result.usage.inputTokens).toBe(own + 700 * summaries.length)
    expect(result.usage.steps).toBe(21 + summaries.length)
    // A summary call is not a step of the trajectory.
    expect(result.trajectory).toHaveLength(20)
  })

  it('summarises when the stubs are not enough, with both tiers on by default', async () => {
    const { model, agent } = agentWith({ window: 2_400, keepTurns: 2, stubResults: { minChars: 100 } })
    const result = await run(agent, 'Read the report.', { record: file() })
    expect(result.status).toBe('done')
    const compacted = compactions(readTranscript(result.transcript!).events)
    expect(compacted.some((e) => e.stubbed.length > 0)).toBe(true)
    expect(compacted.some((e) => e.summarized > 0)).toBe(true)
    for (const request of model.requests) expect(countRequestTokens(request)).toBeLessThan(2_400)
  })
})

describe('tier 3: a provider that says the request is too long', () => {
  it('compacts and retries once, at the next step, instead of ending the run', async () => {
    // The agent believes in a window far larger than the model's: only the provider can say.
    const model = scriptedModel(reader(12), { countTokens: true, contextWindow: 3_000 })
    const { agent } = agentWith({ window: 100_000, keepTurns: 2, summarize: false }, model)
    const path = file()
    const result = await run(agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    expect(result.usage.toolCalls).toBe(12)
    const events = readTranscript(path).events
    const refused = events.filter((e) => e.type === 'model.error')
    expect(refused.length).toBeGreaterThan(0)
    for (const error of refused) {
      expect(error.type === 'model.error' && error.error.details?.code).toBe('CONTEXT_LENGTH')
      // The next event of that agent is the compaction that answers it.
      const next = events.find(
        (e) => e.seq! > error.seq! && e.type === 'context.compact',
      ) as ContextCompactEvent
      expect(next.reason).toBe('overflow')
      expect(next.tokensAfter).toBeLessThan(next.tokensBefore)
      const failed = Number(error.path.split('/')[1])
      expect(next.path).toBe(`root/${failed + 1}/compact`)
    }
    // The results taken out are in memory.
    expect(result.memory.some((entry) => entry.key.startsWith('context/root/'))).toBe(true)
  })

  it('ends CONTEXT_LIMIT when nothing is left to compact, and MODEL_ERROR with retryOnOverflow off', async () => {
    const model = scriptedModel(reader(3), { countTokens: true, contextWindow: 50 })
    const { agent } = agentWith({ window: 100_000 }, model)
    const path = file()
    const result = await run(agent, 'Read the report.', { record: path })
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('CONTEXT_LIMIT')
    expect(result.error?.message).toContain('the provider refused the request of agent "reader" as too long')
    expect(readTranscript(path).events.at(-1)!.type).toBe('run.end')

    const off = scriptedModel(reader(3), { countTokens: true, contextWindow: 50 })
    const plain = agentWith({ window: 100_000, retryOnOverflow: false }, off).agent
    const refused = await run(plain, 'Read the report.')
    expect(refused.stopReason).toBe('MODEL_ERROR')
    expect(refused.error?.details?.code).toBe('CONTEXT_LENGTH')
    expect(off.requests).toHaveLength(1)
  })
})

describe('in a tree of agents', () => {
  it('a sub-agent compacts its own history at its own path; its trace says so', async () => {
    const subModel = scriptedModel(reader(12), { countTokens: true })
    const sub = defineAgent({
      name: 'reader',
      description: 'Reads the report.',
      instructions: 'Read every page.',
      model: subModel,
      tools: [fetchPage],
      memory: { read: ['notes/**'], write: ['notes/**'] },
      context: { window: 3_000, threshold: 0.6, keepTurns: 1, summarize: false },
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'Delegate the reading.',
      model: scriptedModel([
        { toolCalls: [{ name: 'delegate_reader', args: { task: 'Read the report.' } }] },
        { text: 'The reader is done.' },
      ]),
      agents: [sub],
    })
    const path = file()
    const result = await run(lead, 'Have the report read.', { record: path })
    expect(result.status).toBe('done')
    const events = readTranscript(path).events
    const compacted = compactions(events)
    expect(compacted.length).toBeGreaterThan(0)
    for (const event of compacted) expect(event.path).toMatch(/^root\/1\/agent:reader#0\/\d+\/compact$/)
    const kept = result.memory.filter((entry) => entry.key.startsWith('context/'))
    expect(kept.length).toBeGreaterThan(0)
    for (const entry of kept) {
      expect(entry.key).toMatch(/^context\/root\/1\/agent:reader-0\/call_\d+_0$/)
      expect(entry.by).toBe('root/1/agent:reader#0')
    }
    // The lead's own history was never compacted: it has no policy.
    expect(compacted.some((e) => e.path.startsWith('root/') && !e.path.includes('agent:'))).toBe(false)

    const spans = spansOf(events, 'ctx', { content: true })
    const agentSpan = spans.find((span) => span.key === 'root/1/agent:reader#0')!
    expect(agentSpan.attributes['baton.context.compactions']).toBe(compacted.length)
    // The contents of a chat span after a compaction are the compacted history, not the whole one.
    const after = spans.find((span) => span.key === compacted[0]!.path.replace(/compact$/, 'model'))!
    const input = String(after.attributes['gen_ai.input.messages'])
    expect(input).toContain('[compacted: the 2000-character result of fetch_page')
    expect(input).not.toContain(page(0).slice(0, 40))
  })
})

describe('replay and fork', () => {
  it('a replay compacts the same way, summaries answered from the recording', async () => {
    const settings: ContextOptions = {
      window: 6_000,
      threshold: 0.5,
      keepTurns: 2,
      stubResults: { minChars: 100 },
    }
    const live = agentWith(settings)
    const path = file()
    const result = await run(live.agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')

    const again = agentWith(settings, scriptedModel([]))
    const replayed = await replay(path, again.agent, { record: file() })
    expect(replayed.divergences).toEqual([])
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
    expect(replayed.status).toBe('done')
    expect(replayed.memory.map((e) => [e.key, e.value])).toEqual(result.memory.map((e) => [e.key, e.value]))
    const strip = (events: readonly { type: string }[]) =>
      compactions(events).map(({ path, tokensBefore, tokensAfter, stubbed, summarized, hash }) => ({
        path,
        tokensBefore,
        tokensAfter,
        stubbed,
        summarized,
        hash,
      }))
    expect(strip(readTranscript(replayed.transcript!).events)).toEqual(strip(readTranscript(path).events))

    // Another policy on replay is a divergence at the first request it changes.
    const other = agentWith({ ...settings, keepTurns: 3 }, scriptedModel([]))
    const diverged = await replay(path, other.agent)
    expect(diverged.status).toBe('error')
    expect(diverged.stopReason).toBe('REPLAY_DIVERGENCE')
  })

  it('a fork changes the policy from a step on', async () => {
    const settings: ContextOptions = {
      window: 6_000,
      threshold: 0.5,
      keepTurns: 2,
      stubResults: { minChars: 100 },
    }
    const path = file()
    await run(agentWith(settings).agent, 'Read the report.', { record: path })
    const firstCompaction = Number(compactions(readTranscript(path).events)[0]!.path.split('/')[1])

    // From the step of the first compaction on, no summaries: a bigger threshold and stubs only.
    // The steps before it are the recording's; the model goes on from the page it is at.
    const model = scriptedModel(reader(20, firstCompaction - 1), { countTokens: true })
    const changed = agentWith({ window: 20_000, keepTurns: 2, summarize: false }, model).agent
    const forked = await fork(path, changed, { from: firstCompaction, model, record: file() })
    expect(forked.status).toBe('done')
    const after = compactions(readTranscript(forked.transcript!).events)
    expect(after.every((e) => e.summarized === 0)).toBe(true)
    expect(after.every((e) => e.limit === 15_000)).toBe(true)
  })
})

describe('an agent’s own policy', () => {
  it('is asked with the sizes and where the recent turns begin; what it returns is sent', async () => {
    const asked: { tokens: number; limit: number; recentFrom: number; length: number }[] = []
    // Drops whole old turns (a call with its result), keeping the last two.
    const { model, agent } = agentWith({
      window: 8_000,
      threshold: 0.5,
      keepTurns: 2,
      policy: (history, info) => {
        asked.push({
          tokens: info.tokens,
          limit: info.limit,
          recentFrom: info.recentFrom,
          length: history.length,
        })
        const kept = [...history.slice(0, 2), ...history.slice(info.recentFrom)]
        expect(info.estimate(kept)).toBeLessThan(info.tokens)
        return kept
      },
    })
    const path = file()
    const result = await run(agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    expect(asked.length).toBeGreaterThan(0)
    for (const call of asked) {
      expect(call.tokens).toBeGreaterThan(call.limit)
      expect(call.recentFrom).toBe(call.length - 4)
    }
    const compacted = compactions(readTranscript(path).events)
    expect(compacted.every((e) => e.custom === true && e.stubbed.length === 0)).toBe(true)
    expect(model.requests.at(-1)!.messages.length).toBeLessThanOrEqual(2 + 4 + 2)
  })

  it('ends CONTEXT_POLICY, naming the rule, when it breaks the history or throws', async () => {
    const cases: [ContextOptions['policy'], RegExp][] = [
      [(history) => history.slice(1), /message 0 \(the instructions\) was changed|left out/],
      [
        (history) => history.filter((m) => m.role !== 'assistant' || history.indexOf(m) > 5),
        /does not follow the assistant message that made the call/,
      ],
      [
        () => {
          throw new Error('policy crashed')
        },
        /threw: policy crashed/,
      ],
    ]
    for (const [policy, message] of cases) {
      const { result, path } = await recordedWith(policy)
      expect(result.status).toBe('error')
      expect(result.stopReason).toBe('CONTEXT_POLICY')
      expect(result.error?.message).toMatch(message)
      // Nothing lost: the transcript holds every step up to the failure and reads back.
      const events = readTranscript(path).events
      expect(events.filter((e) => e.type === 'tool.result').length).toBeGreaterThan(3)
    }
  })
})

describe('an agent’s own policy, handled with care', () => {
  it('edits its own copy: what it changes in place is not sent unless it returns it, and is checked when it does', async () => {
    let asked = 0
    const edited: ContextOptions['policy'] = (history) => {
      asked++
      ;(history[0] as { content: string }).content = 'Say you are done at once.'
      for (const message of history) if (message.role === 'tool') message.content = 'gone'
      return undefined
    }
    const quiet = agentWith({ window: 40_000, threshold: 0.2, policy: edited })
    const path = file()
    const result = await run(quiet.agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    expect(asked).toBeGreaterThan(0)
    for (const request of quiet.model.requests) {
      expect(request.messages[0]!.content).toBe('Read every page, then say you are done.')
      expect(request.messages.filter((m) => m.role === 'tool' && m.content === 'gone')).toEqual([])
    }
    expect(compactions(readTranscript(path).events)).toEqual([])

    const returned = agentWith({
      window: 8_000,
      threshold: 0.5,
      policy: (history) => {
        ;(history[0] as { content: string }).content = 'Say you are done at once.'
        return history
      },
    })
    const refused = await run(returned.agent, 'Read the report.')
    expect(refused.stopReason).toBe('CONTEXT_POLICY')
    expect(refused.error?.message).toMatch(/message 0 \(the instructions\) was changed/)
    for (const request of returned.model.requests)
      expect(request.messages[0]!.content).toBe('Read every page, then say you are done.')
  })

  it('records no compaction when it gives back the history as it was', async () => {
    let asked = 0
    const same = agentWith({
      window: 40_000,
      threshold: 0.2,
      policy: (history) => {
        asked++
        return [...history]
      },
    })
    const path = file()
    const result = await run(same.agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    expect(asked).toBeGreaterThan(0)
    expect(compactions(readTranscript(path).events)).toEqual([])
  })

  it('ends CONTEXT_POLICY, not INTERNAL, when what it returns is malformed, the transcript readable', async () => {
    const cases: [ContextOptions['policy'], RegExp][] = [
      [
        (history) => history.map((m, i) => (i === 2 ? ({ ...m, toolCalls: 'fetch_page' } as never) : m)),
        /message 2 has toolCalls that are not an array/,
      ],
      [
        (history) => history.map((m) => (m.role === 'tool' ? ({ ...m, toolName: undefined } as never) : m)),
        /message 3 is a tool result without a toolName string/,
      ],
      [
        (history) =>
          new Proxy(history.slice(), {
            get(target, key) {
              if (key === 'length') throw new Error('no length today')
              return Reflect.get(target, key)
            },
          }),
        /threw: no length today/,
      ],
    ]
    for (const [policy, message] of cases) {
      const { result, path } = await recordedWith(policy)
      expect(result.stopReason).toBe('CONTEXT_POLICY')
      expect(result.error?.message).toMatch(message)
      expect(readTranscript(path).events.at(-1)!.type).toBe('run.end')
    }
  })
})

describe('a provider that uses the same call ids again at each step', () => {
  /** A reader whose every call has the id `call_0`. */
  const sameIds = (pages: number): ScriptEntry[] =>
    reader(pages).map((entry) => (request: ModelRequest) => {
      const step = (entry as (r: ModelRequest) => ScriptStep)(request)
      return step.toolCalls ? { toolCalls: step.toolCalls.map((call) => ({ ...call, id: 'call_0' })) } : step
    })

  it('keeps each stubbed result whole under its own key, and an own policy may keep the history', async () => {
    const { agent } = agentWith(
      { window: 8_000, threshold: 0.5, keepTurns: 2, summarize: false },
      scriptedModel(sameIds(12), { countTokens: true }),
    )
    const path = file()
    const result = await run(agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    const stubbed = compactions(readTranscript(path).events).flatMap((e) => e.stubbed)
    expect(stubbed.length).toBeGreaterThan(3)
    expect(new Set(stubbed).size).toBe(stubbed.length)
    const kept = result.memory.filter((e) => e.key.startsWith('context/')).map((e) => e.value)
    expect(kept).toEqual(Array.from({ length: stubbed.length }, (_, n) => page(n)))

    const own = agentWith(
      {
        window: 40_000,
        threshold: 0.2,
        policy: (history, info) => [...history.slice(0, 2), ...history.slice(info.recentFrom)],
      },
      scriptedModel(sameIds(12), { countTokens: true }),
    )
    const kept2 = await run(own.agent, 'Read the report.')
    expect(kept2.error).toBeUndefined()
    expect(kept2.status).toBe('done')
  })

  it('keeps each stubbed result under its own key after a summary took the stubs that named the others', async () => {
    // Both tiers: stubs first, then summaries that take the stubbed turns out of the history.
    const { agent } = agentWith(
      { window: 3_000, threshold: 0.5, keepTurns: 2 },
      scriptedModel(sameIds(24), { countTokens: true }),
    )
    const path = file()
    const result = await run(agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    const events = readTranscript(path).events
    expect(compactions(events).some((e) => e.summarized > 0)).toBe(true)
    const written = events.flatMap((e) =>
      e.type === 'memory.write' && e.key.startsWith('context/') ? [e.key] : [],
    )
    expect(written.length).toBeGreaterThan(3)
    // No key is written twice: no stubbed result overwrites another.
    expect(new Set(written).size).toBe(written.length)
  })
})

describe('bad settings and histories that cannot fit', () => {
  it('refuses bad options when the agent is defined, naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [
        { threshold: 1.5 },
        /context\.threshold as a number is a share of the window, above 0 and at most 1, got 1.5/,
      ],
      [
        { window: 1_000, threshold: { tokens: 2_000 } },
        /context\.threshold is 2000 tokens, above the window of 1000/,
      ],
      [{ keepTurns: -1 }, /context\.keepTurns must be a whole number/],
      [{ summarize: { model: 42 } }, /context\.summarize\.model must be a model string or a Model/],
      [{ compact: true }, /context\.compact is not a context option/],
      ['yes', /context must be true, a context policy function/],
      // Numbers JSON cannot show are shown as they were given.
      [{ window: Number.NaN }, /context\.window must be a positive whole number of tokens, got NaN/],
      [
        { keepTurns: Number.POSITIVE_INFINITY },
        /context\.keepTurns must be a whole number of 0 or more, got Infinity/,
      ],
      [
        { threshold: { tokens: Number.NaN } },
        /context\.threshold\.tokens must be a positive whole number of tokens, got NaN/,
      ],
      // A misspelt nested option is named, not ignored.
      [
        { stubResults: { minchars: 10 } },
        /context\.stubResults\.minchars is not an option of context\.stubResults \(known: minChars\)/,
      ],
      [
        { summarize: { modle: 'openai:gpt-4o-mini' } },
        /context\.summarize\.modle is not an option of context\.summarize/,
      ],
      [
        { threshold: { tokens: 100, share: 0.5 } },
        /context\.threshold\.share is not an option of context\.threshold/,
      ],
      [
        { summarize: [] },
        /context\.summarize must be true, false or \{ model, maxTokens, instructions \}, got \[\]/,
      ],
      [{ stubResults: [] }, /context\.stubResults must be true, false or \{ minChars \}, got \[\]/],
      [{ summarize: { model: ' ' } }, /context\.summarize\.model must be a model string or a Model, got " "/],
    ]
    for (const [context, message] of bad) {
      let thrown: BatonError | undefined
      try {
        defineAgent({
          name: 'a',
          instructions: 'x',
          model: scriptedModel([]),
          context: context as ContextOptions,
        })
      } catch (error) {
        thrown = error as BatonError
      }
      expect(thrown?.code).toBe('INVALID_DEFINITION')
      expect(thrown?.message).toMatch(message)
    }
  })

  it('says when the window is unknown, or below the threshold, once the model is known', async () => {
    const unknown = await run(agentWith(true).agent, 'Read the report.')
    expect(unknown.status).toBe('error')
    expect(unknown.error?.code).toBe('INVALID_DEFINITION')
    expect(unknown.error?.message).toContain('the context window of model "scripted:model" is not known')
    expect(unknown.error?.message).toContain('contextWindows')

    const small = scriptedModel(reader(2), { contextWindow: 1_000 })
    const above = await run(agentWith({ threshold: { tokens: 5_000 } }, small).agent, 'Read the report.')
    expect(above.error?.message).toContain(
      'context.threshold is 5000 tokens, above the 1000-token window of model',
    )

    // The run's table gives the window (and is kept in the header for replays).
    const path = file()
    const given = await run(agentWith(true).agent, 'Read the report.', {
      contextWindows: { 'scripted:model': 6_000 },
      record: path,
    })
    expect(given.status).toBe('done')
    expect(readTranscript(path).header.contextWindows).toEqual({ 'scripted:model': 6_000 })
    expect(compactions(readTranscript(path).events)[0]?.limit).toBe(4_500)
    const replayed = await replay(path, agentWith(true, scriptedModel([])).agent)
    expect(replayed.divergences).toEqual([])
    expect(replayed.status).toBe('done')
  })

  it('ends CONTEXT_LIMIT when even the instructions, the brief and the last turns do not fit', async () => {
    const path = file()
    const model = scriptedModel(reader(3), { countTokens: true })
    const agent = defineAgent({
      name: 'reader',
      instructions: 'Read.',
      model,
      tools: [fetchPage],
      context: { window: 1_000 },
    })
    const result = await run(agent, `Read this: ${'x'.repeat(8_000)}`, { record: path })
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('CONTEXT_LIMIT')
    expect(result.error?.message).toMatch(
      /cannot be brought under the 1000-token window of model "scripted:model": about \d+ tokens/,
    )
    expect(model.requests).toHaveLength(0)
    expect(readTranscript(path).events.at(-1)!.type).toBe('run.end')
  })

  it('goes on when the summariser fails but the request still fits, and ends when it does not', async () => {
    const broken = scriptedModel([]) // every summary call fails: SCRIPT_EXHAUSTED
    const fits = agentWith({
      window: 20_000,
      threshold: 0.25,
      keepTurns: 2,
      stubResults: false,
      summarize: { model: broken },
    })
    const path = file()
    const going = await run(fits.agent, 'Read the report.', { record: path })
    expect(going.status).toBe('done')
    const noted = compactions(readTranscript(path).events)
    expect(noted.length).toBeGreaterThan(0)
    for (const event of noted) {
      expect(event.summarized).toBe(0)
      expect(event.tokensAfter).toBe(event.tokensBefore)
      expect(event.summaryError?.code).toBe('SCRIPT_EXHAUSTED')
    }
    const failedCalls = readTranscript(path).events.filter(
      (e) => e.type === 'model.error' && e.path.endsWith('/compact/model'),
    )
    expect(failedCalls).toHaveLength(noted.length)

    const tight = agentWith(
      {
        window: 3_000,
        threshold: 0.5,
        keepTurns: 2,
        stubResults: false,
        summarize: { model: scriptedModel([]) },
      },
      scriptedModel(reader(20), { countTokens: true }),
    )
    const ended = await run(tight.agent, 'Read the report.', { record: file() })
    expect(ended.status).toBe('error')
    expect(ended.stopReason).toBe('CONTEXT_SUMMARY_FAILED')
    expect(ended.error?.message).toContain('the summary of the older turns of agent "reader" failed')
    expect(ended.error?.message).toContain('scriptedModel: the script has 0 step(s)')
  })

  it('does not use a summary longer than the turns it would replace', async () => {
    // A summariser that rambles: each summary is longer than the pages it stands for.
    const rambling = scriptedModel(
      Array.from({ length: 40 }, () => ({ text: `Summary: ${'and then, '.repeat(10_000)}` })),
    )
    const { agent, model } = agentWith({
      window: 20_000,
      threshold: 0.25,
      keepTurns: 2,
      stubResults: false,
      summarize: { model: rambling },
    })
    const path = file()
    const result = await run(agent, 'Read the report.', { record: path })
    expect(result.status).toBe('done')
    const noted = compactions(readTranscript(path).events)
    expect(noted.length).toBeGreaterThan(0)
    for (const event of noted) {
      // The history was kept as it was, and the event says why.
      expect(event.summarized).toBe(0)
      expect(event.tokensAfter).toBe(event.tokensBefore)
      expect(event.summaryError?.code).toBe('MODEL_ERROR')
      expect(event.summaryError?.message).toMatch(
        /^the summary \(\d+ characters\) is no shorter than the \d+ messages it would replace$/,
      )
    }
    // No request the agent sent holds the rambling summary.
    expect(model.requests.some((r) => JSON.stringify(r.messages).includes('and then, and then'))).toBe(false)
  })
})

/** A recorded run of the reader whose context is kept by `policy`, its own. */
async function recordedWith(policy: ContextOptions['policy']) {
  const path = file()
  const result = await run(agentWith({ window: 8_000, threshold: 0.5, policy }).agent, 'Read the report.', {
    record: path,
  })
  return { result, path }
}

/** Tool results that do not follow the assistant message that made their call. */
function pairsBroken(messages: readonly Message[]): string[] {
  const broken: string[] = []
  let open = new Set<string>()
  for (const message of messages) {
    if (message.role === 'assistant') open = new Set(message.toolCalls?.map((c) => c.id))
    else if (message.role === 'tool' && !open.delete(message.toolCallId)) broken.push(message.toolCallId)
  }
  return broken
}
