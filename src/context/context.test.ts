import { describe, expect, it } from 'vitest'
import type { AssistantMessage, Message } from '../model/types.js'
import {
  ContextMeter,
  DEFAULT_CONTEXT_WINDOWS,
  historyProblem,
  isStub,
  recentFrom,
  stubResults,
  summaryMessage,
  summaryRequest,
  windowIn,
  windowsProblem,
} from './index.js'

const head: Message[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Read the pages.' },
]
const thinking: AssistantMessage = {
  role: 'assistant',
  content: '',
  toolCalls: [{ id: 't1', name: 'read', args: { n: 1 } }],
  reasoning: [{ text: 'I should read page 1.', provider: 'anthropic', data: { signature: 'sig-1' } }],
}

/** Turns of one call and its long result each. */
function history(turns: number, chars = 1_000): Message[] {
  const out: Message[] = [...head]
  for (let i = 0; i < turns; i++) {
    out.push({ role: 'assistant', content: '', toolCalls: [{ id: `c${i}`, name: 'read', args: { n: i } }] })
    out.push({ role: 'tool', toolCallId: `c${i}`, toolName: 'read', content: `${i}:${'x'.repeat(chars)}` })
  }
  return out
}

describe('the recent turns', () => {
  it('begin at the assistant message of the k-th turn from the end, never inside the head', () => {
    const h = history(4)
    expect(recentFrom(h, 1)).toBe(8)
    expect(recentFrom(h, 3)).toBe(4)
    expect(recentFrom(h, 4)).toBe(2)
    expect(recentFrom(h, 9)).toBe(2)
    expect(recentFrom(h, 0)).toBe(h.length)
    expect(recentFrom(head, 2)).toBe(2)
  })
})

describe('tier 1: stubs', () => {
  it('replaces long results before the recent turns, keeping their ids, and nothing else', () => {
    const h = history(4)
    h[2] = thinking
    h[3] = { role: 'tool', toolCallId: 't1', toolName: 'read', content: 'y'.repeat(900), isError: true }
    const { messages, stubbed } = stubResults(h, recentFrom(h, 1), 500, (r) => `context/root/${r.toolCallId}`)
    expect(stubbed.map((s) => s.key)).toEqual(['context/root/t1', 'context/root/c1', 'context/root/c2'])
    expect(stubbed[0]!.content).toBe('y'.repeat(900))
    // The assistant messages (reasoning and all) are the same objects; the last turn is untouched.
    expect(messages[2]).toBe(thinking)
    expect(messages.slice(8)).toEqual(h.slice(8))
    expect(messages[3]).toEqual({
      role: 'tool',
      toolCallId: 't1',
      toolName: 'read',
      isError: true,
      content: expect.stringMatching(/^\[compacted: the 900-character error of read .*"context\/root\/t1"/),
    })
    expect(isStub(messages[5]!.content)).toBe(true)
    // Stubs are not stubbed again, and short results stay.
    const again = stubResults(messages, 8, 10, (r) => r.toolCallId)
    expect(again.stubbed).toEqual([])
    expect(again.messages).toBe(messages)
    expect(stubResults(history(3, 100), 6, 500, () => 'k').stubbed).toEqual([])
  })
})

describe('tier 1: stub keys and stub marks', () => {
  const repeated = (): Message[] => [
    ...head,
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'read', args: { n: 0 } }] },
    { role: 'tool', toolCallId: 'call_0', toolName: 'read', content: `0:${'x'.repeat(900)}` },
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'read', args: { n: 1 } }] },
    { role: 'tool', toolCallId: 'call_0', toolName: 'read', content: `1:${'x'.repeat(900)}` },
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'read', args: { n: 2 } }] },
    { role: 'tool', toolCallId: 'call_0', toolName: 'read', content: `2:${'x'.repeat(900)}` },
  ]
  const keyOf = (r: { toolCallId: string }) => `context/root/${r.toolCallId}`

  it('gives each result its own key when a provider repeats call ids across steps', () => {
    const h = repeated()
    const first = stubResults(h, 6, 500, keyOf)
    expect(first.stubbed.map((s) => [s.key, s.content.slice(0, 2)])).toEqual([
      ['context/root/call_0', '0:'],
      ['context/root/call_0-2', '1:'],
    ])
    // A later compaction does not reuse a key a stub in the history already names…
    const second = stubResults(first.messages, 8, 500, keyOf)
    expect(second.stubbed.map((s) => [s.key, s.content.slice(0, 2)])).toEqual([
      ['context/root/call_0-3', '2:'],
    ])
    expect(second.messages[7]!.content).toContain('"context/root/call_0-3"')
    // …nor one that memory already holds.
    const taken = new Set(['context/root/call_0', 'context/root/call_0-2'])
    const third = stubResults(h, 4, 500, keyOf, (key) => taken.has(key))
    expect(third.stubbed.map((s) => s.key)).toEqual(['context/root/call_0-3'])
  })

  it('compacts a result that only begins like a stub, and knows its own stubs', () => {
    const h = history(3, 900)
    h[3] = { role: 'tool', toolCallId: 'c0', toolName: 'read', content: `[compacted: ${'y'.repeat(2_000)}` }
    const { messages, stubbed } = stubResults(h, 6, 500, keyOf)
    expect(stubbed.map((s) => s.toolCallId)).toEqual(['c0', 'c1'])
    expect(isStub(messages[3]!.content)).toBe(true)
    expect(isStub(h[3]!.content)).toBe(false)
    expect(isStub(`${messages[3]!.content} and more`)).toBe(false)
  })
})

describe('tier 2: the summary request', () => {
  it('reads the older turns as text, cut per message, with the instructions as its system message', () => {
    const older = [
      summaryMessage('Earlier: pages 0 to 3 read.'),
      thinking,
      { role: 'tool', toolCallId: 't1', toolName: 'read', content: 'z'.repeat(5_000) },
    ] as Message[]
    const request = summaryRequest(older, 'Summarise.', 256)
    expect(request.tools).toEqual([])
    expect(request.maxTokens).toBe(256)
    expect(request.messages[0]).toEqual({ role: 'system', content: 'Summarise.' })
    const text = request.messages[1]!.content
    expect(text).toContain(
      'Earlier summary: [Summary of the earlier steps, written to save context]\nEarlier: pages 0 to 3 read.',
    )
    expect(text).toContain('Agent called read (t1) with {"n":1}')
    expect(text).toContain(`Result of read (t1): ${'z'.repeat(4_000)} […1000 more characters]`)
  })

  it('never cuts a character of two UTF-16 units (an emoji) in half', () => {
    const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
    for (const content of [`a${'😀'.repeat(3_000)}`, '😀'.repeat(3_000)]) {
      const older: Message[] = [{ role: 'tool', toolCallId: 't', toolName: 'read', content }]
      const text = summaryRequest(older, 'Summarise.', 256).messages[1]!.content
      expect(lone.test(text)).toBe(false)
      const kept = text.slice(text.indexOf(': ') + 2, text.indexOf(' […'))
      const more = Number(/\[…(\d+) more characters\]/.exec(text)![1])
      expect(kept.length).toBeLessThanOrEqual(4_000)
      expect(kept.length + more).toBe(content.length)
    }
  })
})

describe('a history a policy returns', () => {
  const h = history(3)
  it('passes when it keeps the head and drops whole turns', () => {
    expect(historyProblem(h, [...h.slice(0, 2), ...h.slice(6)])).toBeUndefined()
    expect(historyProblem(h, [...h.slice(0, 2), summaryMessage('s'), ...h.slice(4)])).toBeUndefined()
  })
  it('names the rule it breaks', () => {
    expect(historyProblem(h, h.slice(1))).toMatch(/message 0 \(the instructions\) was changed/)
    expect(historyProblem(h, [h[0], { role: 'user', content: 'other' }, ...h.slice(2)])).toMatch(/the brief/)
    expect(historyProblem(h, [...h.slice(0, 2), ...h.slice(3)])).toMatch(/result of c0 does not follow/)
    expect(historyProblem(h, [...h.slice(0, 3), ...h.slice(4)])).toMatch(
      /the calls c0 before it have no results/,
    )
    expect(historyProblem(h, h.slice(0, 7))).toMatch(/the calls c2 of the last turn have no results/)
    expect(historyProblem(h, [...h.slice(0, 4), h[3], ...h.slice(4)])).toMatch(/c0 is answered twice/)
    expect(historyProblem(h, [...h.slice(0, 3), { role: 'user', content: 'hi' }, ...h.slice(3)])).toMatch(
      /a user message comes between the calls c0 and their results/,
    )
    expect(historyProblem(h, 'no' as unknown as Message[])).toMatch(/not an array/)
    expect(historyProblem(h, [...h, { role: 'system', content: 'late' }])).toMatch(
      /not a user, assistant or tool message/,
    )
  })
  it('takes call ids used again in a later turn, as some providers send them', () => {
    const again: Message[] = [
      ...head,
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'read', args: {} }] },
      { role: 'tool', toolCallId: 'call_0', toolName: 'read', content: 'one' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'read', args: {} }] },
      { role: 'tool', toolCallId: 'call_0', toolName: 'read', content: 'two' },
    ]
    expect(historyProblem(again, again)).toBeUndefined()
    expect(historyProblem(again, [...again, again[5]])).toMatch(/message 6: call_0 is answered twice/)
  })
  it('names a message whose shape a model or a transcript would not take, without throwing', () => {
    const turn = h[2] as AssistantMessage
    const bad: [unknown, RegExp][] = [
      [null, /message 2 is null, not a message/],
      ['text', /message 2 is string, not a message/],
      [{ ...turn, toolCalls: 'read' }, /message 2 has toolCalls that are not an array/],
      [
        { ...turn, toolCalls: [null] },
        /message 2 has a tool call \(toolCalls\[0\]\) without an id and a name/,
      ],
      [{ ...turn, toolCalls: [{ id: 'c0' }] }, /toolCalls\[0\]\) without an id and a name/],
      [{ ...turn, reasoning: [{}] }, /message 2 has a reasoning part without text/],
    ]
    for (const [message, problem] of bad)
      expect(historyProblem(h, [...h.slice(0, 2), message, ...h.slice(3)])).toMatch(problem)
    const result = h[3] as Message & { role: 'tool' }
    const { toolName: _, ...nameless } = result
    expect(historyProblem(h, [...h.slice(0, 3), nameless, ...h.slice(4)])).toMatch(
      /message 3 is a tool result without a toolName string/,
    )
    expect(historyProblem(h, [...h.slice(0, 3), { ...result, toolName: 'write' }, ...h.slice(4)])).toMatch(
      /message 3: the result of c0 names the tool "write", but the call was to "read"/,
    )
    expect(historyProblem(h, [...h.slice(0, 3), { ...result, isError: 'yes' }, ...h.slice(4)])).toMatch(
      /isError is not true or false/,
    )
  })
})

describe('windows', () => {
  it('finds exact and dated ids, and refuses bad tables', () => {
    expect(windowIn('openai:gpt-4o', DEFAULT_CONTEXT_WINDOWS)).toBe(128_000)
    expect(windowIn('openai:gpt-4o-2024-08-06', DEFAULT_CONTEXT_WINDOWS)).toBe(128_000)
    expect(windowIn('openai:gpt-4o-mini-2024-07-18', DEFAULT_CONTEXT_WINDOWS)).toBe(128_000)
    expect(windowIn('anthropic:claude-sonnet-4-5-20250929', DEFAULT_CONTEXT_WINDOWS)).toBe(200_000)
    expect(windowIn('openai:gpt-4oops', DEFAULT_CONTEXT_WINDOWS)).toBeUndefined()
    expect(windowIn('compatible:llama3.1', { 'compatible:llama3.1': 32_768 })).toBe(32_768)
    expect(windowsProblem({ a: 10 })).toBeUndefined()
    expect(windowsProblem({ a: 0 })).toBe('["a"] must be a positive whole number of tokens, got 0')
    expect(windowsProblem([])).toMatch(/must be an object/)
  })
  it('takes only the table’s own entries, and shows a bad value as it was given', () => {
    expect(windowIn('constructor', DEFAULT_CONTEXT_WINDOWS)).toBeUndefined()
    expect(windowIn('toString', { 'compatible:a': 10 })).toBeUndefined()
    expect(windowsProblem({ a: Number.NaN })).toBe('["a"] must be a positive whole number of tokens, got NaN')
    expect(windowsProblem({ a: Number.POSITIVE_INFINITY })).toMatch(/got Infinity$/)
    expect(windowsProblem({ a: 10n })).toMatch(/got 10n$/)
  })
})

describe('the estimate', () => {
  it('starts at 4 characters a token, then follows what the provider counted', () => {
    const meter = new ContextMeter(400)
    expect(meter.estimate(3_600)).toBe(1_000)
    meter.sending(3_600)
    meter.calibrate(2_000) // this provider counts 2 characters a token
    expect(meter.estimate(7_600)).toBe(4_000)
    meter.calibrate(0) // a model that reports nothing changes nothing
    expect(meter.estimate(7_600)).toBe(4_000)
  })
  it('after a refusal for length, counts the refused request as over the window', () => {
    const meter = new ContextMeter(0)
    meter.sending(10_000)
    meter.overflowed(3_000)
    expect(meter.estimate(10_000)).toBeGreaterThan(3_000)
    const unknown = new ContextMeter(0)
    unknown.sending(10_000)
    unknown.overflowed(undefined)
    expect(unknown.estimate(10_000)).toBeGreaterThan(2_500)
  })
})
