import type { Memory } from '../memory/index.js'

/** Keys handed out and not yet written, per run's memory: concurrent sub-agents may want the same. */
const claimed = new WeakMap<Memory, Set<string>>()

/**
 * The memory key for the whole value of a truncated result: `base` (`tools/<name>/<callId>`)
 * unless another call holds it — a provider that numbers its calls per response sends `c1`
 * every step — then `base/2`, `base/3`, … (a call id is made key-safe without `/`, so no other
 * call's base is one of these). The step that wrote a key may take it again (a resumed run
 * repeating its step). A replay does not choose: it takes the recorded key.
 */
export function claimResultKey(memory: Memory, base: string, step: string): string {
  let keys = claimed.get(memory)
  if (!keys) {
    keys = new Set()
    claimed.set(memory, keys)
  }
  for (let n = 1; ; n++) {
    const key = n === 1 ? base : `${base}/${n}`
    const held = memory.get(key)
    if (keys.has(key) || (held && held.step !== step)) continue
    keys.add(key)
    return key
  }
}

/** Gives a claimed key back once its value is written (or was never going to be). */
export function releaseResultKey(memory: Memory, key: string): void {
  claimed.get(memory)?.delete(key)
}
