import { type Agent, defineAgent, delegationToolName, readTranscript, replay, run } from '../dist/index.js'
import { type ScriptStep, scriptedModel } from '../dist/testing/index.js'
import { echoTool, expectDone, type MeasureOptions, now, type Samples, transcriptDir } from './lib.js'

/** The long single-agent run: 200 tool turns, then a final answer. */
export const TURNS = 200
/** The fan-out run: a supervisor delegates to 5 sub-agents at once, each makes 20 tool turns. */
export const WORKERS = 5
export const WORKER_TURNS = 20
/** Replays of each transcript, per source (parsed or file), in one measured round. */
export const REPLAYS = 100

interface Recorded {
  name: string
  agent: Agent
  path: string
  steps: number
  toolCalls: number
}

/**
 * Replay throughput: two transcripts are recorded once (not timed), then each round replays
 * each of them REPLAYS times from the already-parsed Transcript and REPLAYS times from the file
 * (read and parse included). Reported: replayed model calls per wall second.
 */
export async function measure(options: MeasureOptions): Promise<Samples> {
  const files = transcriptDir('s5')
  try {
    const recorded = [await recordLong(files.path('long')), await recordFanOut(files.path('fan-out'))]
    const parsed = new Map(recorded.map((r) => [r.name, readTranscript(r.path)]))

    // Every replay is checked: done, the recorded numbers of model and tool calls, nothing live.
    const once = async (r: Recorded, fromFile: boolean) => {
      const result = await replay(fromFile ? r.path : parsed.get(r.name)!, r.agent)
      expectDone(result, `S5 ${r.name}`, { steps: r.steps, toolCalls: r.toolCalls })
      if (result.live.model !== 0 || result.live.tool !== 0)
        throw new Error(
          `S5 ${r.name}: the replay made ${result.live.model} model and ${result.live.tool} tool calls live`,
        )
      if (result.divergences.length) throw new Error(`S5 ${r.name}: ${result.divergences[0]!.message}`)
    }
    /** Steps per second of REPLAYS back-to-back replays. */
    const batch = async (r: Recorded, fromFile: boolean): Promise<number> => {
      const started = now()
      for (let i = 0; i < REPLAYS; i++) await once(r, fromFile)
      const seconds = (now() - started) / 1000
      return (REPLAYS * r.steps) / seconds
    }

    for (let i = 0; i < (options.warmup ?? 2); i++)
      for (const r of recorded) for (const fromFile of [false, true]) await batch(r, fromFile)
    const samples: Samples = {}
    for (let i = 0; i < (options.rounds ?? 7); i++) {
      for (const r of recorded) {
        for (const fromFile of [false, true]) {
          const key = `${r.name}.${fromFile ? 'file' : 'parsed'}`
          samples[key] = [...(samples[key] ?? []), await batch(r, fromFile)]
        }
      }
    }
    return samples
  } finally {
    files.remove()
  }
}

async function recordLong(path: string): Promise<Recorded> {
  const agent = defineAgent({
    name: 'echoer',
    instructions: 'Call echo until told otherwise, then answer.',
    model: scriptedModel([]), // replaced by RunOptions.model when recording; never called in a replay
    tools: [echoTool()],
    budget: { maxSteps: TURNS + 10 },
  })
  const steps: ScriptStep[] = Array.from({ length: TURNS }, (_, i) => ({
    toolCalls: [{ name: 'echo', args: { text: `turn ${i}` } }],
    usage: { inputTokens: 100 + i, outputTokens: 10 },
  }))
  steps.push({ text: 'done' })
  const result = await run(agent, 'Echo 200 times.', { model: scriptedModel(steps), record: path })
  const expected = { steps: TURNS + 1, toolCalls: TURNS }
  expectDone(result, 'S5 recording long', expected)
  return { name: 'long', agent, path, ...expected }
}

async function recordFanOut(path: string): Promise<Recorded> {
  const echo = echoTool()
  const workers = Array.from({ length: WORKERS }, (_, w) => {
    const steps: ScriptStep[] = Array.from({ length: WORKER_TURNS }, (_, i) => ({
      toolCalls: [{ name: 'echo', args: { text: `worker ${w} turn ${i}` } }],
    }))
    steps.push({ text: `worker ${w} done` })
    // 1 ms per call, so that the workers' steps interleave in the recording.
    return defineAgent({
      name: `worker${w}`,
      description: `Worker number ${w}`,
      instructions: 'Echo until told otherwise, then answer.',
      model: scriptedModel(steps, { latencyMs: 1 }),
      tools: [echo],
      budget: { maxSteps: WORKER_TURNS + 10 },
    })
  })
  const agent = defineAgent({
    name: 'supervisor',
    instructions: 'Delegate to every worker at once, then answer.',
    model: scriptedModel([
      {
        toolCalls: workers.map((worker, w) => ({
          name: delegationToolName(worker.name),
          args: { task: `part ${w}` },
        })),
      },
      { text: 'all done' },
    ]),
    agents: workers,
    budget: { maxSteps: 2 * WORKERS * (WORKER_TURNS + 1) }, // the tree's steps count against the root
  })
  const result = await run(agent, 'Split the work.', { record: path })
  // 2 supervisor calls + 5 × 21 worker calls; 5 delegations + 5 × 20 echo calls.
  const expected = { steps: 2 + WORKERS * (WORKER_TURNS + 1), toolCalls: WORKERS * (WORKER_TURNS + 1) }
  expectDone(result, 'S5 recording fan-out', expected)
  // The sub-agents ran at once: their model calls interleave in the transcript.
  const callers = readTranscript(path)
    .events.filter((event) => event.type === 'model.request' && event.path.includes('agent:worker'))
    .map((event) => /agent:(worker\d+)#/.exec(event.path)![1])
  const switches = callers.filter((caller, i) => i > 0 && caller !== callers[i - 1]).length
  if (switches < (WORKERS * WORKER_TURNS) / 2)
    throw new Error(`S5 recording fan-out: the sub-agents did not run at once (${switches} switches)`)
  // The scripted models are used up: the replays below would fail on any call that went live.
  return { name: 'fan-out', agent, path, ...expected }
}
