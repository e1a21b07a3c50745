/** Small helpers the cross-module tests share. */
import { expect } from 'vitest'
import {
  BatonError,
  type BatonEvent,
  type ModelRequest,
  type RunStream,
  type ToolMessage,
} from '../src/index.js'

/** The INVALID_DEFINITION error `fn` throws (fails the test when it throws nothing or something else). */
export function definitionError(fn: () => unknown): BatonError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(BatonError)
    expect((error as BatonError).code).toBe('INVALID_DEFINITION')
    return error as BatonError
  }
  throw new Error('expected a definition error')
}

/** The BatonError a promise rejects with (fails the test when it resolves or throws something else). */
export async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(BatonError)
  return error as BatonError
}

/**
 * Reads a whole run: every event, then the result. `onEvent` sees each event as it comes, so a
 * test can act at a point in the run (abort once a retry is waiting) instead of after a delay.
 */
export async function collect<O>(
  events: RunStream<O>,
  onEvent?: (event: BatonEvent) => void,
): Promise<{ events: BatonEvent[]; result: Awaited<RunStream<O>['result']> }> {
  const seen: BatonEvent[] = []
  for await (const event of events) {
    seen.push(event)
    onEvent?.(event)
  }
  return { events: seen, result: await events.result }
}

/** The events of one type, typed. */
export function ofType<T extends BatonEvent['type']>(
  events: readonly BatonEvent[],
  type: T,
): Extract<BatonEvent, { type: T }>[] {
  return events.filter((e): e is Extract<BatonEvent, { type: T }> => e.type === type)
}

/** The tool results a request carries. */
export function toolMessages(request: ModelRequest | undefined): ToolMessage[] {
  return (request?.messages ?? []).filter((m): m is ToolMessage => m.role === 'tool')
}

/** Whether an event is a streamed piece of a model call (a transcript keeps none by default). */
export function isDelta(event: BatonEvent): boolean {
  return event.type === 'model.delta' || event.type === 'model.restart'
}

/** The events a transcript records of a stream: all but the deltas. */
export function recordedOf(events: readonly BatonEvent[]): BatonEvent[] {
  return events.filter((event) => !isDelta(event))
}

/**
 * The text each model call streamed, by step key: its text deltas joined, counting only those
 * after its last `model.restart` (what a reader shows once it dropped a cut attempt).
 */
export function streamedText(events: readonly BatonEvent[]): Map<string, string> {
  const texts = new Map<string, string>()
  for (const event of events) {
    if (event.type === 'model.restart') texts.set(event.path, '')
    else if (event.type === 'model.delta' && event.kind === 'text')
      texts.set(event.path, (texts.get(event.path) ?? '') + event.text)
  }
  return texts
}

/** A transcript header for tests that write transcripts by hand. */
export const HEADER = {
  type: 'header' as const,
  version: 1,
  baton: 'test',
  runId: 'run_1',
  startedAt: new Date(0).toISOString(),
  task: 'Count',
  agent: { name: 'counter', description: '', model: 'scripted:model', tools: [], specHash: 'x', agents: [] },
  budget: {},
}
