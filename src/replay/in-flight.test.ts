import { describe, expect, it } from 'vitest'
import type { ToolEffect } from '../effects/index.js'
import type { BatonEvent } from '../events/index.js'
import type { Transcript } from '../transcript/index.js'
import { Recording } from './recording.js'
import { replayPolicy } from './replay.js'
import { replayEffects } from './replay-effects.js'

/** A transcript cut off while two tool calls were under way (`pay` and `look`), and one waited for approval. */
function cutOff(): Transcript {
  const call = (id: string, name: string): BatonEvent => ({
    type: 'tool.call',
    path: `root/1/tool/${id}`,
    callId: id,
    name,
    args: {},
    seq: 0,
    t: 0,
  })
  const waiting: BatonEvent = {
    type: 'tool.result',
    path: 'root/1/tool/c3',
    callId: 'c3',
    name: 'pay',
    isError: true,
    content: 'waiting',
    error: { code: 'AWAITING_APPROVAL', message: 'waiting' },
    durationMs: 0,
    seq: 0,
    t: 0,
  }
  return {
    path: 'cut.jsonl',
    truncated: false,
    header: {
      type: 'header',
      version: 1,
      baton: 'test',
      runId: 'run_1',
      startedAt: new Date(0).toISOString(),
      task: 'Pay',
      agent: {
        name: 'payer',
        description: '',
        model: 'scripted:model',
        tools: [],
        specHash: 'x',
        agents: [],
      },
      budget: {},
    },
    events: [call('c1', 'pay'), call('c2', 'look'), call('c3', 'pay'), waiting],
  }
}

const effect = (id: string, name: string, idempotent: boolean, ran: string[]): ToolEffect => ({
  key: `root/1/tool/${id}`,
  name,
  args: {},
  idempotent,
  run: async () => {
    ran.push(id)
    return 'ran'
  },
})

describe('a tool call that was under way when its process died', () => {
  it('is reported as interrupted when the tool is not idempotent, and run again when it is', async () => {
    const policy = { ...replayPolicy('resume', {}), inFlightTools: 'report' as const }
    const effects = replayEffects(new Recording(cutOff()), policy)
    const ran: string[] = []
    const pay = await effects.tool(effect('c1', 'pay', false, ran))
    expect(pay.from).toBe('recording')
    if (pay.from !== 'recording') return
    expect(pay.result.isError).toBe(true)
    expect(pay.result.error?.code).toBe('TOOL_INTERRUPTED')
    expect(pay.result.content).toMatch(
      /^Error: the call to tool "pay" was interrupted .* may or may not have happened/,
    )
    expect(await effects.tool(effect('c2', 'look', true, ran))).toEqual({ from: 'tool', value: 'ran' })
    // A call that only waited for approval never started: it runs once approved.
    expect(await effects.tool(effect('c3', 'pay', false, ran))).toEqual({ from: 'tool', value: 'ran' })
    expect(ran).toEqual(['c2', 'c3'])
  })

  it('runs again by default (a resume of a file that was not a durable run)', async () => {
    const effects = replayEffects(new Recording(cutOff()), replayPolicy('resume', {}))
    const ran: string[] = []
    expect(await effects.tool(effect('c1', 'pay', false, ran))).toEqual({ from: 'tool', value: 'ran' })
    expect(ran).toEqual(['c1'])
  })
})
