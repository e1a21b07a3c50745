import { BatonError } from '../errors/index.js'
import type { ScopedMemory } from '../memory/index.js'
import type { Frame } from './frame.js'
import { stoppedOutcome } from './outcome.js'

/**
 * The memory a tool or goal check of this agent sees at step key `step`: the agent's scope,
 * each write recorded as a `memory.write` event. Once the agent has stopped, a write is refused:
 * work it abandoned (a tool that ignored its signal) must not change the run after its end, nor
 * after `run()` returned, and a replay could not write it again.
 */
export function agentMemory(frame: Frame, step: string): ScopedMemory {
  const { run } = frame
  const view = run.memory.scoped(
    frame.agent.memory,
    frame.path,
    () => step,
    (entry) =>
      run.emit({ type: 'memory.write', path: step, key: entry.key, value: entry.value, by: entry.by }),
  )
  return {
    read: (key) => view.read(key),
    entry: (key) => view.entry(key),
    list: (prefix) => view.list(prefix),
    write: (key, value) => {
      if (frame.stopped) throw stoppedError(frame, `memory write of ${JSON.stringify(key)}`)
      view.write(key, value)
    },
  }
}

/** The error for what an agent's abandoned work tries once the agent has stopped. */
export function stoppedError(frame: Frame, what: string): BatonError {
  const outcome = stoppedOutcome(frame)
  const why = outcome ? `${outcome.status} (${outcome.stopReason})` : 'stopped'
  return new BatonError('ABORTED', `${what} refused: agent ${frame.path} has stopped: ${why}`, {
    details: { path: frame.path },
  })
}
