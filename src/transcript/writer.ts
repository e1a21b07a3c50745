/**
 * @module transcript
 * JSONL, append-only, written with synchronous writes so that what is written survives the
 * process being killed at any moment. When a step completes (a model response, a tool result,
 * an agent's end...) the buffer is written:
 * - at once when the step took 1 ms or more (every real model call): one write per step
 *   costs nothing next to it;
 * - otherwise at the next idle moment of the event loop (or at 64 KB), so a burst of instant
 *   steps (fake models, cached tools) costs one write instead of hundreds.
 * Either way a crash loses at most the step in flight.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { BatonError } from '../errors/index.js'
import type { BatonEvent, BatonEventType } from '../events/index.js'
import { secretRedactor } from './redact.js'
import { safeStringify } from './safe-json.js'
import type { TranscriptHeader } from './types.js'

// Events that only open a step: losing them in a crash loses nothing that completed.
const OPENING = new Set<BatonEventType>([
  'agent.start',
  'model.request',
  'tool.call',
  'tool.progress',
  'approval.request',
])
const SLOW_STEP_MS = 1
const MAX_BUFFER = 64 * 1024

const open = new Set<TranscriptWriter>()
let exitHook = false

export class TranscriptWriter {
  private fd: number | undefined
  private buffer = ''
  private idleFlush: NodeJS.Immediate | undefined
  private readonly redact = secretRedactor()

  constructor(
    readonly path: string,
    header: TranscriptHeader,
  ) {
    try {
      mkdirSync(dirname(path), { recursive: true })
      this.fd = openSync(path, 'w')
    } catch (error) {
      throw new BatonError(
        'TRANSCRIPT',
        `cannot write the transcript to ${path}: ${(error as Error).message}`,
        { cause: error },
      )
    }
    this.buffer = `${this.redact(safeStringify(header))}\n`
    this.flush()
    open.add(this)
    if (!exitHook) {
      exitHook = true
      process.on('exit', () => {
        for (const writer of open) writer.flush()
      })
    }
  }

  /** Appends one event as `{"seq":…,"t":…,"type":…,…}` (the event must not carry seq/t yet). */
  write(event: BatonEvent, seq: number, t: number): void {
    if (this.fd === undefined) return
    this.buffer += `{"seq":${seq},"t":${t},${this.redact(safeStringify(event)).slice(1)}\n`
    if (OPENING.has(event.type)) return
    const took = (event as { durationMs?: number }).durationMs
    if ((took !== undefined && took >= SLOW_STEP_MS) || this.buffer.length >= MAX_BUFFER) this.flush()
    else this.idleFlush ??= setImmediate(() => this.flush())
  }

  /** Writes everything buffered, now. */
  flush(): void {
    if (this.idleFlush) {
      clearImmediate(this.idleFlush)
      this.idleFlush = undefined
    }
    if (this.fd === undefined || this.buffer === '') return
    writeSync(this.fd, this.buffer)
    this.buffer = ''
  }

  close(): void {
    if (this.fd === undefined) return
    this.flush()
    closeSync(this.fd)
    this.fd = undefined
    open.delete(this)
  }
}
