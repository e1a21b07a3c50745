/**
 * Runs as traces through the official OTLP/HTTP exporter (Baton's own set-up, `setupTracing`)
 * to a receiver on 127.0.0.1: a lead with two concurrent sub-agents and parallel tool calls, the
 * tree rebuilt from the spans' ids alone (names, kinds, parents, attributes, error status);
 * message contents off by default, on when asked, redacted exactly as the transcript; a
 * transcript sent after the fact giving the same tree with the same durations; the standard
 * variables (endpoint, headers, service name, exporter none) and their mistakes.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, readTranscript, run, setupTracing, traceTranscript } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { type OtlpReceiver, otlpReceiver, type ReceivedSpan } from './otel-receiver.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-otlp-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let receiver: OtlpReceiver
beforeEach(async () => {
  receiver = await otlpReceiver()
})
afterEach(() => receiver.close())

const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwx0123'

/**
 * A lead that sends a researcher and a checker at once (two delegations in one step) and looks
 * something up beside them; the researcher makes two lookups in parallel; the checker's tool fails.
 */
function team() {
  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks up',
    input: z.object({ q: z.string(), api_key: z.string().optional() }),
    run: async ({ q }) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return `found ${q}`
    },
  })
  const check = defineTool({
    name: 'check',
    description: 'Checks',
    input: z.object({ claim: z.string() }),
    run: () => {
      throw new Error('the checker is down')
    },
  })
  const researcher = defineAgent({
    name: 'researcher',
    description: 'Researches',
    instructions: 'Research.',
    model: scriptedModel([
      {
        toolCalls: [
          { name: 'lookup', args: { q: 'lisbon' } },
          { name: 'lookup', args: { q: 'porto' } },
        ],
      },
      { text: 'Lisbon 545,796; Porto 231,962' },
    ]),
    tools: [lookup],
  })
  const checker = defineAgent({
    name: 'checker',
    description: 'Checks claims',
    instructions: 'Check.',
    model: scriptedModel([
      { toolCalls: [{ name: 'check', args: { claim: 'x' } }] },
      { text: 'could not check' },
    ]),
    tools: [check],
  })
  return defineAgent({
    name: 'lead',
    instructions: 'Lead.',
    model: scriptedModel([
      {
        toolCalls: [
          { name: 'delegate_researcher', args: { task: 'find the populations' } },
          { name: 'delegate_checker', args: { task: 'check the sources' } },
          { name: 'lookup', args: { q: 'area', api_key: SECRET } },
        ],
      },
      { text: `Lisbon is bigger. (Authorization: Bearer ${SECRET})` },
    ]),
    tools: [lookup],
    agents: [researcher, checker],
  })
}

interface Node {
  span: ReceivedSpan
  parent: ReceivedSpan | undefined
}

/** The received spans by step key, each with the span its parent id points at. */
function treeOf(spans: readonly ReceivedSpan[]): Map<string, Node> {
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  const tree = new Map<string, Node>()
  for (const span of spans) {
    const key = span.attributes['baton.step_key'] as string
    expect(tree.has(key), `${key} sent twice`).toBe(false)
    tree.set(key, { span, parent: span.parentSpanId ? byId.get(span.parentSpanId) : undefined })
  }
  return tree
}

const keyOf = (span: ReceivedSpan | undefined) => span?.attributes['baton.step_key']

/** What a tree is made of, comparable between two traces: key, name, kind, parent's key, status. */
const shape = (tree: Map<string, Node>) =>
  [...tree.entries()]
    .map(([key, { span, parent }]) => [key, span.name, span.kind, keyOf(parent), span.status.code])
    .sort()

describe('Baton’s OTLP/HTTP set-up', () => {
  it('sends a run with concurrent sub-agents as one trace whose tree holds by ids alone', async () => {
    const setup = await setupTracing({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%20def,x-team=ops',
        OTEL_SERVICE_NAME: 'research-service',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
      },
    })
    expect(setup.destination).toBe(`otlp ${receiver.url}/v1/traces`)
    const result = await run(team(), 'How much bigger is Lisbon?', { tracer: setup.tracer })
    expect(result.status).toBe('done')
    await setup.shutdown()
    expect(setup.sent).toMatchObject({ spans: receiver.spans.length, failed: 0 })

    const spans = receiver.spans
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1)
    expect(spans.every((span) => span.resource['service.name'] === 'research-service')).toBe(true)
    expect(spans[0]!.resource['deployment.environment']).toBe('test')
    expect(spans[0]!.scope).toBe('baton')
    expect(receiver.headers[0]).toMatchObject({ 'x-api-key': 'abc def', 'x-team': 'ops' })

    const tree = treeOf(spans)
    const roots = [...tree.values()].filter((node) => !node.span.parentSpanId)
    expect(roots.map((node) => node.span.name)).toEqual(['invoke_agent lead'])
    // Every parent id points at a span of the trace.
    for (const [key, node] of tree) if (node.span.parentSpanId) expect(node.parent, key).toBeDefined()

    const lead = tree.get('root')!
    expect(lead.span.kind).toBe(1)
    expect(lead.span.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'lead',
      'gen_ai.conversation.id': result.runId,
      'gen_ai.provider.name': 'scripted',
      'baton.status': 'done',
    })
    // The two sub-agents ran at once, each under the delegation that started it.
    const researcher = tree.get('root/1/agent:researcher#0')!
    const checker = tree.get('root/1/agent:checker#0')!
    expect(researcher.parent?.name).toBe('execute_tool delegate_researcher')
    expect(checker.parent?.name).toBe('execute_tool delegate_checker')
    expect(keyOf(tree.get(keyOf(researcher.parent) as string)?.parent)).toBe('root')
    expect(researcher.span.start).toBeLessThan(checker.span.end)
    expect(checker.span.start).toBeLessThan(researcher.span.end)

    // Model calls are CLIENT spans under their agent; parallel tool calls each under theirs.
    const chat = tree.get('root/1/agent:researcher#0/1/model')!
    expect(chat.span).toMatchObject({ name: 'chat model', kind: 3 })
    expect(keyOf(chat.parent)).toBe('root/1/agent:researcher#0')
    expect(chat.span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'model',
      'gen_ai.response.finish_reasons': ['tool_call'],
    })
    expect(typeof chat.span.attributes['gen_ai.usage.input_tokens']).toBe('number')
    const lookups = [...tree.entries()].filter(
      ([key, node]) =>
        key.startsWith('root/1/agent:researcher#0/1/tool/') && node.span.name === 'execute_tool lookup',
    )
    expect(lookups).toHaveLength(2)
    for (const [, node] of lookups) {
      expect(keyOf(node.parent)).toBe('root/1/agent:researcher#0')
      expect(node.span.attributes['gen_ai.tool.call.id']).toBeTypeOf('string')
    }

    // The checker's tool failed: an error status and error.type on its span.
    const failed = [...tree.values()].find((node) => node.span.name === 'execute_tool check')!
    expect(failed.span.status.code).toBe(2)
    expect(failed.span.status.message).toContain('the checker is down')
    expect(failed.span.attributes['error.type']).toBeTypeOf('string')

    // Children start and end inside their parent's time.
    for (const [key, node] of tree) {
      if (!node.parent) continue
      expect(node.span.start >= node.parent.start, key).toBe(true)
      expect(node.span.end <= node.parent.end, key).toBe(true)
    }
    // No contents unless asked for.
    for (const span of spans)
      for (const name of Object.keys(span.attributes))
        expect(name).not.toMatch(/messages|system_instructions|arguments|call\.result/)
  })

  it('puts message contents on the spans only when asked, redacted exactly as the transcript', async () => {
    const setup = await setupTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } })
    const record = join(dir, 'contents.jsonl')
    const result = await run(team(), 'How much bigger is Lisbon?', {
      tracer: setup.tracer,
      traceContent: true,
      record,
    })
    expect(result.status).toBe('done')
    await setup.shutdown()
    const tree = treeOf(receiver.spans)
    const all = JSON.stringify(receiver.spans.map((span) => span.attributes))
    expect(all).not.toContain(SECRET)

    // The tool call with a key in its arguments: the arguments as the transcript holds them.
    const transcript = readTranscript(record)
    const call = transcript.events.find(
      (event) => event.type === 'tool.call' && (event.args as { q?: string }).q === 'area',
    )!
    expect(call.type === 'tool.call' && call.args).toEqual({ q: 'area', api_key: '[redacted]' })
    const tool = tree.get(call.path)!
    expect(JSON.parse(tool.span.attributes['gen_ai.tool.call.arguments'] as string)).toEqual(
      call.type === 'tool.call' && call.args,
    )
    expect(tool.span.attributes['gen_ai.tool.call.result']).toBe('found area')

    // The lead's last call: its whole conversation in, the answer out, secrets redacted.
    const last = tree.get('root/2/model')!.span.attributes
    expect(JSON.parse(last['gen_ai.system_instructions'] as string)).toEqual([
      { type: 'text', content: expect.stringContaining('Lead.') },
    ])
    const input = JSON.parse(last['gen_ai.input.messages'] as string)
    expect(input[0]).toEqual({
      role: 'user',
      parts: [{ type: 'text', content: expect.stringContaining('Lisbon') }],
    })
    expect(input[1].role).toBe('assistant')
    expect(input[1].parts.map((part: { type: string; name?: string }) => part.name)).toEqual([
      'delegate_researcher',
      'delegate_checker',
      'lookup',
    ])
    expect(input[1].parts[2].arguments).toEqual({ q: 'area', api_key: '[redacted]' })
    expect(input.slice(2).map((message: { role: string }) => message.role)).toEqual(['tool', 'tool', 'tool'])
    const output = JSON.parse(last['gen_ai.output.messages'] as string)
    expect(output).toEqual([
      {
        role: 'assistant',
        parts: [
          {
            type: 'text',
            content: expect.stringMatching(/^Lisbon is bigger\. \(Authorization: Bearer \[redacted\]/),
          },
        ],
        finish_reason: 'stop',
      },
    ])
    const response = transcript.events.find(
      (event) => event.type === 'model.response' && event.path === 'root/2/model',
    )
    expect(response?.type === 'model.response' && response.message.content).toBe(output[0].parts[0].content)
    // The agent's own span: its brief in, its output out.
    const researcher = tree.get('root/1/agent:researcher#0')!.span.attributes
    expect(JSON.parse(researcher['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'find the populations' }] },
    ])
    expect(researcher['gen_ai.output.messages']).toContain('Lisbon 545,796')
  })

  it('sends a transcript after the fact as the same tree, with the durations the run had', async () => {
    const live = await setupTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } })
    const record = join(dir, 'later.jsonl')
    await run(team(), 'How much bigger is Lisbon?', { tracer: live.tracer, record })
    await live.shutdown()
    const liveSpans = [...receiver.spans]
    receiver.spans.length = 0

    const later = await setupTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } })
    await traceTranscript(readTranscript(record), later.tracer)
    await later.shutdown()
    const afterSpans = receiver.spans
    expect(afterSpans).toHaveLength(liveSpans.length)
    expect(afterSpans[0]!.traceId).not.toBe(liveSpans[0]!.traceId)
    const liveTree = treeOf(liveSpans)
    const afterTree = treeOf(afterSpans)
    expect(shape(afterTree)).toEqual(shape(liveTree))
    for (const [key, { span }] of afterTree) {
      const was = liveTree.get(key)!.span
      expect(span.attributes).toEqual(was.attributes)
      const duration = (s: ReceivedSpan) => Number(s.end - s.start) / 1e6
      expect(Math.abs(duration(span) - duration(was)), key).toBeLessThanOrEqual(2)
    }
  })

  it('ends the spans of a transcript cut short where it stops, and says so', async () => {
    const setup = await setupTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } })
    const record = join(dir, 'whole.jsonl')
    await run(team(), 'How much bigger is Lisbon?', { record })
    const transcript = readTranscript(record)
    const cut = { ...transcript, events: transcript.events.slice(0, 8) }
    await traceTranscript(cut, setup.tracer)
    await setup.shutdown()
    const open = receiver.spans.filter((span) => span.attributes['baton.unfinished'] === true)
    expect(open.map((span) => span.name)).toContain('invoke_agent lead')
    const lastT = cut.events.at(-1)!.t!
    const start = Date.parse(transcript.header.startedAt)
    for (const span of open) expect(Number(span.end / 1_000_000n)).toBe(start + lastT)
  })

  it('takes an exporter of your own instead of OTLP', async () => {
    const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace-base')
    const exporter = new InMemorySpanExporter()
    const setup = await setupTracing({ exporter, serviceName: 'own' })
    expect(setup.destination).toBe('exporter')
    await run(team(), 'How much bigger is Lisbon?', { tracer: setup.tracer })
    await setup.flush()
    const spans = exporter.getFinishedSpans()
    expect(spans.map((span) => span.name)).toContain('invoke_agent lead')
    expect(spans[0]!.resource.attributes['service.name']).toBe('own')
    expect(setup.sent).toMatchObject({ spans: spans.length, failed: 0 })
    await setup.shutdown()
    expect(receiver.spans).toHaveLength(0)
  })

  it('makes no spans with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true', async () => {
    for (const env of [{ OTEL_TRACES_EXPORTER: 'none' }, { OTEL_SDK_DISABLED: 'true' }]) {
      const setup = await setupTracing({ env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } })
      expect(setup.destination).toBe('none')
      await run(team(), 'How much bigger is Lisbon?', { tracer: setup.tracer })
      await setup.shutdown()
    }
    expect(receiver.spans).toHaveLength(0)
  })

  it('counts the spans it could not send, with the reason', async () => {
    const gone = receiver.url
    await receiver.close()
    const setup = await setupTracing({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: gone, OTEL_EXPORTER_OTLP_TIMEOUT: '500' },
    })
    await run(team(), 'How much bigger is Lisbon?', { tracer: setup.tracer })
    await setup.shutdown()
    expect(setup.sent.spans).toBe(0)
    expect(setup.sent.failed).toBeGreaterThan(0)
    expect(setup.sent.error).toBeTruthy()
    receiver = await otlpReceiver()
  })

  it('says why the collector refused the spans: its HTTP status and its answer', async () => {
    const refusing = await otlpReceiver({ status: 413, body: 'request body too large:\n max 4 MiB' })
    try {
      const setup = await setupTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: refusing.url } })
      await run(team(), 'How much bigger is Lisbon?', { tracer: setup.tracer })
      await setup.shutdown()
      expect(setup.sent.spans).toBe(0)
      expect(setup.sent.failed).toBeGreaterThan(0)
      expect(setup.sent.error).toBe('HTTP 413 Payload Too Large: request body too large: max 4 MiB')
    } finally {
      await refusing.close()
    }
  })

  it('reads the OTEL_* variables of `env` only, not those of process.env', async () => {
    const before = { ...process.env }
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-from-process=leaked'
    process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT = '100000'
    let setup: Awaited<ReturnType<typeof setupTracing>>
    try {
      setup = await setupTracing({
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '24' },
      })
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in before)) delete process.env[name]
    }
    expect(process.env.OTEL_EXPORTER_OTLP_HEADERS).toBe(before.OTEL_EXPORTER_OTLP_HEADERS)
    await run(team(), 'How much bigger is Lisbon?', { tracer: setup.tracer, traceContent: true })
    await setup.shutdown()
    expect(receiver.headers[0]).not.toHaveProperty('x-from-process')
    const chat = receiver.spans.find((span) => span.attributes['baton.step_key'] === 'root/2/model')!
    expect(chat.attributes['gen_ai.input.messages']).toHaveLength(24)
  })

  it.each([
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'api-key:abc' },
      /OTEL_EXPORTER_OTLP_HEADERS: "api-key:abc" is not a header/,
    ],
    [{ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x k=v' }, /OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x k=v"/],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: 'ten' }, /OTEL_EXPORTER_OTLP_TIMEOUT=ten: expected a positive number/],
    [{ OTEL_BSP_SCHEDULE_DELAY: '-5' }, /OTEL_BSP_SCHEDULE_DELAY=-5: expected a positive number/],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' },
      /OTEL_EXPORTER_OTLP_ENDPOINT=localhost:4318: expected an http/,
    ],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=collector/],
  ])('refuses the malformed variable %j, naming it', async (env, message) => {
    await expect(setupTracing({ env })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(message),
    })
  })

  it('refuses what it cannot send, naming the variable', async () => {
    await expect(setupTracing({ env: { OTEL_TRACES_EXPORTER: 'zipkin' } })).rejects.toThrow(
      /OTEL_TRACES_EXPORTER=zipkin/,
    )
    await expect(setupTracing({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } })).rejects.toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL=grpc: .*http\/json/,
    )
    await expect(run(team(), 'x', { traceContent: 'yes' as never })).rejects.toThrow(/traceContent/)
  })
})

/** A reader the test collects from when it wants (no timer). */
class CollectingReader extends MetricReader {
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

describe('the GenAI client metrics (the `meter` run option)', () => {
  it('records each model call’s tokens and duration with the conventions’ names, units and attributes', async () => {
    const reader = new CollectingReader()
    const provider = new MeterProvider({ readers: [reader] })
    const record = join(dir, 'metrics.jsonl')
    const result = await run(team(), 'How much bigger is Lisbon?', {
      meter: provider.getMeter('test'),
      record,
    })
    const { resourceMetrics } = await reader.collect()
    const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
    const byName = new Map(metrics.map((metric) => [metric.descriptor.name, metric]))
    const usage = byName.get('gen_ai.client.token.usage')!
    const duration = byName.get('gen_ai.client.operation.duration')!
    expect(usage.descriptor.unit).toBe('{token}')
    expect(duration.descriptor.unit).toBe('s')

    // The points add up to the run: its model calls, its input and output tokens.
    const points = (metric: typeof usage) =>
      metric.dataPoints as unknown as {
        attributes: Record<string, unknown>
        value: { count: number; sum: number }
      }[]
    const calls = readTranscript(record).events.filter((event) => event.type === 'model.response').length
    expect(points(duration).reduce((sum, point) => sum + point.value.count, 0)).toBe(calls)
    const sum = (type: string) =>
      points(usage)
        .filter((point) => point.attributes['gen_ai.token.type'] === type)
        .reduce((total, point) => total + point.value.sum, 0)
    expect(sum('input')).toBe(result.usage.inputTokens)
    expect(sum('output')).toBe(result.usage.outputTokens)
    for (const point of points(usage))
      expect(point.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'scripted',
        'gen_ai.request.model': 'model',
      })
    await provider.shutdown()
  })

  it('does not measure a call cut off with its transcript (its duration and usage are not known)', async () => {
    const record = join(dir, 'cut-metrics.jsonl')
    await run(team(), 'How much bigger is Lisbon?', { record })
    const transcript = readTranscript(record)
    // Cut right after the researcher's first call was sent.
    const at = transcript.events.findIndex(
      (event) => event.type === 'model.request' && event.path === 'root/1/agent:researcher#0/1/model',
    )
    const reader = new CollectingReader()
    const provider = new MeterProvider({ readers: [reader] })
    const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
      '@opentelemetry/sdk-trace-base'
    )
    const exporter = new InMemorySpanExporter()
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer(
      'cut',
    )
    await traceTranscript({ ...transcript, events: transcript.events.slice(0, at + 1) }, tracer, {
      meter: provider.getMeter('test'),
    })
    const cut = exporter
      .getFinishedSpans()
      .find((span) => span.name === 'chat model' && span.attributes['baton.unfinished'])
    expect(cut?.attributes['baton.step_key']).toBe('root/1/agent:researcher#0/1/model')
    const { resourceMetrics } = await reader.collect()
    const duration = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === 'gen_ai.client.operation.duration')!
    const count = (duration.dataPoints as unknown as { value: { count: number } }[]).reduce(
      (sum, point) => sum + point.value.count,
      0,
    )
    // The lead's first call, answered; not the researcher's, cut off.
    expect(count).toBe(1)
    await provider.shutdown()
  })

  it('refuses a meter that is not one, naming the option', async () => {
    await expect(run(team(), 'x', { meter: {} as never })).rejects.toThrow(/meter/)
  })
})
