import type { Effects } from '../effects/index.js'
import type { TranscriptIo } from '../transcript/writer.js'
import type { DurableStore } from './store.js'

/** Transcript lines that go to the database, and a way to wait until they are there. */
export interface DatabaseIo extends TranscriptIo {
  /** Writes what the transcript writer holds and resolves once every line so far is stored. */
  drain(): Promise<void>
}

/**
 * The transcript of one attempt of a durable run, written to `baton.lines` instead of a file:
 * the writer's batches (a step's lines at a time) become one insert each, in order.
 */
export function databaseIo(store: DurableStore, runId: string, attempt: number): DatabaseIo {
  let next = 0
  let pending: Promise<void> = Promise.resolve()
  let failure: unknown
  let flush: (() => void) | undefined
  return {
    check: () => {},
    attach: (writerFlush) => {
      flush = writerFlush
    },
    open: (_path, _flags, callback) => setImmediate(() => callback(null, 1)),
    openSync: () => 1,
    writeSync: (_fd, text) => {
      // A failed insert fails the writer at its next write (the run then ends, its lines kept).
      if (failure) throw failure
      const lines = text.split('\n')
      lines.pop() // the writer writes whole lines, each ending in a newline
      const first = next
      next += lines.length
      pending = pending.then(async () => {
        if (failure) return
        try {
          await store.appendLines(runId, attempt, first, lines)
        } catch (error) {
          failure = error
        }
      })
    },
    closeSync: () => {},
    async drain() {
      flush?.()
      await pending
      if (failure) throw failure
    },
  }
}

/**
 * The durable door: before each effect (a model call, a tool call, a decision) every line
 * emitted so far is stored. What a run did before an effect is in the database when the
 * effect starts, so a run taken up again after its worker died finds every completed step,
 * and a tool call under way when the worker died is known to have started.
 */
export function durableDoor<E extends Effects>(
  effects: E,
  drain: () => Promise<void>,
  /** Numbers `agents/<name>/<n>` keys for the whole run, when its agents run on several workers. */
  delegationKeys?: (agent: string) => Promise<number>,
): E {
  return {
    ...effects,
    model: async (effect) => {
      await drain()
      return effects.model(effect)
    },
    tool: async (effect) => {
      await drain()
      return effects.tool(effect)
    },
    decision: async (kind, key, decide) => {
      await drain()
      if (kind !== 'delegation-key' || !delegationKeys) return effects.decision(kind, key, decide)
      return effects.decision(kind, key, async () => {
        const here = String(await decide())
        const agent = /^agents\/(.+)\/\d+$/.exec(here)?.[1]
        return (agent === undefined ? here : `agents/${agent}/${await delegationKeys(agent)}`) as Awaited<
          ReturnType<typeof decide>
        >
      })
    },
  }
}
