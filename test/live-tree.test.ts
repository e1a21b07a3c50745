/**
 * The live tree of `baton run` on a terminal: the pure state (events → tree), the drawing (lines
 * cut to the width, colors, NO_COLOR), the renderer on a fake TTY, the CLI on a real terminal
 * (`script`), and the CLI's help and usage errors for every command.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import {
  agentPathOf,
  duration,
  EMPTY_TREE,
  LiveTree,
  parentPathOf,
  reduceTree,
  type TreeState,
  textWidth,
  treeLines,
} from '../src/cli/live-tree.js'
import { formatEvent, printRun } from '../src/cli/print-events.js'
import type { BatonEvent, ContextCompactEvent } from '../src/events/index.js'
import type { RunResult } from '../src/run/index.js'

const root = new URL('..', import.meta.url).pathname
const main = join(root, 'dist/cli/main.js')
const temp = mkdtempSync(join(tmpdir(), 'baton-live-tree-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const WORKER = 'root/1/agent:worker#0'
const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens })
const assistant = { role: 'assistant' as const, content: '' }

/** A lead that delegates to a worker and calls a search tool at once; the worker fetches. */
const EVENTS: BatonEvent[] = [
  { type: 'run.start', path: 'root', runId: 'r1', agent: 'lead', task: 'Plan a trip', t: 0 },
  {
    type: 'agent.start',
    path: 'root',
    agent: 'lead',
    model: 'openai:gpt-4o',
    depth: 0,
    task: 'Plan a trip',
    t: 0,
  },
  {
    type: 'model.request',
    path: 'root/1/model',
    model: 'openai:gpt-4o',
    messages: [],
    hash: 'a',
    specHash: 'b',
    t: 10,
  },
  {
    type: 'model.response',
    path: 'root/1/model',
    message: assistant,
    usage: usage(100, 20),
    costUsd: 0.001,
    finishReason: 'tool-calls',
    durationMs: 490,
    t: 500,
  },
  { type: 'tool.call', path: 'root/1/tool/c1', callId: 'c1', name: 'delegate_worker', args: {}, t: 500 },
  { type: 'tool.call', path: 'root/1/tool/c2', callId: 'c2', name: 'search', args: {}, t: 500 },
  {
    type: 'agent.start',
    path: WORKER,
    agent: 'worker',
    model: 'scripted:w',
    depth: 1,
    task: 'Find   the sights\nof Lisbon',
    t: 510,
  },
  {
    type: 'model.request',
    path: `${WORKER}/1/model`,
    model: 'scripted:w',
    messages: [],
    hash: 'c',
    specHash: 'd',
    t: 520,
  },
  {
    type: 'model.response',
    path: `${WORKER}/1/model`,
    message: assistant,
    usage: usage(50, 10),
    costUsd: 0.0005,
    finishReason: 'tool-calls',
    durationMs: 280,
    t: 800,
  },
  { type: 'tool.call', path: `${WORKER}/1/tool/w1`, callId: 'w1', name: 'fetch', args: {}, t: 800 },
  {
    type: 'tool.result',
    path: 'root/1/tool/c2',
    callId: 'c2',
    name: 'search',
    isError: false,
    content: 'ok',
    durationMs: 400,
    t: 900,
  },
]

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
const CONTROL = /[\u0000-\u001f]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
const ESCAPE = /\u001b\[[^a-zA-Z]*[a-zA-Z]/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
const COLOR = /\u001b\[\d+m/
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
const COLORS = /\u001b\[[\d;]*m/g

const reduce = (events: BatonEvent[], state: TreeState = EMPTY_TREE) => events.reduce(reduceTree, state)
const plain = { color: false, columns: 200 }

describe('the tree state (pure)', () => {
  it('finds the agent of any event path, and its parent', () => {
    expect(agentPathOf('root')).toBe('root')
    expect(agentPathOf('root/3/model')).toBe('root')
    expect(agentPathOf('root/3/tool/call_1')).toBe('root')
    expect(agentPathOf(WORKER)).toBe(WORKER)
    expect(agentPathOf(`${WORKER}/2/tool/x`)).toBe(WORKER)
    expect(agentPathOf(`${WORKER}/2/agent:sub#1/1/goal`)).toBe(`${WORKER}/2/agent:sub#1`)
    expect(parentPathOf('root')).toBeUndefined()
    expect(parentPathOf(WORKER)).toBe('root')
    expect(parentPathOf(`${WORKER}/2/agent:sub#1`)).toBe(WORKER)
  })

  it('builds agents nested under their parent, with status, tools, tokens and cost', () => {
    const state = reduce(EVENTS)
    expect(state.roots).toEqual(['root'])
    expect(state.t).toBe(900)
    const lead = state.nodes.root!
    expect(lead).toMatchObject({ name: 'lead', model: 'openai:gpt-4o', brief: undefined, children: [WORKER] })
    // The lead counts its sub-agent's calls too, as its budget does.
    expect(lead).toMatchObject({ steps: 2, inputTokens: 150, outputTokens: 30 })
    expect(lead.costUsd).toBeCloseTo(0.0015)
    expect(lead.tools.map((tool) => tool.name)).toEqual(['delegate_worker'])
    const worker = state.nodes[WORKER]!
    expect(worker).toMatchObject({
      name: 'worker',
      brief: 'Find the sights of Lisbon',
      steps: 1,
      startedAt: 510,
    })
    expect(worker.tools).toEqual([{ callId: 'w1', name: 'fetch', since: 800 }])
  })

  it('leaves the state it was given as it was', () => {
    const before = reduce(EVENTS.slice(0, 6))
    const copy = structuredClone(before)
    const after = reduce(EVENTS.slice(6), before)
    expect(before).toEqual(copy)
    expect(after).not.toBe(before)
    // An event the tree ignores changes nothing but the time.
    const same = reduceTree(after, {
      type: 'memory.write',
      path: 'root/1/tool/c1',
      key: 'k',
      value: 1,
      by: 'root',
    })
    expect(same.nodes).toBe(after.nodes)
  })

  it('follows the model call, its retries, warnings and the end of each agent', () => {
    let state = reduce(EVENTS)
    state = reduceTree(state, {
      type: 'model.request',
      path: `${WORKER}/2/model`,
      model: 'scripted:w',
      messages: [],
      hash: 'e',
      specHash: 'f',
      t: 1000,
    })
    expect(state.nodes[WORKER]!.modelSince).toBe(1000)
    state = reduceTree(state, {
      type: 'model.retry',
      path: `${WORKER}/2/model`,
      attempt: 2,
      delayMs: 500,
      code: 'RATE_LIMITED',
      message: '429',
      t: 1100,
    })
    expect(state.nodes[WORKER]!.retry).toEqual({ attempt: 2, code: 'RATE_LIMITED' })
    state = reduceTree(state, {
      type: 'stall.warning',
      path: WORKER,
      reason: 'repeatedCall',
      message: 'same call',
    })
    state = reduceTree(state, {
      type: 'stall.warning',
      path: WORKER,
      reason: 'repeatedCall',
      message: 'same call',
    })
    state = reduceTree(state, {
      type: 'goal.check',
      path: `${WORKER}/2/goal`,
      check: 'output',
      passed: false,
      attempt: 1,
      feedback: 'not JSON',
    })
    expect(state.nodes[WORKER]!.notes).toEqual(['same call', 'output not met: not JSON'])
    state = reduceTree(state, {
      type: 'agent.end',
      path: WORKER,
      agent: 'worker',
      status: 'budget_exceeded',
      stopReason: 'maxSteps',
      output: undefined,
      usage: {
        inputTokens: 90,
        outputTokens: 15,
        cachedInputTokens: 0,
        reasoningTokens: 0,
        costUsd: 0.0009,
        steps: 2,
        toolCalls: 1,
      },
      t: 1200,
    })
    const worker = state.nodes[WORKER]!
    expect(worker).toMatchObject({
      endedAt: 1200,
      tools: [],
      modelSince: undefined,
      steps: 2,
      inputTokens: 90,
    })
    expect(worker.end).toEqual({ status: 'budget_exceeded', stopReason: 'maxSteps' })
  })

  it('stops every agent still open when the run ends', () => {
    const state = reduceTree(reduce(EVENTS), {
      type: 'run.end',
      path: 'root',
      status: 'aborted',
      stopReason: 'signal',
      output: undefined,
      usage: {
        inputTokens: 150,
        outputTokens: 30,
        cachedInputTokens: 0,
        reasoningTokens: 0,
        costUsd: 0.0015,
        steps: 2,
        toolCalls: 2,
        wallMs: 950,
      },
      t: 950,
    })
    for (const node of Object.values(state.nodes)) {
      expect(node).toMatchObject({
        end: { status: 'aborted', stopReason: 'signal' },
        endedAt: 950,
        tools: [],
      })
    }
    expect(treeLines(state, { ...plain, now: 2000 })[1]).toContain(
      '✗ worker (scripted:w) failed: aborted (signal) ·',
    )
  })

  it('marks a tool call that waits for approval', () => {
    const state = reduce([
      ...EVENTS.slice(0, 2),
      { type: 'tool.call', path: 'root/1/tool/p', callId: 'p', name: 'pay', args: {}, t: 5 },
      { type: 'approval.request', path: 'root/1/tool/p', callId: 'p', name: 'pay', args: {}, t: 6 },
    ])
    expect(state.nodes.root!.tools).toEqual([{ callId: 'p', name: 'pay', since: 5, approval: true }])
    expect(treeLines(state, { ...plain, now: 10 })[0]).toContain('awaiting approval: pay')
  })
})

describe('the text an agent is writing', () => {
  const delta = (path: string, text: string, t: number): BatonEvent => ({
    type: 'model.delta',
    path,
    kind: 'text',
    text,
    t,
  })
  const waiting = EVENTS.slice(0, 3)

  it('shows the end of what the model call in flight has written, on its agent’s line', () => {
    const state = reduce([
      ...waiting,
      delta('root/1/model', 'Lisbon first, ', 20),
      delta('root/1/model', 'then Sintra.', 30),
    ])
    expect(state.nodes.root!.writing).toBe('Lisbon first, then Sintra.')
    expect(treeLines(state, { ...plain, now: 40 })[0]).toContain(
      'writing “Lisbon first, then Sintra.” · 0 steps',
    )
  })

  it('shows a call queued for a rate limit while it waits, then the model it went to', () => {
    const queued = reduce([
      ...waiting,
      {
        type: 'model.queued',
        path: 'root/1/model',
        scope: 'openai',
        reason: 'retry-after',
        waitMs: 2_000,
        t: 100,
      },
    ])
    expect(treeLines(queued, { ...plain, now: 1_300 })[0]).toContain('queued for openai 1.2 s')
    // Past the expected wait the call is on its way: the line says so again.
    expect(treeLines(queued, { ...plain, now: 2_500 })[0]).toContain('waiting on the model')
    const switched = reduce(
      [
        { type: 'model.route', path: 'root/1/model', model: 'openai:gpt-4.1', t: 2_600 },
        {
          type: 'model.fallback',
          path: 'root/1/model',
          from: 'openai:gpt-4.1',
          to: 'anthropic:claude-haiku-4-5',
          code: 'HTTP_529',
          message: 'overloaded',
          t: 2_700,
        },
      ],
      queued,
    )
    expect(treeLines(switched, { ...plain, now: 2_800 })[0]).toContain('via anthropic:claude-haiku-4-5')
    expect(
      formatEvent({
        type: 'model.fallback',
        path: 'root/1/model',
        from: 'openai:gpt-4.1',
        to: 'anthropic:claude-haiku-4-5',
        code: 'HTTP_529',
        message: 'overloaded',
      }),
    ).toBe('  ⇢ model openai:gpt-4.1 → anthropic:claude-haiku-4-5 (HTTP_529): overloaded')
    expect(
      formatEvent({
        type: 'model.queued',
        path: 'root/1/model',
        scope: 'openai',
        reason: 'requests',
        waitMs: 20,
      }),
    ).toBe('  ⧗ queued for openai (requests, ~20 ms)')
  })

  it('keeps the last words of a long answer, and one line of it', () => {
    const long = `${'word '.repeat(40)}and the last\nline`
    const line = treeLines(reduce([...waiting, delta('root/1/model', long, 20)]), { ...plain, now: 40 })[0]!
    expect(line).toContain('writing “…')
    expect(line).toContain('and the last line”')
    expect(line).not.toContain('\n')
  })

  it('drops what a cut stream wrote, and forgets the text once the response is in', () => {
    const cut = reduce([
      ...waiting,
      delta('root/1/model', 'half', 20),
      { type: 'model.restart', path: 'root/1/model', t: 21 },
    ])
    expect(cut.nodes.root!.writing).toBeUndefined()
    expect(treeLines(cut, { ...plain, now: 40 })[0]).toContain('waiting on the model')
    const answered = reduce([...EVENTS.slice(0, 3), delta('root/1/model', 'Lisbon', 20), EVENTS[3]!])
    expect(answered.nodes.root!.writing).toBeUndefined()
  })

  it('does not take a judge’s verdict for the agent writing', () => {
    const state = reduce([...waiting, delta('root/1/goal/0/0/model', '{"pass":true}', 20)])
    expect(state.nodes.root!.writing).toBeUndefined()
  })
})

describe('a compaction of an agent’s history', () => {
  const compact = (fields: Partial<ContextCompactEvent> = {}): ContextCompactEvent => ({
    type: 'context.compact',
    path: `${WORKER}/2/compact`,
    reason: 'threshold',
    tokensBefore: 16958,
    tokensAfter: 4721,
    limit: 12000,
    stubbed: ['context/root/1/agent:worker-0/w1', 'context/root/1/agent:worker-0/w2'],
    summarized: 12,
    messages: [],
    hash: 'h',
    t: 1500,
    ...fields,
  })
  const summaryCall: BatonEvent[] = [
    {
      type: 'model.request',
      path: `${WORKER}/2/compact/model`,
      model: 'scripted:w',
      messages: [],
      hash: 's',
      specHash: '',
      t: 1000,
    },
    {
      type: 'model.delta',
      path: `${WORKER}/2/compact/model`,
      kind: 'text',
      text: 'The worker fetched',
      t: 1100,
    },
    {
      type: 'model.queued',
      path: `${WORKER}/2/compact/model`,
      scope: 'scripted',
      reason: 'requests',
      t: 1150,
    },
  ]
  const answered: BatonEvent = {
    type: 'model.response',
    path: `${WORKER}/2/compact/model`,
    message: { role: 'assistant', content: 'The worker fetched the page.' },
    usage: usage(400, 60),
    costUsd: 0.0002,
    finishReason: 'stop',
    durationMs: 400,
    t: 1400,
  }
  // The worker's fetch is done: it compacts before its second call.
  const before = [
    ...EVENTS,
    {
      type: 'tool.result',
      path: `${WORKER}/1/tool/w1`,
      callId: 'w1',
      name: 'fetch',
      isError: false,
      content: 'page',
      durationMs: 100,
      t: 950,
    },
  ] satisfies BatonEvent[]

  it('shows the agent compacting while the summary is written, not the summary as its answer', () => {
    const state = reduce([...before, ...summaryCall])
    const worker = state.nodes[WORKER]!
    expect(worker).toMatchObject({ compacting: 1000, writing: undefined, queued: undefined })
    expect(treeLines(state, { ...plain, now: 1300 })[1]).toContain(
      'worker (scripted:w) compacting the history 0.3 s · 1 step ·',
    )
  })

  it('counts the summary as a step of the agent, then says on its line that its history was compacted', () => {
    const state = reduce([...before, ...summaryCall, answered, compact()])
    const worker = state.nodes[WORKER]!
    expect(worker).toMatchObject({
      compacting: undefined,
      modelSince: undefined,
      steps: 2,
      inputTokens: 450,
      compactions: { count: 1, before: 16958, after: 4721 },
      notes: [],
    })
    // Its parent counts the summary too, as its budget does; the compaction is the worker's own.
    expect(state.nodes.root).toMatchObject({ steps: 3, inputTokens: 550 })
    expect(state.nodes.root!.compactions).toBeUndefined()
    const lines = treeLines(state, { ...plain, now: 1600 })
    expect(lines[1]).toContain(
      'worker (scripted:w) running · 2 steps · 450+70 tokens · $0.0007 · 1.1 s · history compacted 16958 → 4721 tokens · “Find the sights of Lisbon”',
    )
    expect(lines[0]).not.toContain('compacted')
    const again = reduce(
      [compact({ path: `${WORKER}/5/compact`, tokensBefore: 13000, tokensAfter: 5000 })],
      state,
    )
    expect(treeLines(again, { ...plain, now: 1600 })[1]).toContain(
      ' · history compacted 2× (last 13000 → 5000 tokens) · ',
    )
  })

  it('notes an overflow and a failed summary under the agent', () => {
    const state = reduce([
      ...before,
      compact({ reason: 'overflow', summarized: 0 }),
      compact({ summaryError: { code: 'MODEL_ERROR', message: 'HTTP 500 from the provider' } }),
    ])
    expect(state.nodes[WORKER]!.notes).toEqual([
      'the provider refused a request as too long: history compacted 16958 → 4721 tokens',
      'the summary of the history failed: HTTP 500 from the provider',
    ])
    expect(treeLines(state, { ...plain, now: 1600 }).slice(2)).toEqual([
      '      ! the provider refused a request as too long: history compacted 16958 → 4721 tokens',
      '      ! the summary of the history failed: HTTP 500 from the provider',
    ])
  })

  it('prints a plain line for a compaction, and names the summary and judge calls', () => {
    expect(formatEvent(compact())).toBe(
      '    ⇲ history compacted 16958 → 4721 tokens (limit 12000): 2 results stubbed, 12 messages summarised',
    )
    expect(
      formatEvent(compact({ path: 'root/3/compact', reason: 'overflow', stubbed: [], summarized: 1 })),
    ).toBe(
      '  ⇲ history compacted 16958 → 4721 tokens (overflow: the provider refused the request): 1 message summarised',
    )
    expect(
      formatEvent(
        compact({
          path: 'root/3/compact',
          custom: true,
          stubbed: [],
          summarized: 0,
        }),
      ),
    ).toBe("  ⇲ history compacted 16958 → 4721 tokens (limit 12000): by the agent's own policy")
    expect(
      formatEvent(
        compact({
          path: 'root/3/compact',
          stubbed: ['context/root/c1'],
          summarized: 0,
          summaryError: { code: 'MODEL_ERROR', message: 'the summary came back empty' },
        }),
      ),
    ).toBe(
      '  ⇲ history compacted 16958 → 4721 tokens (limit 12000): 1 result stubbed, summary failed: the summary came back empty',
    )
    expect(formatEvent(answered)).toBe('    · summary stop (400+60 tokens, $0.0002)')
    expect(formatEvent({ ...answered, path: 'root/2/goal/0/0/model' })).toBe(
      '  · judge stop (400+60 tokens, $0.0002)',
    )
    expect(formatEvent({ ...answered, path: 'root/2/model' })).toBe('  · model stop (400+60 tokens, $0.0002)')
  })
})

describe('the drawing', () => {
  it('draws one line per agent: name, model, status with the elapsed time, steps, tokens, cost, brief', () => {
    const lines = treeLines(reduce(EVENTS), { ...plain, now: 1234 })
    expect(lines).toEqual([
      '⠹ lead (openai:gpt-4o) calling delegate_worker 0.7 s · 2 steps · 150+30 tokens · $0.0015 · 1.2 s',
      '└─ ⠹ worker (scripted:w) calling fetch 0.4 s · 1 step · 50+10 tokens · $0.0005 · 0.7 s · “Find the sights of Lisbon”',
    ])
    const waiting = reduce(EVENTS.slice(0, 3))
    expect(treeLines(waiting, { ...plain, now: 2500 })[0]).toContain(
      ' waiting on the model 2.5 s · 0 steps ·',
    )
    expect(treeLines(reduce(EVENTS.slice(0, 2)), { ...plain, now: 0 })[0]).toContain(' running · ')
  })

  it('nests the children with tree lines, the notes under their agent, and says why an agent failed', () => {
    const end = (path: string, agent: string, status: 'done' | 'error', t: number): BatonEvent => ({
      type: 'agent.end',
      path,
      agent,
      status,
      stopReason: status === 'done' ? 'goal' : 'MODEL_ERROR',
      output: undefined,
      usage: {
        inputTokens: 1,
        outputTokens: 1,
        cachedInputTokens: 0,
        reasoningTokens: 0,
        costUsd: 0,
        steps: 1,
        toolCalls: 0,
      },
      ...(status === 'error' ? { error: { code: 'MODEL_ERROR', message: 'the server said 500' } } : {}),
      t,
    })
    const start = (path: string, agent: string, t: number): BatonEvent => ({
      type: 'agent.start',
      path,
      agent,
      model: 'm',
      depth: 1,
      task: `brief of ${agent}`,
      t,
    })
    const state = reduce([
      ...EVENTS.slice(0, 2),
      start('root/1/agent:a#0', 'a', 1),
      start('root/1/agent:b#0', 'b', 1),
      start('root/1/agent:a#0/1/agent:c#0', 'c', 2),
      { type: 'budget.warning', path: 'root/1/agent:a#0', message: 'no price is known for model "m"', t: 2 },
      end('root/1/agent:a#0/1/agent:c#0', 'c', 'error', 3),
      end('root/1/agent:a#0', 'a', 'done', 4),
    ])
    expect(treeLines(state, { ...plain, now: 5000 })).toEqual([
      '⠋ lead (openai:gpt-4o) running · 0 steps · 0+0 tokens · $0.0000 · 5.0 s',
      '├─ ✓ a (m) done · 1 step · 1+1 tokens · $0.0000 · 0.0 s · “brief of a”',
      '│  │  ! no price is known for model "m"',
      '│  └─ ✗ c (m) failed: error (MODEL_ERROR): the server said 500 · 1 step · 1+1 tokens · $0.0000 · 0.0 s · “brief of c”',
      '└─ ⠋ b (m) running · 0 steps · 0+0 tokens · $0.0000 · 5.0 s · “brief of b”',
    ])
  })

  it('cuts every line to the width, wide characters counted twice, and never prints control characters', () => {
    const state = reduce([
      ...EVENTS.slice(0, 2),
      {
        type: 'agent.start',
        path: 'root/1/agent:x#0',
        agent: 'x\x1b[31m',
        model: 'm',
        depth: 1,
        task: '東京の観光地を調べて\x07 \x1b[2J',
        t: 1,
      },
    ])
    for (const columns of [20, 41, 60, 80]) {
      const lines = treeLines(state, { color: false, columns, now: 10 })
      for (const line of lines) {
        expect(textWidth(line)).toBeLessThanOrEqual(columns - 1)
        expect(line).not.toMatch(CONTROL)
      }
      expect(lines[1]!.endsWith('…')).toBe(true)
    }
    const wide = treeLines(state, { color: false, columns: 200, now: 10 })[1]!
    expect(wide).toContain(' x (m) ')
    expect(wide).toContain('“東京の観光地を調べて”')
    expect(textWidth('東京')).toBe(4)
  })

  it('colors only with color on', () => {
    const state = reduce(EVENTS)
    const colored = treeLines(state, { color: true, columns: 200, now: 1000 })
    expect(colored[0]).toContain('\x1b[1mlead\x1b[0m')
    expect(colored[0]).toContain('\x1b[33mcalling delegate_worker')
    for (const line of treeLines(state, { ...plain, now: 1000 })) expect(line).not.toContain('\x1b')
  })

  it('writes durations the way people read them', () => {
    expect([0, 450, 9_949, 12_500, 65_000, 3_723_000].map(duration)).toEqual([
      '0.0 s',
      '0.5 s',
      '9.9 s',
      '12 s',
      '1m 05s',
      '62m 03s',
    ])
  })
})

/** A terminal that keeps what is written to it. */
function fakeTty(columns = 120, rows = 40, isTTY = true) {
  const out = { isTTY, columns, rows, written: '', write: (text: string) => (out.written += text) }
  return out
}

describe('the renderer on a TTY', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('draws the first frame at once, redraws in place at most every 100 ms, and leaves the last frame', () => {
    vi.useFakeTimers()
    let clock = 0
    const tty = fakeTty()
    const tree = new LiveTree(tty, { color: false, clock: () => clock })
    for (const event of EVENTS.slice(0, 2)) tree.update(event)
    // run.start has no agent: the first frame comes with agent.start.
    expect(tty.written).toBe(
      '\x1b[?25l⠋ lead (openai:gpt-4o) running · 0 steps · 0+0 tokens · $0.0000 · 0.0 s\n',
    )
    tty.written = ''
    for (const event of EVENTS.slice(2)) tree.update(event)
    expect(tty.written).toBe('')
    clock = 950
    vi.advanceTimersByTime(100)
    expect(tty.written).toBe(
      [
        '\x1b[1F\x1b[J⠏ lead (openai:gpt-4o) calling delegate_worker 0.5 s · 2 steps · 150+30 tokens · $0.0015 · 0.9 s',
        '└─ ⠏ worker (scripted:w) calling fetch 0.1 s · 1 step · 50+10 tokens · $0.0005 · 0.4 s · “Find the sights of Lisbon”',
        '',
      ].join('\n'),
    )
    // While anything runs, the elapsed times move: one redraw per interval, not more.
    tty.written = ''
    clock = 1250
    vi.advanceTimersByTime(300)
    expect(tty.written.split('\x1b[2F\x1b[J')).toHaveLength(4)
    tty.written = ''
    tree.end()
    expect(tty.written.startsWith('\x1b[2F\x1b[J⠹ lead')).toBe(true)
    expect(tty.written.endsWith('“Find the sights of Lisbon”\n\x1b[?25h')).toBe(true)
    tty.written = ''
    vi.advanceTimersByTime(1000)
    expect(tty.written).toBe('')
  })

  it('cuts a frame taller than the screen, but not the last one', () => {
    vi.useFakeTimers()
    const tty = fakeTty(120, 5)
    const tree = new LiveTree(tty, { color: false, clock: () => 0 })
    tree.update(EVENTS[1]!)
    for (let i = 0; i < 8; i++)
      tree.update({
        type: 'agent.start',
        path: `root/1/agent:w#${i}`,
        agent: `w${i}`,
        model: 'm',
        depth: 1,
        task: 't',
      })
    tty.written = ''
    vi.advanceTimersByTime(100)
    const frame = tty.written.split('\n')
    expect(frame).toHaveLength(5) // 4 lines and the end of the last one
    expect(frame[3]).toBe('… 6 more lines')
    tty.written = ''
    tree.end()
    expect(tty.written.startsWith('\x1b[4F\x1b[J')).toBe(true)
    expect(tty.written.split('\n')).toHaveLength(10) // 9 lines and the end of the last one
  })

  it('moves over the lines the old frame takes after the terminal got narrower', () => {
    vi.useFakeTimers()
    const tty = fakeTty(200)
    const tree = new LiveTree(tty, { color: false, clock: () => 0 })
    for (const event of EVENTS) tree.update(event)
    tty.written = ''
    vi.advanceTimersByTime(100)
    const widths = tty.written.split('\x1b[J')[1]!.split('\n').slice(0, -1).map(textWidth)
    expect(widths).toEqual([96, 116])
    tty.columns = 50
    tty.written = ''
    tree.end()
    // Those lines now wrap to 2 and 3 lines.
    expect(tty.written.startsWith('\x1b[5F\x1b[J')).toBe(true)
    for (const line of tty.written.split('\n'))
      expect(textWidth(line.replaceAll(ESCAPE, ''))).toBeLessThan(50)
  })
})

describe('printRun', () => {
  const result: RunResult = {
    status: 'done',
    stopReason: 'goal',
    output: 'the plan',
    usage: {
      inputTokens: 150,
      outputTokens: 30,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      costUsd: 0.0015,
      steps: 2,
      toolCalls: 2,
      wallMs: 1300,
    },
  } as RunResult
  async function* play() {
    yield* EVENTS
  }

  it('draws the tree on a TTY, then the result under it', async () => {
    const tty = fakeTty()
    const code = await printRun(play(), Promise.resolve(result), { json: false, out: tty, env: {} })
    expect(code).toBe(0)
    expect(tty.written).toContain('\x1b[1mlead\x1b[0m')
    expect(tty.written).toContain('\x1b[?25h\nstatus: done (goal)\nusage: 2 model calls')
    expect(tty.written.endsWith('\nthe plan\n')).toBe(true)
  })

  it('uses no color with NO_COLOR, and plain lines on a dumb terminal or without a TTY', async () => {
    const tty = fakeTty()
    await printRun(play(), Promise.resolve(result), { json: false, out: tty, env: { NO_COLOR: '1' } })
    expect(tty.written).toMatch(/\n└─ [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] worker \(scripted:w\) calling fetch /)
    expect(tty.written).not.toMatch(COLOR)
    const expected = EVENTS.map(formatEvent).filter((line) => line !== undefined)
    for (const out of [fakeTty(), fakeTty(120, 40, false)]) {
      const env = out.isTTY ? { TERM: 'dumb' } : {}
      await printRun(play(), Promise.resolve(result), { json: false, out, env })
      expect(out.written.startsWith(`${expected.join('\n')}\n\nstatus: done (goal)`)).toBe(true)
      expect(out.written).not.toContain('\x1b')
    }
  })

  it('prints only the RunResult as JSON with --json, even on a TTY, and exits 1 without success', async () => {
    const tty = fakeTty()
    const failed = { ...result, status: 'budget_exceeded', stopReason: 'maxSteps' } as RunResult
    const code = await printRun(play(), Promise.resolve(failed), { json: true, out: tty, env: {} })
    expect(code).toBe(1)
    expect(JSON.parse(tty.written)).toMatchObject({ status: 'budget_exceeded', stopReason: 'maxSteps' })
  })

  it('prints a plain line for a model retry and for a tool call that waits for approval', () => {
    expect(
      formatEvent({
        type: 'model.retry',
        path: `${WORKER}/2/model`,
        attempt: 2,
        delayMs: 500,
        code: 'RATE_LIMITED',
        message: '429 Too Many Requests',
      }),
    ).toBe('    ↻ model retry 2 in 500 ms: 429 Too Many Requests')
    expect(
      formatEvent({
        type: 'approval.request',
        path: 'root/1/tool/p',
        callId: 'p',
        name: 'pay',
        args: { eur: 5 },
      }),
    ).toBe('  ? pay awaits approval {"eur":5}')
  })

  it('keeps control characters from the run out of the plain lines', () => {
    const line = formatEvent({
      type: 'tool.result',
      path: 'root/1/tool/c',
      callId: 'c',
      name: 'shell',
      isError: false,
      content: 'red \x1b[31mtext\x1b[0m\r\nnext',
      durationMs: 1,
    })
    expect(line).toBe('  ← shell: red text next')
  })
})

// ---------------------------------------------------------------------------------------------
// The built CLI

function baton(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawnSync(process.execPath, [main, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0

/** The built CLI on a real terminal (a pseudo-terminal through util-linux `script`). */
function onTerminal(args: string[], env: Record<string, string> = {}) {
  const command = [
    'stty cols 160 rows 50;',
    ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
    JSON.stringify(process.execPath),
    JSON.stringify(main),
    ...args.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`),
  ].join(' ')
  const child = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '' },
  })
  return { code: child.status, stdout: child.stdout.replaceAll('\r\n', '\n') }
}

describe.skipIf(!hasScript)('baton run on a terminal (needs util-linux script on Linux)', () => {
  it('draws the live tree in place, leaves its last frame, then the result', () => {
    const transcript = join(temp, 'trip.jsonl')
    const { code, stdout } = onTerminal([
      'run',
      'agents/trip-planner.ts',
      'Plan a two-day trip to Lisbon',
      '--record',
      transcript,
    ])
    expect(code, stdout).toBe(0)
    expect(stdout.startsWith('\x1b[?25l')).toBe(true)
    // The plain log is not used on a terminal.
    expect(stdout).not.toContain('→ delegate_researcher')
    const last = stdout.slice(stdout.lastIndexOf('\x1b[J') + 3).replaceAll(COLORS, '')
    const [frame, summary] = last.split('\x1b[?25h\n')
    expect(frame!.split('\n')).toEqual([
      expect.stringMatching(
        /^✓ trip-planner \(scripted:offline-demo\) done · 6 steps · 1670\+435 tokens · \$0\.0000 · \d+(\.\d)? s$/,
      ),
      expect.stringMatching(
        /^├─ ✓ researcher \(scripted:offline-demo\) done · 2 steps · 500\+140 tokens · \$0\.0000 · \d+(\.\d)? s · “List the sights worth seeing in Lisbon, with sources\.”$/,
      ),
      expect.stringMatching(
        /^└─ ✓ budgeter \(scripted:offline-demo\) done · 2 steps · 410\+55 tokens · \$0\.0000 · \d+(\.\d)? s · “Estimate the cost of 2 days in Lisbon for 1 traveller\.”$/,
      ),
      '',
    ])
    expect(summary).toContain('status: done (goal)')
    expect(summary).toContain('"estimatedCostEur": 290')
    expect(stdout).toContain('\x1b[32m✓\x1b[0m')

    // A replay of it shows the same tree.
    const replayed = onTerminal(['replay', transcript], { NO_COLOR: '1' })
    expect(replayed.code, replayed.stdout).toBe(0)
    expect(replayed.stdout).toMatch(
      /✓ trip-planner \(scripted:offline-demo\) done · 6 steps · 1670\+435 tokens/,
    )
    expect(replayed.stdout).toContain('live: 0 model calls, 0 tool calls')
    expect(replayed.stdout).not.toMatch(COLOR)
  })

  it('shows the current tool of each agent with its elapsed time while it runs', () => {
    const dist = (file: string) => JSON.stringify(pathToFileURL(join(root, 'dist', file)).href)
    const module = join(temp, 'slow.mjs')
    writeFileSync(
      module,
      `import { defineAgent, defineTool } from ${dist('index.js')}
import { scriptedModel } from ${dist('testing/index.js')}
const wait = defineTool({
  name: 'wait',
  description: 'Waits',
  input: { type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] },
  run: ({ ms }) => new Promise((done) => setTimeout(() => done('waited'), ms)),
})
const worker = defineAgent({
  name: 'worker',
  description: 'Waits a while',
  instructions: 'Wait.',
  tools: [wait],
  model: scriptedModel([{ toolCalls: [{ name: 'wait', args: { ms: 600 } }] }, { text: 'waited' }], { id: 'scripted:w', latencyMs: 300 }),
})
export default defineAgent({
  name: 'lead',
  instructions: 'Delegate.',
  agents: [worker],
  model: scriptedModel([{ toolCalls: [{ name: 'delegate_worker', args: { task: 'wait for a while' } }] }, { text: 'done' }], { id: 'scripted:lead' }),
})
`,
    )
    const started = Date.now()
    const { code, stdout } = onTerminal(['run', module, 'go', '--no-record'], { NO_COLOR: '1' })
    const seconds = (Date.now() - started) / 1000
    expect(code, stdout).toBe(0)
    // The times themselves are checked against a fake clock above; a busy machine stretches them.
    expect(stdout).toMatch(/└─ [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] worker \(scripted:w\) waiting on the model \d+(\.\d)? s/)
    expect(stdout).toMatch(/└─ [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] worker \(scripted:w\) calling wait \d+(\.\d)? s/)
    expect(stdout).toMatch(/lead \(scripted:lead\) calling delegate_worker \d+(\.\d)? s/)
    // At least ~1.2 s of waiting, drawn at 10 frames a second at most (plus the first and last).
    const frames = stdout.split('\x1b[J').length
    expect(frames).toBeGreaterThan(5)
    expect(frames).toBeLessThanOrEqual(10 * seconds + 3)
    expect(stdout).toMatch(/└─ ✓ worker \(scripted:w\) done · 2 steps/)
  })

  it('shows the answer of the agent that is writing, as it is written', () => {
    const dist = (file: string) => JSON.stringify(pathToFileURL(join(root, 'dist', file)).href)
    const module = join(temp, 'writer.mjs')
    writeFileSync(
      module,
      `import { defineAgent } from ${dist('index.js')}
const answer = 'Lisbon first, then Sintra.'
const response = { message: { role: 'assistant', content: answer }, usage: { inputTokens: 3, outputTokens: 6 }, finishReason: 'stop' }
// A model that writes half its answer, thinks for a while, then writes the rest.
const model = {
  spec: 'baton.model.v1',
  id: 'scripted:writer',
  generate: async () => response,
  async *stream() {
    yield { type: 'text-delta', text: 'Lisbon first, ' }
    await new Promise((done) => setTimeout(done, 800))
    yield { type: 'text-delta', text: 'then Sintra.' }
    yield { type: 'finish', response }
  },
}
export default defineAgent({ name: 'guide', instructions: 'Plan.', model })
`,
    )
    const { code, stdout } = onTerminal(['run', module, 'Plan a day', '--no-record'], { NO_COLOR: '1' })
    expect(code, stdout).toBe(0)
    expect(stdout).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] guide \(scripted:writer\) writing “Lisbon first,” ·/)
    expect(stdout).toMatch(/✓ guide \(scripted:writer\) done · 1 step/)
  })

  it('prints only JSON with --json', () => {
    const { code, stdout } = onTerminal([
      'run',
      'agents/trip-planner.ts',
      'Plan a trip',
      '--json',
      '--no-record',
    ])
    expect(code).toBe(0)
    expect(stdout).not.toContain('\x1b')
    expect(JSON.parse(stdout)).toMatchObject({ status: 'done' })
  })
})

describe('baton help and usage errors', () => {
  it('answers --help, -h and help with the usage and exit 0, each command included', () => {
    const general = baton(['--help'])
    expect(general.code).toBe(0)
    for (const usage of [
      'baton run <agent-module>[#export] "<task>"',
      'baton replay <transcript>',
      'baton eval [files…]',
    ])
      expect(general.stdout).toContain(usage)
    for (const args of [['-h'], ['help']]) {
      const { code, stdout, stderr } = baton(args)
      expect(code, args.join(' ')).toBe(0)
      expect(stdout).toBe(general.stdout)
      expect(stderr).toBe('')
    }
    // Each command has its own help: its usage, its flags and examples, not the general text.
    const runHelp = baton(['run', '--help'])
    for (const args of [
      ['run', '-h'],
      ['help', 'run'],
      ['run', 'agents/x.ts', '--help'],
    ])
      expect(baton(args).stdout, args.join(' ')).toBe(runHelp.stdout)
    const replayHelp = baton(['replay', '--help'])
    const helps: [string, string, string[]][] = [
      [
        'run',
        runHelp.stdout,
        ['--json', '--record', '--model', '--resume', '--max-cost-usd', '--prices', '--price', '--debug'],
      ],
      ['replay', replayHelp.stdout, ['--agent', '--live-tools', '--lenient', '--model', '--json', '--debug']],
      ['eval', baton(['eval', '--help']).stdout, ['--mode', '--baseline', '--trials']],
      ['view', baton(['view', '--help']).stdout, ['--out']],
    ]
    for (const [command, help, flags] of helps) {
      expect(help, command).not.toBe(general.stdout)
      expect(help, command).toMatch(new RegExp(`^baton ${command} `))
      expect(help, command).toContain(`baton ${command} <`.replace('baton eval <', 'baton eval ['))
      for (const flag of flags) expect(help, `${command} ${flag}`).toContain(flag)
    }
    for (const help of [runHelp.stdout, replayHelp.stdout]) {
      expect(help).toContain('Examples:')
      expect(help).toContain('Flags:')
    }
    const evalHelp = baton(['eval', '-h'])
    expect(evalHelp.code).toBe(0)
    expect(evalHelp.stdout).toContain('--baseline')
  })

  it('prints the usage and exits 2 with no command', () => {
    const { code, stdout } = baton([])
    expect(code).toBe(2)
    expect(stdout).toContain('Usage:')
  })

  const bad: [string[], string][] = [
    [['--verbose'], 'unknown command "--verbose"; expected "run", "replay"'],
    [['Run'], 'unknown command "Run"; expected "run"'],
    [
      ['run', 'agents/trip-planner.ts', 'task', '-x'],
      'unknown flag -x for "baton run"; expected one of --json',
    ],
    [['run', 'agents/trip-planner.ts', 'task', '--record'], '--record needs a value'],
    [['run', 'agents/trip-planner.ts', 'task', '--model', '--json'], '--model needs a value'],
    [['run', 'agents/trip-planner.ts', 'a', 'b'], 'too many arguments (3); quote the task'],
    [
      ['run', 'agents/trip-planner.ts', 'task', '--max-tokens=-1'],
      '--max-tokens must be a non-negative number',
    ],
    [['run', 'agents/trip-planner.ts', '--resume', 'agents/trip-planner.ts'], 'is this a Baton transcript?'],
    [
      ['run', 'agents/trip-planner.ts', 'task', '--resume', 'x.jsonl'],
      'a resumed run takes its task from the transcript',
    ],
    [['replay', 'x.jsonl', '--fast'], 'unknown flag --fast for "baton replay"; expected one of --agent'],
    [['replay', 'x.jsonl', '--agent'], '--agent needs a value'],
    [['eval', '--mode', 'fast'], '--mode must be replay, record or live, got "fast"'],
    [['eval', '--concurrency', '0'], '--concurrency must be a whole number of 1 or more'],
    [['eval', '-q'], 'unknown flag -q for "baton eval"; expected one of --mode'],
  ]
  it.each(bad)('refuses %j with one line naming what was expected, and exit 2', (args, message) => {
    const { code, stdout, stderr } = baton(args)
    expect(code, stdout + stderr).toBe(2)
    expect(stderr).toContain(message)
    expect(stderr).toMatch(/^baton: /)
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })

  it('names the problem of an agent module that does not compile on one line, and shows the stack with --debug', () => {
    const module = join(temp, 'broken.ts')
    writeFileSync(module, 'export default {\n  nope: \n')
    const { code, stderr } = baton(['run', module, 'task'])
    expect(code).toBe(2)
    expect(stderr).toMatch(/^baton: cannot load .*broken\.ts: .*Unexpected end of file/)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    const debug = baton(['run', 'agents/nope.ts', 'task', '--debug'])
    expect(debug.code).toBe(2)
    expect(debug.stderr).toContain('    at ')
  })
})
