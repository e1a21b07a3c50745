/**
 * The contract every `Effects` implementation meets (live, replay, resume, fork; a durable one
 * later): the versioned spec, the clock and ids, and for each kind of effect (a model call, a
 * tool call, a decision) either doing it for real or answering as the recording says, never a
 * mix. Each implementation is given a recording of one run that did a bit of everything.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { ModelEffect, ToolAnswer } from '../../src/effects/index.js'
import type { ModelRequestEvent, ModelResponseEvent } from '../../src/events/index.js'
import {
  BatonError,
  defineAgent,
  defineTool,
  type Effects,
  type Model,
  readTranscript,
  run,
  type Transcript,
} from '../../src/index.js'
import { scriptedModel } from '../../src/testing/index.js'

export interface EffectsContractSubject {
  name: string
  /** Effects for a run again of `recording` (a live implementation ignores it). */
  make(recording: Transcript): Effects
  /** Recorded steps are answered from the recording (true), or done for real (false). */
  answersFromRecording: boolean
  /** What a step the recording does not hold does: done for real, or an error. */
  onMissing: 'live' | 'error'
}

/** The recorded run: a note that writes memory, a delegation, an approved payment, an answer. */
async function recordRun(file: string): Promise<Transcript> {
  const note = defineTool({
    name: 'note',
    description: 'Notes a fact',
    input: z.object({ fact: z.string() }),
    run: ({ fact }, ctx) => {
      ctx.memory.write('notes/last', fact)
      return `noted: ${fact}`
    },
  })
  const pay = defineTool({
    name: 'pay',
    description: 'Pays',
    input: z.object({ eur: z.number() }),
    needsApproval: true,
    run: ({ eur }) => `paid ${eur}`,
  })
  const helper = defineAgent({
    name: 'helper',
    description: 'Helps',
    instructions: 'Help.',
    model: scriptedModel([{ text: 'helped' }], { id: 'scripted:helper' }),
  })
  const lead = defineAgent({
    name: 'lead',
    instructions: 'Lead.',
    tools: [note, pay],
    agents: [helper],
    model: scriptedModel(
      [
        {
          text: 'Working on it.',
          toolCalls: [
            { name: 'note', args: { fact: 'Lisbon is older than Rome' } },
            { name: 'delegate_helper', args: { task: 'help out' } },
            { name: 'pay', args: { eur: 12 } },
          ],
        },
        { text: 'All done.' },
      ],
      { id: 'scripted:lead' },
    ),
  })
  const result = await run(lead, 'Do it', { record: file, approve: () => true })
  expect(result.status).toBe('done')
  return readTranscript(file)
}

/** A model that counts its calls and answers `text` (streaming it word by word when asked). */
function countingModel(id: string, text: string): Model & { calls: number } {
  const response = {
    message: { role: 'assistant' as const, content: text },
    usage: { inputTokens: 1, outputTokens: 1 },
    finishReason: 'stop' as const,
  }
  return {
    spec: 'baton.model.v1',
    id,
    calls: 0,
    async generate() {
      this.calls++
      return response
    },
  }
}

/** The model effect of a recorded call, as the loop would build it again. */
function modelEffectOf(recording: Transcript, key: string, model: Model): ModelEffect {
  const request = recording.events.find(
    (e): e is ModelRequestEvent => e.type === 'model.request' && e.path === key,
  )!
  return {
    key,
    model,
    request: { messages: request.messages, tools: [] },
    options: {},
    fresh: request.messages,
    hash: request.hash,
    specHash: request.specHash,
  }
}

export function effectsContract(subject: EffectsContractSubject): void {
  describe(`Effects contract: ${subject.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-effects-contract-'))
    let recording: Transcript
    beforeAll(async () => {
      recording = await recordRun(join(dir, 'run.jsonl'))
    })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    const recordedText = (key: string) =>
      recording.events.find((e): e is ModelResponseEvent => e.type === 'model.response' && e.path === key)!
        .message.content
    const toolKeys = () => {
      const calls = recording.events.filter((e) => e.type === 'tool.call')
      const keyOf = (name: string) => calls.find((e) => e.type === 'tool.call' && e.name === name)!.path
      return { note: keyOf('note'), delegate: keyOf('delegate_helper'), pay: keyOf('pay') }
    }

    it('declares the versioned spec, a clock and fresh ids', () => {
      const effects = subject.make(recording)
      expect(effects.spec).toBe('baton.effects.v3')
      expect(typeof effects.clock.now()).toBe('number')
      const [a, b] = [effects.id('run'), effects.id('run')]
      expect(a.startsWith('run')).toBe(true)
      expect(a).not.toBe(b)
    })

    it('answers a recorded model call from the recording, or calls the model', async () => {
      const model = countingModel('scripted:lead', 'a live answer')
      const response = await subject.make(recording).model(modelEffectOf(recording, 'root/2/model', model))
      if (subject.answersFromRecording) {
        expect(response.message.content).toBe(recordedText('root/2/model'))
        expect(model.calls).toBe(0)
      } else {
        expect(response.message.content).toBe('a live answer')
        expect(model.calls).toBe(1)
      }
    })

    it('hands over the answer as deltas when asked, whichever way it came', async () => {
      const model = countingModel('scripted:lead', 'a live answer')
      const effect = modelEffectOf(recording, 'root/2/model', model)
      let text = ''
      effect.onDelta = (delta) => {
        if (delta.type === 'text-delta') text += delta.text
      }
      const response = await subject.make(recording).model(effect)
      expect(text).toBe(response.message.content)
    })

    it('answers a recorded tool call with its result and memory writes as data, or runs the tool', async () => {
      let runs = 0
      const answer: ToolAnswer = await subject.make(recording).tool({
        key: toolKeys().note,
        name: 'note',
        args: { fact: 'Lisbon is older than Rome' },
        run: async () => {
          runs++
          return 'ran again'
        },
      })
      if (subject.answersFromRecording) {
        expect(runs).toBe(0)
        expect(answer).toEqual({
          from: 'recording',
          result: { isError: false, content: 'noted: Lisbon is older than Rome' },
          memoryWrites: [{ key: 'notes/last', value: 'Lisbon is older than Rome' }],
        })
      } else {
        expect(runs).toBe(1)
        expect(answer).toEqual({ from: 'tool', value: 'ran again' })
      }
    })

    it('runs a tool call the recording does not hold, or says the recording has none', async () => {
      let runs = 0
      const effect = {
        key: 'root/7/tool/call_unknown',
        name: 'note',
        args: {},
        run: async () => {
          runs++
          return 'ran'
        },
      }
      const effects = subject.make(recording)
      if (subject.onMissing === 'live') {
        expect(await effects.tool(effect)).toEqual({ from: 'tool', value: 'ran' })
        expect(runs).toBe(1)
      } else {
        const failed = await effects.tool(effect).then(
          () => undefined,
          (error: unknown) => error,
        )
        expect(failed).toBeInstanceOf(BatonError)
        expect((failed as BatonError).code).toBe('REPLAY_MISSING')
        expect(runs).toBe(0)
      }
    })

    it('makes the recorded decisions as recorded (delegation key, approval), or decides now', async () => {
      const effects = subject.make(recording)
      const { delegate, pay } = toolKeys()
      let asked = 0
      const key = await effects.decision('delegation-key', delegate, () => {
        asked++
        return 'agents/helper/99'
      })
      const approved = await effects.decision('approval', pay, async () => {
        asked++
        return false
      })
      if (subject.answersFromRecording) {
        // An approval comes back as recorded: approved, and who decided and when when the recording says.
        expect([key, approved, asked]).toEqual([
          'agents/helper/0',
          expect.objectContaining({ approved: true }),
          0,
        ])
      } else {
        expect([key, approved, asked]).toEqual(['agents/helper/99', false, 2])
      }
      // A decision the recording does not hold is made now, by every implementation.
      expect(await effects.decision('approval', 'root/9/tool/call_new', () => 'decided now')).toBe(
        'decided now',
      )
    })
  })
}
