/**
 * A run that saw secrets (in its task, in tool results, in tool arguments) is recorded redacted,
 * and that recording still replays and resumes: request hashes cover the messages as the
 * transcript holds them, and redacting a redacted message changes nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type BatonEvent,
  defineAgent,
  defineTool,
  type ModelRequest,
  readTranscript,
  replay,
  resume,
  run,
} from '../src/index.js'
import { type ScriptEntry, scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-redaction-replay-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (name: string) => join(dir, `${files++}-${name}.jsonl`)

const TASK_KEY = 'sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDf'
const AWS_ID = 'AKIAIOSFODNN7EXAMPLE'
const API_KEY = 'plain-value-0f9e8d7c'
const BEARER = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu'
const SECRETS = [TASK_KEY, AWS_ID, API_KEY, BEARER, '7394651827']

const toolResults = (request: ModelRequest) => request.messages.filter((m) => m.role === 'tool')

/** Three steps: two `lookup` calls (arguments with a numeric api_key and a bearer header), then an answer. */
function deployer(models: 'play' | 'none' = 'play', apiKey = API_KEY, region = 'eu-west-1') {
  const runs: number[] = []
  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks up the deployment settings',
    input: z.object({ n: z.number(), api_key: z.unknown().optional(), headers: z.unknown().optional() }),
    run: ({ n }, ctx) => {
      runs.push(n)
      ctx.memory.write(`settings/${n}`, { apiKey: API_KEY, region: 'eu-west-1' })
      return { n, apiKey, note: `access key id ${AWS_ID}`, region }
    },
  })
  const policy: ScriptEntry = (request) => {
    const done = toolResults(request).length
    return done < 2
      ? {
          toolCalls: [
            {
              name: 'lookup',
              args: { n: done + 1, api_key: 7394651827, headers: { authorization: `Bearer ${BEARER}` } },
              id: `l${done + 1}`,
            },
          ],
        }
      : { text: `deployed after ${done} lookups` }
  }
  const model = scriptedModel(models === 'play' ? Array.from({ length: 6 }, () => policy) : [], {
    id: 'scripted:deployer',
  })
  const agent = defineAgent({ name: 'deployer', instructions: 'Deploy.', model, tools: [lookup] })
  return { agent, model, runs }
}

const TASK = `Deploy the service with key ${TASK_KEY}`

function expectNoSecret(path: string) {
  const text = readFileSync(path, 'utf8')
  for (const secret of SECRETS) expect(text.includes(secret), `${secret} is in ${path}`).toBe(false)
  for (const line of text.trimEnd().split('\n')) JSON.parse(line)
}

/** The transcript as a crash after `cutAfter` leaves it. */
function crashed(full: string, cutAfter: (event: BatonEvent) => boolean): string {
  const lines = readFileSync(full, 'utf8').split('\n')
  const at = lines.findIndex((line, i) => i > 0 && cutAfter(JSON.parse(line) as BatonEvent))
  expect(at).toBeGreaterThan(0)
  const path = file('crashed')
  writeFileSync(path, `${lines.slice(0, at + 1).join('\n')}\n`)
  return path
}

describe('a run that saw secrets', () => {
  it('is recorded without them, and a strict replay ends as the run did, calling no model', async () => {
    const record = file('deploy')
    const original = await run(deployer().agent, TASK, { record })
    expect(original.status).toBe('done')
    expect(original.output).toBe('deployed after 2 lookups')
    expectNoSecret(record)
    expect(readTranscript(record).header.task).toBe('Deploy the service with key sk-[redacted]')

    const again = deployer('none')
    const replayed = await replay(record, again.agent, { strict: true })
    expect(replayed.divergences).toEqual([])
    expect({ status: replayed.status, output: replayed.output }).toEqual({
      status: original.status,
      output: original.output,
    })
    expect(again.runs).toEqual([])
    expect(replayed.live).toEqual({ model: 0, tool: 0 })
  })

  it.each([
    [
      'after its first tool result',
      (e: BatonEvent) => e.type === 'tool.result' && e.path === 'root/1/tool/l1',
    ],
    [
      'while its second model call was in flight',
      (e: BatonEvent) => e.type === 'model.request' && e.path === 'root/2/model',
    ],
    [
      'after its second model answer',
      (e: BatonEvent) => e.type === 'model.response' && e.path === 'root/2/model',
    ],
  ])('resumes after a crash %s, and the resumed transcript replays too', async (_, cutAfter) => {
    const full = file('full')
    const original = await run(deployer().agent, TASK, { record: full })
    const path = crashed(full, cutAfter)
    const paid = readTranscript(path).events.filter((e) => e.type === 'model.response').length

    const again = deployer()
    const resumed = await resume(path, again.agent)
    expect(resumed.divergences).toEqual([])
    expect({ status: resumed.status, output: resumed.output }).toEqual({
      status: original.status,
      output: original.output,
    })
    expect(again.model.requests).toHaveLength(3 - paid)
    // What the model is shown after a resume is what the transcript holds: the redacted text.
    const seen = JSON.stringify(again.model.requests[0]!.messages)
    expect(seen).toContain('sk-[redacted]')
    expect(seen).not.toContain(TASK_KEY)
    expectNoSecret(path)

    const replayed = await replay(path, deployer('none').agent)
    expect(replayed.divergences).toEqual([])
    expect(replayed.status).toBe('done')
    expect(replayed.output).toBe(original.output)
  })

  it('a replay whose tool really answers differently still diverges, and its message shows no secret', async () => {
    const record = file('differs')
    await run(deployer().agent, TASK, { record })
    const other = 'other-value-5a4b3c2d'
    const diverged = await replay(record, deployer('none', other, 'us-east-1').agent, { liveTools: true })
    expect(diverged.status).toBe('error')
    expect(diverged.stopReason).toBe('REPLAY_DIVERGENCE')
    expect(diverged.error!.message).toContain('root/2/model')
    expect(diverged.error!.message).toContain('us-east-1')
    for (const secret of [...SECRETS, other]) expect(diverged.error!.message).not.toContain(secret)
  })
})
