/**
 * A run's events as trace spans (the OpenTelemetry GenAI conventions): the tree of the research
 * lead's recorded run from its step keys, names, kinds, parents and attributes; failures as
 * error status with `error.type`; and spans built event by event while a run streams, the same
 * as those of its transcript.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  defineAgent,
  defineTool,
  parseTranscript,
  readTranscript,
  run,
  setupTracing,
  stream,
  traceTranscript,
} from '../src/index.js'
import { SpanBuilder, spansOf } from '../src/otel/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { everyEventTranscript } from './fixtures/view-transcripts.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-otel-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A lead that delegates to a helper (which looks something up), and may look up itself at once. */
function delegatingLead({ alsoLooksUp }: { alsoLooksUp: boolean }) {
  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks up',
    input: z.object({ q: z.string() }),
    run: ({ q }) => `found ${q}`,
  })
  const helper = defineAgent({
    name: 'helper',
    description: 'Helps',
    instructions: 'Help.',
    model: scriptedModel([{ toolCalls: [{ name: 'lookup', args: { q: 'a' } }] }, { text: 'helped' }]),
    tools: [lookup],
  })
  const calls: { name: string; args: object }[] = [{ name: 'delegate_helper', args: { task: 'help' } }]
  if (alsoLooksUp) calls.push({ name: 'lookup', args: { q: 'b' } })
  return defineAgent({
    name: 'lead',
    instructions: 'Lead.',
    model: scriptedModel([{ toolCalls: calls }, { text: 'done' }]),
    tools: [lookup],
    agents: [helper],
  })
}

describe('spans of a run', () => {
  it('make the research lead’s tree: each agent, model call and tool call under the span that caused it', () => {
    const transcript = readTranscript('agents/recordings/research-lead.jsonl')
    const spans = spansOf(transcript.events, transcript.header.runId)
    const byKey = new Map(spans.map((span) => [span.key, span]))
    const root = byKey.get('root')!
    expect(root).toMatchObject({ name: 'invoke_agent research-lead', kind: 'internal', parent: undefined })
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'research-lead',
      'gen_ai.conversation.id': transcript.header.runId,
      'baton.status': 'done',
    })
    const researcher = byKey.get('root/1/agent:researcher#0')!
    // A sub-agent sits under the delegation that started it, which sits under the lead.
    expect(researcher).toMatchObject({ name: 'invoke_agent researcher', parent: 'root/1/tool/call_1_0' })
    expect(byKey.get('root/1/tool/call_1_0')).toMatchObject({
      name: 'execute_tool delegate_researcher',
      parent: 'root',
    })
    const call = byKey.get('root/1/agent:researcher#0/1/model')!
    expect(call).toMatchObject({
      name: 'chat offline-demo',
      kind: 'client',
      parent: 'root/1/agent:researcher#0',
    })
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'scripted',
      'gen_ai.request.model': 'offline-demo',
      'gen_ai.response.finish_reasons': ['tool_call'],
      'baton.step_key': 'root/1/agent:researcher#0/1/model',
    })
    expect(typeof call.attributes['gen_ai.usage.input_tokens']).toBe('number')
    const tool = byKey.get('root/1/agent:researcher#0/1/tool/call_2_0')!
    expect(tool.parent).toBe('root/1/agent:researcher#0')
    expect(tool.name).toMatch(/^execute_tool /)
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.call.id': 'call_2_0',
    })
    // Every span is closed, inside its parent's time, and has one parent that exists.
    for (const span of spans) {
      expect(span.end, span.key).toBeGreaterThanOrEqual(span.start)
      if (span.parent === undefined) continue
      const parent = byKey.get(span.parent)!
      expect(parent, span.key).toBeDefined()
      expect(span.start).toBeGreaterThanOrEqual(parent.start)
      expect(span.end!).toBeLessThanOrEqual(parent.end!)
    }
    const models = transcript.events.filter((e) => e.type === 'model.request').length
    const tools = transcript.events.filter((e) => e.type === 'tool.call').length
    const agents = transcript.events.filter((e) => e.type === 'agent.start').length
    expect(spans).toHaveLength(models + tools + agents)
  })

  it('mark failures: error status and error.type on the call, the tool and the agent that failed', () => {
    const fixture = everyEventTranscript()
    const transcript = parseTranscript(fixture.text, 'every.jsonl')
    const spans = spansOf(transcript.events, transcript.header.runId)
    const failed = spans.filter((span) => span.status.code === 'error')
    const researcher = spans.find((span) => span.name === 'invoke_agent researcher')!
    expect(researcher.status).toEqual({ code: 'error', message: expect.any(String) })
    expect(researcher.attributes['error.type']).toBe('MODEL_ERROR')
    const call = spans.find((span) => span.key.endsWith('agent:researcher#0/2/model'))!
    expect(call.attributes).toMatchObject({
      'error.type': 'MODEL_ERROR',
      'baton.fallbacks': 1,
      'baton.route.model': 'openai:gpt-4o',
    })
    const refused = spans.find((span) => span.attributes['baton.approval'] === 'denied')!
    expect(refused.attributes['error.type']).toBe('APPROVAL_DENIED')
    expect(failed.length).toBeGreaterThanOrEqual(3)
    // The run ended over its budget: every span still open closed with it.
    expect(spans.every((span) => span.end !== undefined)).toBe(true)
  })

  it('are the same built event by event while the run streams as from its transcript', async () => {
    const lead = delegatingLead({ alsoLooksUp: true })
    const record = join(dir, 'live.jsonl')
    const running = stream(lead, 'Go', { record, budget: { maxSteps: 10, maxToolCalls: 5 } })
    const live = new SpanBuilder('live')
    const opened: string[] = []
    for await (const event of running) {
      const change = live.add(event)
      if (change?.started) opened.push(change.started.key)
    }
    await running.result
    const transcript = readTranscript(record)
    const after = spansOf(transcript.events, 'live')
    expect(live.spans).toEqual(after)
    expect(opened).toEqual(after.map((span) => span.key))
    const helper = after.find((span) => span.name === 'invoke_agent helper')
    expect(after.find((span) => span.key === helper?.parent)?.name).toBe('execute_tool delegate_helper')
    // Each call says what was left of the budget when it was sent (its own step held).
    const first = after.find((span) => span.key === 'root/1/model')!
    expect(first.attributes).toMatchObject({
      'baton.budget.left.steps': 9,
      'baton.budget.left.tool_calls': 5,
    })
    const last = after.find((span) => span.key === 'root/2/model')!
    // Before the lead's second call: 3 model calls (the lead's first, the helper's two) and 3 tool
    // calls (the delegation, the lead's lookup, the helper's), and the second call itself held.
    expect(last.attributes).toMatchObject({ 'baton.budget.left.steps': 6, 'baton.budget.left.tool_calls': 2 })
  })
})

describe('the trace in an OpenTelemetry tracer', () => {
  const provide = async () => {
    const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
      '@opentelemetry/sdk-trace-base'
    )
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    return { exporter, tracer: provider.getTracer('baton-test') }
  }
  type Finished = {
    name: string
    spanContext(): { spanId: string; traceId: string }
    parentSpanContext?: { spanId: string }
    attributes: Record<string, unknown>
    status: { code: number }
    startTime: [number, number]
    endTime: [number, number]
  }
  /** Each finished span by its step key, with its parent's step key. */
  const tree = (spans: Finished[]) => {
    const keyOf = new Map(
      spans.map((span) => [span.spanContext().spanId, String(span.attributes['baton.step_key'])]),
    )
    return new Map(
      spans.map((span) => [
        String(span.attributes['baton.step_key']),
        {
          name: span.name,
          parent: span.parentSpanContext ? keyOf.get(span.parentSpanContext.spanId) : undefined,
          error: span.status.code === 2,
          ms: (span.endTime[0] - span.startTime[0]) * 1000 + (span.endTime[1] - span.startTime[1]) / 1e6,
        },
      ]),
    )
  }

  it('gets the run live (the `tracer` run option), one trace, and the same tree from its transcript later', async () => {
    const live = await provide()
    const lead = delegatingLead({ alsoLooksUp: false })
    const record = join(dir, 'traced.jsonl')
    const result = await run(lead, 'Go', { record, tracer: live.tracer })
    expect(result.status).toBe('done')
    const spans = live.exporter.getFinishedSpans() as unknown as Finished[]
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1)
    const liveTree = tree(spans)
    expect(liveTree.get('root')).toMatchObject({ name: 'invoke_agent lead', parent: undefined })
    const helper = liveTree.get('root/1/agent:helper#0')
    expect(helper).toMatchObject({ name: 'invoke_agent helper' })
    expect(liveTree.get(helper!.parent!)).toMatchObject({
      name: 'execute_tool delegate_helper',
      parent: 'root',
    })
    const helperTool = [...liveTree.entries()].find(([key]) =>
      key.startsWith('root/1/agent:helper#0/1/tool/'),
    )
    expect(helperTool?.[1]).toMatchObject({ name: 'execute_tool lookup', parent: 'root/1/agent:helper#0' })

    const later = await provide()
    const { traceTranscript } = await import('../src/otel/index.js')
    await traceTranscript(readTranscript(record), later.tracer)
    const laterTree = tree(later.exporter.getFinishedSpans() as unknown as Finished[])
    const shape = (t: typeof liveTree) =>
      [...t.entries()].map(([key, { name, parent, error }]) => [key, name, parent, error]).sort()
    expect(shape(laterTree)).toEqual(shape(liveTree))
    // With its original timing: each span as long as it was.
    for (const [key, span] of laterTree)
      expect(Math.abs(span.ms - liveTree.get(key)!.ms), key).toBeLessThan(2)
  })

  it('builds no more spans once the root is not recorded (a sampler left the trace out)', async () => {
    const { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider } = await import(
      '@opentelemetry/sdk-trace-base'
    )
    const started = async (sampler: InstanceType<typeof AlwaysOnSampler>) => {
      const tracer = new BasicTracerProvider({ sampler }).getTracer('sampled')
      let count = 0
      const counting = {
        startSpan: (...args: Parameters<typeof tracer.startSpan>) => {
          count++
          return tracer.startSpan(...args)
        },
      }
      const result = await run(delegatingLead({ alsoLooksUp: true }), 'Go', { tracer: counting as never })
      expect(result.status).toBe('done')
      return count
    }
    expect(await started(new AlwaysOffSampler())).toBe(1)
    expect(await started(new AlwaysOnSampler())).toBeGreaterThan(5)
  })

  it('puts error messages on spans redacted as the transcript, message contents on or off', async () => {
    const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwx0123'
    const login = defineTool({
      name: 'login',
      description: 'Logs in',
      input: z.object({ token: z.string() }),
      run: ({ token }) => {
        throw new Error(`refused ${token} (Authorization: Bearer ${SECRET})`)
      },
    })
    for (const traceContent of [false, true]) {
      const traced = await provide()
      const record = join(dir, `secret-${traceContent}.jsonl`)
      const agent = defineAgent({
        name: 'a',
        instructions: 'x',
        tools: [login],
        model: scriptedModel([{ toolCalls: [{ name: 'login', args: { token: SECRET } }] }, { text: 'ok' }]),
      })
      await run(agent, 'Log in', { tracer: traced.tracer, traceContent, record })
      const spans = traced.exporter.getFinishedSpans()
      expect(JSON.stringify(spans.map((span) => [span.attributes, span.status]))).not.toContain(SECRET)
      const result = readTranscript(record).events.find((event) => event.type === 'tool.result')!
      const failed = spans.find((span) => span.name === 'execute_tool login')!
      expect(failed.status.message).toBe(result.type === 'tool.result' && result.error?.message)
      expect(failed.status.message).toContain('[redacted]')
    }
  })

  it('keeps a transcript with a missing or repeated start, or events after its end, in one trace of ended spans', async () => {
    const transcript = readTranscript('agents/recordings/research-lead.jsonl')
    const events = transcript.events
    const sub = events.findIndex((event) => event.type === 'agent.start' && event.path !== 'root')
    const call = events.findIndex((event) => event.type === 'model.request' && event.path !== 'root/1/model')
    const end = events.findIndex((event) => event.type === 'run.end')
    const damaged = {
      'a sub-agent without its agent.start': events.filter((_, i) => i !== sub),
      'a model.request written twice': [
        ...events.slice(0, call + 1),
        events[call]!,
        ...events.slice(call + 1),
      ],
      'an agent.start written twice': [...events.slice(0, sub + 1), events[sub]!, ...events.slice(sub + 1)],
      'events after run.end': [...events.slice(0, end + 1), ...events.slice(3, 9)],
    }
    for (const [what, given] of Object.entries(damaged)) {
      const traced = await provide()
      await traceTranscript({ ...transcript, events: given }, traced.tracer)
      const spans = traced.exporter.getFinishedSpans()
      expect(new Set(spans.map((span) => span.spanContext().traceId)).size, what).toBe(1)
      const ids = new Set(spans.map((span) => span.spanContext().spanId))
      for (const span of spans)
        if (span.parentSpanContext) expect(ids.has(span.parentSpanContext.spanId), what).toBe(true)
      // Every span started was ended (an open one is never exported): as many as the records.
      const records = spansOf(given, 'x')
      expect(spans.length, what).toBe(records.length)
    }
    // A sub-agent without its start: its calls sit under the span above it, the delegation's.
    const orphaned = spansOf(damaged['a sub-agent without its agent.start'], 'x')
    const first = orphaned.find((span) => span.key === 'root/1/agent:researcher#0/1/model')!
    expect(first.parent).toBe('root/1/tool/call_1_0')
  })

  it('refuses a tracer that is not one, naming the option', async () => {
    const agent = defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'ok' }]) })
    await expect(run(agent, 'Go', { tracer: {} as never })).rejects.toThrow(/tracer/)
  })
})

describe('setupTracing refuses options it would ignore or trip over', () => {
  it.each([
    [5, 'setupTracing: expected options { serviceName?, url?, headers?, exporter?, env? }, got number 5'],
    [
      { endpoint: 'http://127.0.0.1:4318' },
      'setupTracing: endpoint is not a known setupTracing option (did you mean url?)',
    ],
    [{ url: 'localhost:4318' }, 'setupTracing: url must be the full URL of the traces endpoint'],
    [{ headers: { 'x-api-key': 42 } }, 'setupTracing: headers must be an object of strings'],
    [{ exporter: {} }, 'setupTracing: exporter must be a SpanExporter'],
    [{ serviceName: '' }, 'setupTracing: serviceName must be a non-empty string'],
  ])('%j', async (options, message) => {
    await expect(setupTracing(options as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining(message),
    })
  })
})
