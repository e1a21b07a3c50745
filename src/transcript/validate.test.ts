import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ALL_EVENT_TYPES, everyEventTranscript } from '../../test/fixtures/view-transcripts.js'
import { defineAgent } from '../agent/index.js'
import { BatonError } from '../errors/index.js'
import type { Model, ModelResponse } from '../model/types.js'
import { replay } from '../replay/index.js'
import { run } from '../run/index.js'
import { scriptedModel } from '../testing/index.js'
import { parseTranscript, readTranscript } from './reader.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-validate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const fixture = everyEventTranscript()
const lines = fixture.text.trimEnd().split('\n')

/** The transcript with line `n` (1-based) replaced, parsed; the error's message, or undefined. */
function problemWith(n: number, line: string): string | undefined {
  const edited = lines.slice()
  edited[n - 1] = line
  try {
    parseTranscript(`${edited.join('\n')}\n`, 'edited.jsonl')
    return undefined
  } catch (error) {
    expect(error).toBeInstanceOf(BatonError)
    expect((error as BatonError).code).toBe('TRANSCRIPT')
    expect((error as BatonError).details).toMatchObject({ path: 'edited.jsonl', line: n })
    return (error as BatonError).message
  }
}

// Fields an event may lack: what JSON leaves out when it is undefined, and optional fields.
const OPTIONAL = new Set([
  'task',
  'args',
  'data',
  'value',
  'output',
  'memoryKeys',
  'maxTokens',
  'status',
  'error',
  'truncated',
  'feedback',
  'score',
  'text',
  'reasoning',
  'toolCall',
  'model.route.reason',
  'model.queued.waitMs',
  'model.response.model',
  'approval.decision.by',
  'elicitation.answer.content',
])

describe('transcript lines are checked against their event type when read', () => {
  it('reads a transcript with every event type', () => {
    const transcript = parseTranscript(fixture.text, 'every.jsonl')
    expect(new Set(transcript.events.map((e) => e.type))).toEqual(new Set(ALL_EVENT_TYPES))
  })

  it('names the line and the field when a required field of any event type is missing', () => {
    let checked = 0
    lines.forEach((line, i) => {
      if (i === 0) return
      const event = JSON.parse(line) as Record<string, unknown>
      for (const field of Object.keys(event)) {
        const { [field]: _dropped, ...rest } = event
        const problem = problemWith(i + 1, JSON.stringify(rest))
        if (problem === undefined) {
          expect(
            OPTIONAL.has(field) || OPTIONAL.has(`${event.type}.${field}`),
            `${event.type}.${field} may be left out`,
          ).toBe(true)
          continue
        }
        checked++
        expect(problem).toContain(`edited.jsonl:${i + 1}: `)
        expect(problem).toContain(`"${field}" is missing`)
      }
    })
    expect(checked).toBeGreaterThan(100)
  })

  it('names the line, the event type and the nested field when a value has the wrong type', () => {
    const at = lines.findIndex((line) => line.includes('"type":"model.response"'))
    const response = JSON.parse(lines[at]!)
    response.usage.inputTokens = '1000'
    expect(problemWith(at + 1, JSON.stringify(response))).toBe(
      `edited.jsonl:${at + 1}: model.response event: "usage.inputTokens" must be a number, got "1000"`,
    )
    const call = JSON.parse(lines[at]!)
    call.message.toolCalls[1].name = 7
    expect(problemWith(at + 1, JSON.stringify(call))).toBe(
      `edited.jsonl:${at + 1}: model.response event: "message.toolCalls.1.name" must be a string, got 7`,
    )
    const end = lines.length - 1
    const runEnd = JSON.parse(lines[end]!)
    runEnd.status = 'finished'
    expect(problemWith(end + 1, JSON.stringify(runEnd))).toMatch(
      /run\.end event: "status" must be one of "done", "budget_exceeded", .*, got "finished"$/,
    )
  })

  it('checks the header', () => {
    const header = JSON.parse(lines[0]!)
    delete header.agent.name
    expect(problemWith(1, JSON.stringify(header))).toBe('edited.jsonl:1: header: "agent.name" is missing')
    const other = JSON.parse(lines[0]!)
    other.agent.agents[0].model = null
    expect(problemWith(1, JSON.stringify(other))).toBe(
      'edited.jsonl:1: header: "agent.agents.0.model" must be a string, got null',
    )
  })

  it('lets fields and event types of a newer Baton through', () => {
    const event = JSON.parse(lines[3]!)
    event.comment = 'added by a newer Baton'
    expect(problemWith(4, JSON.stringify(event))).toBeUndefined()
    expect(
      problemWith(4, JSON.stringify({ seq: event.seq, t: 0, type: 'plan.step', path: 'root', plan: 1 })),
    ).toBeUndefined()
    // Types named like what every object has are unknown types too, not a crash.
    for (const type of ['__proto__', 'constructor', 'valueOf', 'toString', 'hasOwnProperty'])
      expect(problemWith(4, JSON.stringify({ seq: event.seq, t: 0, type, path: 'root' }))).toBeUndefined()
  })

  it('holds what a custom model left out (the text, the finish reason, the token counts) as recorded', async () => {
    let calls = 0
    const sloppy: Model = {
      spec: 'baton.model.v1',
      id: 'scripted:sloppy',
      generate: async () => {
        calls++
        return (calls === 1
          ? {
              message: { role: 'assistant', toolCalls: [{ id: 'c1', name: 'nothing', args: {} }] },
              usage: {},
            }
          : { message: { role: 'assistant' }, usage: { inputTokens: 'many' } }) as unknown as ModelResponse
      },
    }
    const record = join(dir, 'sloppy.jsonl')
    const result = await run(defineAgent({ name: 'a', instructions: 'x', model: sloppy }), 'go', { record })
    expect(result).toMatchObject({ status: 'done', output: '' })
    const responses = readTranscript(record).events.filter((e) => e.type === 'model.response')
    expect(
      responses.map((e) => [e.message.content, e.finishReason, e.usage.inputTokens, e.usage.outputTokens]),
    ).toEqual([
      ['', 'tool-calls', 0, 0],
      ['', 'stop', 0, 0],
    ])
  })

  it('leaves out the cache and reasoning counts a custom model gives that are not counts, so the file replays', async () => {
    const model = (): Model => ({
      spec: 'baton.model.v1',
      id: 'scripted:odd-counts',
      generate: async () =>
        ({
          message: { role: 'assistant', content: 'hi' },
          finishReason: 'stop',
          usage: {
            inputTokens: 10,
            outputTokens: 2,
            cachedInputTokens: Number.NaN,
            reasoningTokens: -3,
            cacheWriteTokens: 'some',
          },
        }) as unknown as ModelResponse,
    })
    const record = join(dir, 'odd-counts.jsonl')
    const agent = defineAgent({ name: 'a', instructions: 'x', model: model() })
    const result = await run(agent, 'go', { record })
    expect(result.status).toBe('done')
    const [response] = readTranscript(record).events.filter((e) => e.type === 'model.response')
    expect(response!.usage).toEqual({ inputTokens: 10, outputTokens: 2 })
    expect((await replay(record, agent)).status).toBe('done')
  })

  it('makes replay() fail with the line and the field, not deep inside the replay', async () => {
    const at = lines.findIndex((line) => line.includes('"type":"model.response"'))
    const response = JSON.parse(lines[at]!)
    delete response.message
    const edited = lines.slice()
    edited[at] = JSON.stringify(response)
    const path = join(dir, 'hand-edited.jsonl')
    writeFileSync(path, `${edited.join('\n')}\n`)
    const agent = defineAgent({ name: 'lead', instructions: 'x', model: scriptedModel([]) })
    const failed = await replay(path, agent).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failed).toBeInstanceOf(BatonError)
    expect((failed as BatonError).message).toBe(
      `${path}:${at + 1}: model.response event: "message" is missing`,
    )
  })
})
