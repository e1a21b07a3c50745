/**
 * @module memory
 * The per-run blackboard. Every entry records who wrote it (agent path), at which step (a step
 * key) and when. Agents see it through a scoped view that refuses keys outside their globs.
 */
import { BatonError } from '../errors/index.js'
import { compileGlobs } from './glob.js'

/** A memory entry with its provenance. */
export interface MemoryEntry {
  key: string
  value: unknown
  /** The agent path that wrote it, e.g. `root/2/agent:researcher#0`. */
  by: string
  /** The step key of the write, e.g. `root/2/tool/call_1`. */
  step: string
  /** Epoch milliseconds of the write (from the run's clock). */
  at: number
}

/** Read/write key globs for one agent. Absent means everything. */
export interface MemoryScope {
  read?: string[]
  write?: string[]
}

/** What a tool or goal check sees: memory restricted to one agent's scope. */
export interface ScopedMemory {
  read(key: string): unknown
  /** The entry with its provenance, or undefined. */
  entry(key: string): MemoryEntry | undefined
  write(key: string, value: unknown): void
  /** Entries whose key starts with `prefix`, limited to what this agent may read. */
  list(prefix?: string): MemoryEntry[]
}

const KEY = /^[A-Za-z0-9_.:@-]+(\/[A-Za-z0-9_.:@-]+)*$/

export class Memory {
  // Made on the first write: most runs of a busy service never touch memory.
  private entries: Map<string, MemoryEntry> | undefined

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.entries?.size ?? 0
  }

  get(key: string): MemoryEntry | undefined {
    return this.entries?.get(key)
  }

  /** Writes without a scope check (the loop's own writes, and replays of recorded writes). */
  set(key: string, value: unknown, by: string, step: string, at = this.now()): MemoryEntry {
    checkKey(key)
    const entry: MemoryEntry = { key, value, by, step, at }
    this.entries ??= new Map()
    this.entries.set(key, entry)
    return entry
  }

  list(prefix = ''): MemoryEntry[] {
    const out: MemoryEntry[] = []
    if (this.entries)
      for (const entry of this.entries.values()) if (entry.key.startsWith(prefix)) out.push(entry)
    return out
  }

  /** A view for one agent: reads and writes outside `scope` throw a `MEMORY_SCOPE` error. */
  scoped(
    scope: MemoryScope | undefined,
    by: string,
    step: () => string,
    onWrite: (entry: MemoryEntry) => void,
  ): ScopedMemory {
    // An agent may always read back what compaction took out of its own history: its own
    // `context/` keys, not those of the sub-agents below it (their paths extend its own).
    const own = ownContextPrefix(by)
    const globs = scope?.read ? compileGlobs(scope.read) : undefined
    const canRead = globs
      ? (key: string) => (key.startsWith(own) && !SUB_AGENT.test(key.slice(own.length))) || globs(key)
      : () => true
    const canWrite = scope?.write ? compileGlobs(scope.write) : () => true
    const refuse = (what: 'read' | 'write', key: string, globs: string[] | undefined): never => {
      throw new BatonError(
        'MEMORY_SCOPE',
        `memory ${what} of ${JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}…` : key)} refused for ${by}: allowed ${what} keys are ${JSON.stringify(globs ?? [])}`,
        { details: { key, by, allowed: globs ?? [] } },
      )
    }
    return {
      read: (key) => {
        if (!canRead(given(key, 'read'))) refuse('read', key, scope?.read)
        return this.entries?.get(key)?.value
      },
      entry: (key) => {
        if (!canRead(given(key, 'entry'))) refuse('read', key, scope?.read)
        return this.entries?.get(key)
      },
      write: (key, value) => {
        checkKey(key)
        if (!canWrite(key)) refuse('write', key, scope?.write)
        onWrite(this.set(key, value, by, step()))
      },
      list: (prefix = '') => {
        if (typeof prefix !== 'string')
          throw new BatonError(
            'MEMORY_SCOPE',
            `memory list: the prefix must be a string such as "notes/", got ${describe(prefix)}`,
          )
        return this.list(prefix).filter((entry) => canRead(entry.key))
      },
    }
  }
}

/**
 * Where compaction keeps the tool results it takes out of the history of the agent at `path`:
 * `context/<path>/<callId>`, made key-safe (`root/2/agent:a#0` → `context/root/2/agent:a-0/`).
 */
export function ownContextPrefix(path: string): string {
  return `context/${keySafe(path)}/`
}

/** `text` with every character a key may not hold replaced (segments kept). */
export function keySafe(text: string): string {
  return (
    text
      .split('/')
      .map((segment) => segment.replace(/[^A-Za-z0-9_.:@-]/g, '-') || '_')
      .join('/') || '_'
  )
}

/** Where an agent's own `context/` keys continue with a sub-agent's: `<step>/agent:<name>-<n>/…`. */
const SUB_AGENT = /^\d+\/agent:[^/]*\//

/** `key`, when it is a string (a key that cannot be valid is simply not there to read). */
function given(key: unknown, what: 'read' | 'entry'): string {
  if (typeof key === 'string') return key
  throw new BatonError(
    'MEMORY_SCOPE',
    `memory ${what}: the key must be a string such as "notes/lisbon", got ${describe(key)}`,
  )
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object'
  return typeof value === 'string' || typeof value === 'number'
    ? `${typeof value} ${String(value)}`
    : typeof value
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new BatonError(
      'MEMORY_SCOPE',
      typeof key === 'string'
        ? `memory key ${JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}…` : key)} is invalid: use "/"-separated segments of letters, digits and _ . : @ -`
        : `memory key is invalid: it must be a string of "/"-separated segments of letters, digits and _ . : @ -, got ${describe(key)}`,
    )
  }
}
