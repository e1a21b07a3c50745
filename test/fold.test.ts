/**
 * Results are folded from events: the result a run returns is what its transcript says, read
 * back with `transcriptResult`. The whole suite runs with BATON_CHECK_FOLD=1, so every run it
 * records checks this itself; these cases make the hard parts explicit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  defineAgent,
  defineTool,
  type RunResult,
  readTranscript,
  run,
  traceTranscript,
  transcriptResult,
} from '../src/index.js'
import { foldMismatch } from '../src/run/fold.js'
import { scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-fold-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = () => join(dir, `run-${++n}.jsonl`)

/** The result as a transcript holds it (JSON: no undefined fields). */
const plain = (result: RunResult | undefined) => JSON.parse(JSON.stringify(result))

const slowEcho = defineTool({
  name: 'echo',
  description: 'Echoes after a while',
  input: z.object({ text: z.string(), ms: z.number() }),
  run: ({ text, ms }) => new Promise((resolve) => setTimeout(() => resolve(text), ms)),
})
const pay = defineTool({
  name: 'pay',
  description: 'Pays',
  input: z.object({ eur: z.number() }),
  needsApproval: true,
  run: () => 'paid',
})
const big = defineTool({
  name: 'big',
  description: 'Returns a lot',
  input: z.object({}),
  maxResultChars: 10,
  run: (_input, ctx) => {
    ctx.memory.write('notes/big', 'written by the tool')
    return 'x'.repeat(100)
  },
})

describe('a run’s result, folded from its transcript', () => {
  it('transcriptResult and traceTranscript refuse what is not a Transcript, naming it', async () => {
    for (const [given, shown] of [
      [42, 'number 42'],
      ['runs/x.jsonl', 'the string "runs/x.jsonl"'],
      [{ header: null, events: [] }, 'object'],
    ] as const) {
      expect(() => transcriptResult(given as never)).toThrow(
        `transcriptResult: expected a Transcript (from readTranscript or parseTranscript), got ${shown}`,
      )
      await expect(traceTranscript(given as never, {} as never)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: `traceTranscript: expected a Transcript (from readTranscript or parseTranscript), got ${shown}`,
      })
    }
  })

  it('is on for the whole suite', () => {
    expect(process.env.BATON_CHECK_FOLD).toBe('1')
  })

  it('gives the trajectory in call order, sub-agents’ calls first, whatever order the calls finished in', async () => {
    const helper = defineAgent({
      name: 'helper',
      description: 'Helps',
      instructions: 'x',
      tools: [slowEcho],
      model: scriptedModel([
        { toolCalls: [{ name: 'echo', args: { text: 'h', ms: 1 } }] },
        { text: 'helped' },
      ]),
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'x',
      tools: [slowEcho, big],
      agents: [helper],
      model: scriptedModel([
        {
          toolCalls: [
            { name: 'echo', args: { text: 'slow', ms: 30 } },
            { name: 'delegate_helper', args: { task: 'help' } },
            { name: 'echo', args: { text: 'fast', ms: 0 } },
            { name: 'big', args: {} },
          ],
        },
        { text: 'done' },
      ]),
    })
    const record = file()
    const result = await run(lead, 'go', { record })
    expect(result.trajectory.map((s) => `${s.path} ${s.name}`)).toEqual([
      'root/1/agent:helper#0 echo',
      'root echo',
      'root delegate_helper',
      'root echo',
      'root big',
    ])
    expect(result.trajectory[2]!.kind).toBe('agent')
    // Memory: the tool's own write, the truncated result kept whole, the delegation's result.
    expect(result.memory.map((e) => e.key).sort()).toEqual([
      'agents/helper/0',
      'notes/big',
      'tools/big/call_1_3',
    ])
    expect(plain(transcriptResult(readTranscript(record)))).toEqual(plain({ ...result }))
  })

  it('gives the calls waiting for approval, a sub-agent’s included, in call order', async () => {
    const cashier = defineAgent({
      name: 'cashier',
      description: 'Pays',
      instructions: 'x',
      tools: [pay],
      model: scriptedModel([{ toolCalls: [{ name: 'pay', args: { eur: 2 } }] }]),
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'x',
      tools: [pay],
      agents: [cashier],
      model: scriptedModel([
        {
          toolCalls: [
            { name: 'pay', args: { eur: 1 } },
            { name: 'delegate_cashier', args: { task: 'pay two' } },
            { name: 'pay', args: { eur: 3 } },
          ],
        },
      ]),
    })
    const record = file()
    const result = await run(lead, 'go', { record })
    expect(result.status).toBe('awaiting_approval')
    expect(result.pending?.map((p) => [p.path, p.args])).toEqual([
      ['root/1/tool/call_1_0', { eur: 1 }],
      ['root/1/agent:cashier#0/1/tool/call_1_0', { eur: 2 }],
      ['root/1/tool/call_1_2', { eur: 3 }],
    ])
    expect(plain(transcriptResult(readTranscript(record)))).toEqual(plain(result))
  })

  it('is undefined for a run that did not end, and a tampered transcript does not fold to its result', async () => {
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      tools: [big],
      model: scriptedModel([{ toolCalls: [{ name: 'big', args: {} }] }, { text: 'ok' }]),
    })
    const record = file()
    const result = await run(agent, 'go', { record })
    const lines = readFileSync(record, 'utf8').trimEnd().split('\n')
    writeFileSync(record, `${lines.slice(0, -1).join('\n')}\n`)
    expect(transcriptResult(readTranscript(record))).toBeUndefined()
    writeFileSync(record, `${lines.join('\n').replace('written by the tool', 'written by someone else')}\n`)
    expect(foldMismatch(result)).toMatch(/does not fold to the run's result/)
  })
})
