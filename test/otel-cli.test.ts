/**
 * The CLI's traces, through the built CLI as a user runs it, to an OTLP/HTTP receiver on
 * 127.0.0.1: `baton run --otel` (the offline research lead), then `baton export-otel` of the
 * transcript it left giving the same tree; the mistakes (not a transcript, an endpoint that does
 * not answer, --otel with --database) each said in one line with their exit code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type OtlpReceiver, otlpReceiver, type ReceivedSpan } from './otel-receiver.js'
import { runNode } from './processes.js'

const root = new URL('..', import.meta.url).pathname
const temp = mkdtempSync(join(tmpdir(), 'baton-otel-cli-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await otlpReceiver()
})
afterEach(() => receiver.close())

/** The built CLI, run without blocking (the receiver answers in this process). */
const baton = (args: string[], env: Record<string, string> = {}) =>
  runNode('dist/cli/main.js', args, {
    cwd: root,
    env: { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', ...env },
    timeoutMs: 90_000,
  })

/** Each span's step key, name and its parent's step key, sorted. */
function shape(spans: readonly ReceivedSpan[]) {
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  return spans
    .map((span) => [
      span.attributes['baton.step_key'],
      span.name,
      span.parentSpanId ? byId.get(span.parentSpanId)?.attributes['baton.step_key'] : null,
    ])
    .sort()
}

describe('baton run --otel and baton export-otel', () => {
  it('send the offline research lead as a trace, and its transcript later as the same tree', async () => {
    const record = join(temp, 'lead.jsonl')
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'cli-test' }
    const ran = await baton(
      [
        'run',
        'agents/research-lead.ts',
        'How much bigger is Lisbon than Porto?',
        '--otel',
        '--record',
        record,
      ],
      env,
    )
    expect(ran.code, ran.stderr).toBe(0)
    const live = [...receiver.spans]
    expect(ran.stderr).toContain(`trace: ${live.length} spans sent to otlp ${receiver.url}/v1/traces`)
    expect(new Set(live.map((span) => span.traceId)).size).toBe(1)
    expect(live.every((span) => span.resource['service.name'] === 'cli-test')).toBe(true)
    const names = live.map((span) => span.name)
    expect(names).toContain('invoke_agent research-lead')
    expect(names).toContain('invoke_agent researcher')
    expect(names).toContain('invoke_agent analyst')
    expect(names.filter((name) => name.startsWith('chat '))).toHaveLength(11)
    const runId = live.find((span) => span.name === 'invoke_agent research-lead')!.attributes[
      'gen_ai.conversation.id'
    ]

    receiver.spans.length = 0
    const sent = await baton(['export-otel', record], env)
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toContain(`run ${runId} (research-lead, done)`)
    expect(sent.stderr).toContain(`trace: ${live.length} spans sent to`)
    const after = receiver.spans
    expect(after[0]!.traceId).not.toBe(live[0]!.traceId)
    expect(shape(after)).toEqual(shape(live))
    // No contents unless asked; with --content, prompts and answers are on the chat spans.
    expect(
      after.some((span) => 'gen_ai.input.messages' in span.attributes && span.name.startsWith('chat')),
    ).toBe(false)
    receiver.spans.length = 0
    expect((await baton(['export-otel', record, '--content'], env)).code).toBe(0)
    const chat = receiver.spans.find((span) => span.attributes['baton.step_key'] === 'root/1/model')!
    const [first] = JSON.parse(chat.attributes['gen_ai.input.messages'] as string)
    expect(first).toEqual({
      role: 'user',
      parts: [{ type: 'text', content: expect.stringContaining('Lisbon') }],
    })
    expect(JSON.parse(chat.attributes['gen_ai.output.messages'] as string)[0].role).toBe('assistant')
  })

  it('says in one line what is wrong: not a transcript (2), an endpoint that does not answer (1), --otel with --database (2)', async () => {
    const notTranscript = join(temp, 'notes.jsonl')
    writeFileSync(notTranscript, 'hello\n')
    const bad = await baton(['export-otel', notTranscript], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('notes.jsonl')
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(receiver.spans).toHaveLength(0)

    const record = join(temp, 'for-nobody.jsonl')
    expect((await baton(['run', 'agents/research-lead.ts', 'x', '--record', record])).code).toBe(0)
    const gone = receiver.url
    await receiver.close()
    const unanswered = await baton(['export-otel', record], {
      OTEL_EXPORTER_OTLP_ENDPOINT: gone,
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    })
    expect(unanswered.code).toBe(1)
    expect(unanswered.stderr).toMatch(
      /trace: \d+ spans could not be sent to otlp http:\/\/127\.0\.0\.1:\d+\/v1\/traces: /,
    )
    receiver = await otlpReceiver()

    const durable = await baton([
      'run',
      'agents/research-lead.ts',
      'x',
      '--otel',
      '--database',
      'postgresql://x',
    ])
    expect(durable.code).toBe(2)
    expect(durable.stderr).toContain('--otel does not go with --database')
  })
})
