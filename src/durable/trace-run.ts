/**
 * A durable run as one OpenTelemetry trace, sent by the worker that ends it. The run's stored
 * transcript is the whole run, but its times are not all the ones the steps had: an attempt
 * that took over a run replays what the earlier ones completed (in an instant), and a
 * sub-agent's events join its parent's transcript when it ends. Every attempt, the run's and
 * each sub-agent's, kept the times it wrote its events at: each event of the transcript is
 * traced at the earliest time it was written anywhere (a call is timed by an attempt that
 * finished it).
 */
import type { Tracer } from '@opentelemetry/api'
import type { BatonEvent } from '../events/index.js'
import type { RunResult } from '../run/types.js'
import { parseTranscript, type Transcript } from '../transcript/index.js'
import type { DurableStore } from './store.js'

/** One attempt's stored transcript (the run's, or a branch's when `id` is not the run's). */
export interface StoredAttempt {
  id: string
  attempt: number
  lines: string[]
}

/** Sends the spans of run `runId`, which ended with `result`, to `tracer`. */
export async function traceRun(
  store: DurableStore,
  runId: string,
  result: RunResult,
  tracer: Tracer,
): Promise<void> {
  const transcript = runTranscript(await store.everyAttempt(runId), runId, result)
  if (!transcript) return
  const { traceTranscript } = await import('../otel/trace.js')
  await traceTranscript(transcript, tracer)
}

/**
 * The run's transcript (its furthest attempt's, as `transcript()` gives it) with each event at
 * the time it first happened, counted from the run's first start; undefined if it wrote none.
 */
export function runTranscript(
  attempts: readonly StoredAttempt[],
  runId: string,
  result: RunResult,
): Transcript | undefined {
  const own = attempts.filter((each) => each.id === runId && each.lines.length > 0)
  // The furthest attempt: the most lines, the latest of those.
  const furthest = own.reduce<StoredAttempt | undefined>(
    (best, each) =>
      !best ||
      each.lines.length > best.lines.length ||
      (each.lines.length === best.lines.length && each.attempt > best.attempt)
        ? each
        : best,
    undefined,
  )
  if (!furthest) return undefined
  const transcript = parseTranscript(`${furthest.lines.join('\n')}\n`, pathOf(runId, furthest))
  const first = new Map<string, { at: number; event: BatonEvent }>()
  let startedAt = Date.parse(transcript.header.startedAt)
  for (const each of attempts) {
    const stored = each === furthest ? transcript : readable(each, runId)
    if (!stored) continue
    const start = Date.parse(stored.header.startedAt)
    if (each.id === runId) startedAt = Math.min(startedAt, start)
    // A call this attempt began and never finished (its worker died) was made again by the next
    // one: it is traced as that one made it.
    const finished = new Set(stored.events.filter(ends).map((event) => event.path))
    for (const [key, event] of keyed(stored.events)) {
      if ((event.type === 'model.request' || event.type === 'tool.call') && !finished.has(event.path))
        continue
      const at = start + (event.t ?? 0)
      const known = first.get(key)
      if (Number.isFinite(at) && (known === undefined || at < known.at)) first.set(key, { at, event })
    }
  }
  const furthestStart = Date.parse(transcript.header.startedAt)
  const events = keyed(transcript.events).map(([key, event]): BatonEvent => {
    const known = first.get(key)
    if (!known) return { ...event, t: furthestStart + (event.t ?? 0) - startedAt }
    const copy = { ...event, t: known.at - startedAt }
    // A call replayed in an instant took as long as it took when it happened.
    if ('durationMs' in copy && 'durationMs' in known.event) copy.durationMs = known.event.durationMs
    return copy
  })
  // A run that failed in its worker may not have said so: its end closes what is still open.
  const last = events.at(-1)
  if (last?.type !== 'run.end') {
    const end: BatonEvent = {
      type: 'run.end',
      path: 'root',
      status: result.status,
      stopReason: result.stopReason,
      output: result.output,
      usage: result.usage,
      t: last?.t ?? 0,
    }
    if (result.error) end.error = result.error
    events.push(end)
  }
  return {
    ...transcript,
    header: { ...transcript.header, startedAt: new Date(startedAt).toISOString() },
    events,
  }
}

const pathOf = (runId: string, stored: StoredAttempt) => `${runId}:${stored.id}/${stored.attempt}`

/** Whether an event ends a call's span: its answer, its failure, its result. */
const ends = (event: BatonEvent): boolean =>
  event.type === 'model.response' || event.type === 'model.error' || event.type === 'tool.result'

/** Another attempt read as a transcript; undefined if it cannot be read (its times are then left out). */
function readable(stored: StoredAttempt, runId: string): Transcript | undefined {
  try {
    return parseTranscript(`${stored.lines.join('\n')}\n`, pathOf(runId, stored))
  } catch {
    return undefined
  }
}

/**
 * Each event with what identifies it across attempts: what it says (not when, nor its place in
 * its transcript's order), and how many events before it in the same transcript said the same.
 */
function keyed(events: readonly BatonEvent[]): [string, BatonEvent][] {
  const seen = new Map<string, number>()
  return events.map((event) => {
    // How long a call took is when, not what: a replay of it says it took no time.
    const { seq: _, t: __, durationMs: ___, ...said } = event as BatonEvent & { durationMs?: number }
    const text = canonical(said)
    const n = seen.get(text) ?? 0
    seen.set(text, n + 1)
    return [`${n}:${text}`, event]
  })
}

/** JSON with every object's keys in order: the same event says the same, whoever wrote it. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  return JSON.stringify(value) ?? 'null'
}
