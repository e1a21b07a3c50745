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
import { accessSync, closeSync, constants, mkdirSync, open as openFile, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { BatonError } from '../errors/index.js'
import type { BatonEvent, BatonEventType } from '../events/index.js'
import { type Redactor, redactor } from './redact.js'
import { transcriptJson } from './transcript-json.js'
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

const writers = new Set<TranscriptWriter>()
let exitHook = false

export class TranscriptWriter {
  private fd: number | undefined
  private closed = false
  private buffer = ''
  private idleFlush: NodeJS.Immediate | undefined
  private readonly redact: Redactor = redactor()
  private readonly opened: Promise<void>
  private failure: BatonError | undefined

  /**
   * Checks the place synchronously (so a bad path fails before the run starts), then creates
   * the file in the background: creating files can block for a while on a busy disk, and the
   * first step has nothing to write yet. Lines wait in the buffer until the file is there.
   */
  constructor(
    readonly path: string,
    header: TranscriptHeader,
    onError: (error: BatonError) => void = () => {},
  ) {
    const fail = (error: unknown) =>
      new BatonError('TRANSCRIPT', `cannot write the transcript to ${path}: ${(error as Error).message}`, {
        cause: error,
      })
    try {
      // Only the directory is checked here: looking the file up would wait on the directory's
      // lock while other runs create their files in it.
      const dir = dirname(path)
      mkdirSync(dir, { recursive: true })
      accessSync(dir, constants.W_OK)
    } catch (error) {
      throw fail(error)
    }
    this.buffer = `${headerJson(header, this.redact)}\n`
    this.opened = new Promise((resolve) => {
      openFile(path, 'w', (error, fd) => {
        if (error) {
          this.closed = true
          this.failure = fail(error)
          onError(this.failure)
        } else {
          this.fd = fd
          this.flush()
        }
        resolve()
      })
    })
    writers.add(this)
    if (!exitHook) {
      exitHook = true
      process.on('exit', () => {
        for (const writer of writers) writer.flushOnExit()
      })
    }
  }

  /** Appends one event as `{"seq":…,"t":…,"type":…,…}` (the event must not carry seq/t yet). */
  write(event: BatonEvent, seq: number, t: number): void {
    if (this.closed) return
    this.buffer += `{"seq":${seq},"t":${t},${transcriptJson(event, this.redact).slice(1)}\n`
    if (OPENING.has(event.type)) return
    const took = (event as { durationMs?: number }).durationMs
    if ((took !== undefined && took >= SLOW_STEP_MS) || this.buffer.length >= MAX_BUFFER) this.flush()
    else this.idleFlush ??= setImmediate(() => this.flush())
  }

  /** Writes everything buffered, now (or as soon as the file exists). */
  flush(): void {
    if (this.idleFlush) {
      clearImmediate(this.idleFlush)
      this.idleFlush = undefined
    }
    if (this.fd === undefined || this.buffer === '') return
    writeSync(this.fd, this.buffer)
    this.buffer = ''
  }

  /** Resolves once the file exists, with the error if it could not be created. */
  async ready(): Promise<BatonError | undefined> {
    await this.opened
    return this.failure
  }

  /** The process is exiting: write what is buffered, creating the file now if it is not there yet. */
  flushOnExit(): void {
    if (this.closed) return
    if (this.fd === undefined) this.fd = openSync(this.path, 'w')
    this.flush()
  }

  /** Writes what is left and closes the file. */
  async close(): Promise<void> {
    await this.opened
    this.flush()
    this.closed = true
    writers.delete(this)
    if (this.fd === undefined) return
    const fd = this.fd
    this.fd = undefined
    closeSync(fd)
  }
}

/**
 * The header line. The agent tree's tool schemas come from the code, not from a model: a
 * parameter named `password` keeps its schema there (strings are still redacted).
 */
function headerJson(header: TranscriptHeader, redact: Redactor): string {
  const { agent, ...rest } = header
  const schemas: Redactor = { ...redact, secretName: () => false }
  return `${transcriptJson(rest, redact).slice(0, -1)},"agent":${transcriptJson(agent, schemas, 2)}}`
}
