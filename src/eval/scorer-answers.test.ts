import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Model, ModelRequest, ModelResponse } from '../model/types.js'
import { type ScorerAnswersFile, scorerAnswers } from './scorer-answers.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-scorer-answers-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const KEY = 'sk-proj-Z9y8X7w6V5u4T3s2R1q0PoNm'

const judgeRequest = (answer: string): ModelRequest => ({
  messages: [{ role: 'user', content: `Rubric: names no secret\n\nAnswer to grade:\n${answer}` }],
  tools: [],
})

const verdict: ModelResponse = {
  message: { role: 'assistant', content: '{"pass":false,"score":0,"reason":"it prints a key"}' },
  usage: { inputTokens: 30, outputTokens: 12 },
  finishReason: 'stop',
}

const answering = (response: ModelResponse): Model & { calls: number } => ({
  spec: 'baton.model.v1',
  id: 'openai:gpt-4o-mini',
  calls: 0,
  async generate() {
    this.calls++
    return response
  },
})

describe('scorer answers', () => {
  it('records a request that held a secret redacted, and finds it again from the redacted output a replay gives', async () => {
    const file = join(dir, 'secret.scores.json')
    const recording = scorerAnswers('record', file)
    const model = answering(verdict)
    // The live run's output held the key; the judge saw it.
    expect(await recording.generate(model, judgeRequest(`Use ${KEY} to deploy`))).toEqual(verdict)
    recording.save()

    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(KEY)
    expect(text).toContain('sk-[redacted]')

    // A replay runs from the redacted cassette, so the judge is asked about the redacted output.
    const replaying = scorerAnswers('replay', file)
    const redactedOutput = judgeRequest('Use sk-[redacted] to deploy')
    expect(await replaying.generate('openai:gpt-4o-mini', redactedOutput)).toEqual(verdict)
    expect(model.calls).toBe(1)
  })

  it('refuses a hand-edited answer that is not a model response, naming the file and the answer', async () => {
    const file = join(dir, 'edited.scores.json')
    const recording = scorerAnswers('record', file)
    await recording.generate(answering(verdict), judgeRequest('42'))
    recording.save()
    const saved = JSON.parse(readFileSync(file, 'utf8')) as ScorerAnswersFile
    const [key] = Object.keys(saved.answers)
    for (const [response, problem] of [
      [null, '.response must be a model response object, got null'],
      [{ usage: {} }, '.response.message must be the assistant message object, got undefined'],
    ] as const) {
      saved.answers[key!]!.response = response as never
      writeFileSync(file, JSON.stringify(saved))
      await expect(
        scorerAnswers('replay', file).generate('openai:gpt-4o-mini', judgeRequest('42')),
      ).rejects.toMatchObject({
        code: 'TRANSCRIPT',
        message: `${file}: answers["${key}"]${problem}; record it with \`baton eval --mode record\``,
      })
    }
  })

  it('rejects with the abort reason when the eval is aborted, even if the model ignores its signal', async () => {
    const controller = new AbortController()
    const deaf: Model = {
      spec: 'baton.model.v1',
      id: 'openai:gpt-4o-mini',
      generate: () => new Promise<ModelResponse>(() => {}),
    }
    const answers = scorerAnswers('live', join(dir, 'deaf.scores.json'), controller.signal)
    const pending = answers.generate(deaf, judgeRequest('42'))
    const reason = new Error('eval aborted')
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
  })
})
