import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { type BatonEvent, defineAgent, readTranscript, run, stream } from '../dist/index.js'
import { RunFold } from '../dist/run/fold.js'
import { type ScriptStep, scriptedModel } from '../dist/testing/index.js'
import { type TranscriptIo, TranscriptWriter } from '../dist/transcript/writer.js'
import { expectHandDone, handWrittenLoop } from './hand-written.js'
import { echoTool, expectDone, type MeasureOptions, now, type Samples, transcriptDir } from './lib.js'

export const TURNS = 200
/** The short run, to show that a turn costs the same at 20 turns as at 200 (no quadratic work). */
export const SHORT_TURNS = 20

/**
 * S1: a run of instant tool turns (a scripted model, a tool that returns its input), in µs per
 * turn. Every mode runs in the same rounds, one after the other, so that drift hits all alike:
 * the hand-written loop, Baton's run() without and with a transcript, stream() read with and
 * without the answers' deltas, the short runs, and run() traced into OpenTelemetry: with the API's
 * no-op tracer (no SDK registered) and with the SDK's in-memory exporter.
 */
export async function measure(options: MeasureOptions): Promise<Samples> {
  const echo = echoTool()
  const agent = defineAgent({
    name: 'echoer',
    instructions: 'Call echo until told otherwise, then answer.',
    model: scriptedModel([]), // replaced per run by RunOptions.model
    tools: [echo],
    budget: { maxSteps: TURNS + 10 },
  })
  const script = (turns: number): ScriptStep[] => {
    const steps: ScriptStep[] = Array.from({ length: turns }, (_, i) => ({
      toolCalls: [{ name: 'echo', args: { text: `turn ${i}` } }],
    }))
    steps.push({ text: 'done, after all those turns' })
    return steps
  }
  const long = script(TURNS)
  const short = script(SHORT_TURNS)
  const files = transcriptDir('s1')
  const done = { steps: TURNS + 1, toolCalls: TURNS }

  const timed = async (turns: number, work: () => Promise<void>): Promise<number> => {
    const started = now()
    await work()
    return ((now() - started) * 1000) / turns
  }
  const baton = async (turns: number, steps: ScriptStep[], record: boolean, round: number) => {
    const path = record ? files.path(`run-${turns}-${round}`) : undefined
    const perTurn = await timed(turns, async () => {
      const model = scriptedModel(steps)
      const result = await run(agent, 'Echo many times.', path ? { model, record: path } : { model })
      expectDone(result, 'S1', { steps: turns + 1, toolCalls: turns })
    })
    // Checked and deleted after the clock stops: removing a file is the disk's cost, not the run's.
    if (path) files.discard(path)
    return perTurn
  }
  const streamed = (deltas: boolean) =>
    timed(TURNS, async () => {
      const events = stream(agent, 'Echo many times.', { model: scriptedModel(long), deltas })
      let seen = 0
      for await (const _ of events) seen++
      expectDone(await events.result, 'S1 stream', done)
      if (seen === 0) throw new Error('S1 stream: no events')
    })
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
  const tracers = { noop: trace.getTracer('bench'), memory: provider.getTracer('bench') }
  const spansPerRun = TURNS * 2 + 2
  const traced = (kind: keyof typeof tracers) =>
    timed(TURNS, async () => {
      const result = await run(agent, 'Echo many times.', {
        model: scriptedModel(long),
        tracer: tracers[kind],
      })
      expectDone(result, 'S1 traced', done)
      if (kind === 'memory') {
        const spans = memory.getFinishedSpans().length
        if (spans !== spansPerRun) throw new Error(`S1 traced: ${spans} spans, expected ${spansPerRun}`)
        memory.reset()
      }
    })
  // Two parts of a run measured alone, over the events of one recorded 200-turn run: folding
  // them into its result (what every run does), and making its transcript's lines (redaction
  // check, JSON, chain) with no disk. Each is a floor for any run that returns a result folded
  // from its events, or records a transcript.
  const recordedAt = files.path('parts')
  expectDone(
    await run(agent, 'Echo many times.', { model: scriptedModel(long), record: recordedAt }),
    'S1',
    done,
  )
  const recorded = readTranscript(recordedAt)
  files.discard(recordedAt)
  const events = recorded.events as BatonEvent[]
  const bare = events.map(({ seq: _seq, t: _t, ...event }) => event as BatonEvent)
  let written = 0
  const noDisk: TranscriptIo = {
    open: (_path, _flags, callback) => callback(null, 1),
    openSync: () => 1,
    writeSync: (_fd, text) => {
      written += text.length
    },
    closeSync: () => {},
    check: () => {},
  }
  // The floor of any transcript of this run: the events it holds as JSON, with nothing else
  // (no redaction check, no chain, no disk). Over the event objects a live run emits, all of
  // them and then only what a replay needs (the model's responses and the tools' results).
  const live: BatonEvent[] = []
  for await (const event of stream(agent, 'Echo many times.', { model: scriptedModel(long), deltas: false }))
    live.push(event)
  const needed = live.filter((event) => event.type === 'model.response' || event.type === 'tool.result')
  const stringified = (list: BatonEvent[]) =>
    timed(TURNS, async () => {
      let length = 0
      for (let i = 0; i < list.length; i++) length += JSON.stringify(list[i])!.length
      if (length === 0) throw new Error('S1 JSON: nothing was serialized')
    })
  const parts = {
    jsonEvents: () => stringified(live),
    jsonNeeded: () => stringified(needed),
    fold: () =>
      timed(TURNS, async () => {
        const fold = new RunFold(agent, 0)
        for (const event of events) fold.add(event)
        if (fold.result()?.trajectory.length !== TURNS)
          throw new Error('S1 fold: the trajectory is not whole')
      }),
    lines: () =>
      timed(TURNS, async () => {
        written = 0
        const writer = new TranscriptWriter('s1-parts.jsonl', recorded.header, undefined, noDisk, {
          eager: false,
        })
        for (let i = 0; i < bare.length; i++) writer.write(bare[i]!, i, 0)
        if ((await writer.close()) || written === 0) throw new Error('S1 lines: nothing was written')
      }),
  }
  const modes: Record<string, (round: number) => Promise<number>> = {
    hand: () =>
      timed(TURNS, async () => {
        expectHandDone(await handWrittenLoop(scriptedModel(long), 'Echo many times.'), 'S1', done)
      }),
    off: (round) => baton(TURNS, long, false, round),
    on: (round) => baton(TURNS, long, true, round),
    streamNoDeltas: () => streamed(false),
    streamDeltas: () => streamed(true),
    shortOff: (round) => baton(SHORT_TURNS, short, false, round),
    shortOn: (round) => baton(SHORT_TURNS, short, true, round),
    tracedNoop: () => traced('noop'),
    tracedMemory: () => traced('memory'),
    foldAlone: parts.fold,
    linesAlone: parts.lines,
    jsonEvents: parts.jsonEvents,
    jsonNeeded: parts.jsonNeeded,
  }
  const samples: Samples = {}
  const warmup = options.warmup ?? 20
  const rounds = options.rounds ?? 15
  try {
    for (let round = -warmup; round < rounds; round++) {
      for (const [mode, once] of Object.entries(modes)) {
        const value = await once(round)
        if (round < 0) continue
        samples[mode] ??= []
        samples[mode].push(value)
      }
    }
    return samples
  } finally {
    files.remove()
  }
}
