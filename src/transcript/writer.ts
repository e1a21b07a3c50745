/**
 * @module transcript
 * JSONL, append-only, written with synchronous writes so that what is written survives the
 * process being killed at any moment. Lines are buffered and written together, once per step:
 * when a step completes (a model response, a tool result, an agent's end...) its lines are
 * written at the next idle moment of the event loop (or at 64 KB), so a burst of instant steps
 * costs one write instead of hundreds, and each of many concurrent runs writes once per step
 * (its model response, its tool calls and results and its next request together). An `eager`
 * writer (a run whose events are streamed to a reader) also writes a step that took 1 ms or
 * more at once, so that what a reader is handed is already on disk.
 * Either way a crash loses at most the step in flight.
 *
 * Every line is chained to the one before (see chain.ts): its last field is its digest. A run
 * given a signing key signs the last line of each write, so what is on disk is signed.
 */
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  open as openFile,
  openSync,
  statSync,
  writeSync,
} from 'node:fs'
import { resolve as absolutePath, dirname } from 'node:path'
import { BatonError } from '../errors/index.js'
import type { BatonEvent, BatonEventType } from '../events/index.js'
import { withFields } from '../objects.js'
import { lineDigest, type Signer, sign, withChain } from './chain.js'
import { knownJson } from './known-json.js'
import { REDACTED, type Redactor, redactor } from './redact.js'
import { transcriptJson } from './transcript-json.js'
import type { TranscriptHeader } from './types.js'

/** The file operations a writer uses (a seam for tests of failing disks). */
export interface TranscriptIo {
  open: (
    path: string,
    flags: 'w',
    callback: (error: (Error & { code?: string }) | null, fd: number) => void,
  ) => void
  openSync: (path: string, flags: 'w') => number
  writeSync: (fd: number, text: string) => unknown
  closeSync: (fd: number) => void
  /**
   * Checks, before the run starts, that a transcript can be made at `path` (throws if not).
   * Default: the directory is made if needed and must take files.
   */
  check?: (path: string) => void
  /** Given the writer's `flush` when the writer is made: lets the io write what waits, when it must. */
  attach?: (flush: () => void) => void
}

const nodeIo: TranscriptIo = { open: openFile, openSync, writeSync, closeSync }

export interface TranscriptWriterOptions {
  /**
   * Write a step that took 1 ms or more (a real model call, a tool that did real work) at
   * once, not at the next idle moment: for runs whose events a reader sees as they happen,
   * so that an event it is handed is already on disk. Default true.
   */
  eager?: boolean
  /** Signs the run: the last line of each write gets a signature of its digest. */
  signer?: Signer
}

// Events that only open a step: losing them in a crash loses nothing that completed.
const OPENING = new Set<BatonEventType>([
  'agent.start',
  'model.request',
  'tool.call',
  'tool.progress',
  'approval.request',
  // Kept only on request (`recordDeltas`); the response that follows holds all they said.
  'model.delta',
  'model.restart',
])
const SLOW_STEP_MS = 1
const MAX_BUFFER = 64 * 1024

const writers = new Set<TranscriptWriter>()
/** The absolute paths of the files being written. */
const writing = new Set<string>()
let exitHook = false

export class TranscriptWriter {
  private fd: number | undefined
  private closed = false
  private buffer = ''
  private idleFlush: NodeJS.Immediate | undefined
  private readonly redact: Redactor = redactor()
  private readonly opened: Promise<void>
  private failure: BatonError | undefined
  private readonly eager: boolean
  private readonly signer: Signer | undefined
  /** The absolute path this writer holds (a file on disk), so that no other run writes it meanwhile. */
  private held: string | undefined
  /** The chain so far: the number and digest of the last line, and the last line signed. */
  private lines = 0
  private last = ''
  private signed = 0

  /**
   * Checks the place synchronously (so a bad path fails before the run starts), then creates
   * the file in the background: creating files can block for a while on a busy disk, and the
   * first step has nothing to write yet. Lines wait in the buffer until the file is there.
   * A write that fails later (a full disk, an I/O error) never throws: the writer stops and
   * `onError` gets a `TRANSCRIPT_WRITE` error naming the file and the system's error code.
   */
  constructor(
    readonly path: string,
    header: TranscriptHeader,
    private readonly onError: (error: BatonError) => void = () => {},
    private readonly io: TranscriptIo = nodeIo,
    { eager = true, signer }: TranscriptWriterOptions = {},
  ) {
    this.eager = eager
    this.signer = signer
    const fail = (error: unknown) =>
      new BatonError('TRANSCRIPT', `cannot write the transcript to ${path}: ${(error as Error).message}`, {
        cause: error,
        details: { path },
      })
    // Two runs of this process writing one file would interleave their lines into neither's
    // transcript: the second is refused before it starts.
    const held = io === nodeIo ? absolutePath(path) : undefined
    if (held !== undefined && writing.has(held))
      throw fail(new Error('another run of this process is writing it; give each run its own record path'))
    try {
      const check = io.check ?? checkPlace
      check(path)
    } catch (error) {
      throw fail(error)
    }
    this.held = held
    if (held !== undefined) writing.add(held)
    this.buffer = this.chained('{', headerJson(header, this.redact))
    io.attach?.(() => this.flush())
    this.opened = new Promise((resolve) => {
      io.open(path, 'w', (error, fd) => {
        if (error) {
          this.closed = true
          this.failure = fail(error)
          this.forget()
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
    this.buffer += this.chained(
      `{"seq":${seq},"t":${t},`,
      eventJson(secretEntry(event, this.redact), this.redact),
    )
    if (this.buffer.length >= MAX_BUFFER || (this.eager && slowStep(event))) this.flush()
    else if (!OPENING.has(event.type)) this.idleFlush ??= setImmediate(() => this.flush())
  }

  /** Writes everything buffered, now (or as soon as the file exists). Never throws. */
  flush(): void {
    if (this.idleFlush) {
      clearImmediate(this.idleFlush)
      this.idleFlush = undefined
    }
    if (this.fd === undefined || this.buffer === '') return
    if (this.signer && this.signed < this.lines) {
      // The buffer ends with the last line's chain field, `…"}\n`: its signature goes in it.
      const signature = sign(this.signer, this.lines, this.last)
      this.buffer = `${this.buffer.slice(0, -3)}.${signature}"}\n`
      this.signed = this.lines
    }
    try {
      this.io.writeSync(this.fd, this.buffer)
      this.buffer = ''
    } catch (error) {
      this.failed(error)
    }
  }

  /** The digest of the last line so far: once the run has ended, the run's digest. */
  get digest(): string {
    return this.last
  }

  /**
   * One line, its chain field added, with its newline: `open` (`{` and the fields that go
   * first), then the fields of `json` (a JSON object's text).
   */
  private chained(open: string, json: string): string {
    const n = ++this.lines
    const inner = json.slice(1, -1)
    this.last = lineDigest(this.last, n, `${open}${inner}}`)
    return withChain(open, inner, n, this.last)
  }

  /** Resolves once the file exists, with the error if it could not be created or written. */
  async ready(): Promise<BatonError | undefined> {
    await this.opened
    return this.failure
  }

  /** The process is exiting: write what is buffered, creating the file now if it is not there yet. */
  flushOnExit(): void {
    if (this.closed) return
    try {
      if (this.fd === undefined) this.fd = this.io.openSync(this.path, 'w')
    } catch {
      // Nothing more can be done for this file at exit; the other writers still get their turn.
      return
    }
    this.flush()
  }

  /** Writes what is left and closes the file; resolves with the error if a write failed. */
  async close(): Promise<BatonError | undefined> {
    await this.opened
    this.flush()
    this.closed = true
    this.forget()
    this.release()
    return this.failure
  }

  /** A write failed: stop writing (what is on disk stays readable) and say why, once. */
  private failed(error: unknown): void {
    if (this.failure) return
    this.closed = true
    this.buffer = ''
    this.forget()
    this.release()
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO'
    const message = (error as Error).message ?? String(error)
    this.failure = new BatonError(
      'TRANSCRIPT_WRITE',
      `cannot write the transcript ${this.path}: ${message.includes(code) ? message : `${code}: ${message}`}`,
      { cause: error, details: { path: this.path, errno: code } },
    )
    this.onError(this.failure)
  }

  /** No longer one of the writers to flush at exit, nor holding its path. */
  private forget(): void {
    writers.delete(this)
    if (this.held !== undefined) writing.delete(this.held)
  }

  private release(): void {
    if (this.fd === undefined) return
    const fd = this.fd
    this.fd = undefined
    try {
      this.io.closeSync(fd)
    } catch {
      // The file is given up either way; a close error adds nothing to the write error.
    }
  }
}

// Directories found writable since the event loop last went idle: runs started together (a
// `Promise.all` of many) check their directory once. The next turn checks again, so a directory
// removed in between is still reported before a run starts.
const checkedDirs = new Set<string>()

/**
 * Creates the file's directory if needed and checks that a file can be written there. Only the
 * directory is checked: looking the file up would wait on the directory's lock while other runs
 * create their files in it.
 */
/** The first part of `dir` that exists and is not a directory. */
function fileOnTheWay(dir: string): string {
  let at = dir
  for (let up = dirname(at); up !== at; at = up, up = dirname(at)) {
    let directory = false
    try {
      directory = statSync(up, { throwIfNoEntry: false })?.isDirectory() === true
    } catch {
      // A path through a file cannot even be looked at: go on up.
    }
    if (directory) break
  }
  return at
}

function checkPlace(path: string): void {
  const dir = dirname(path)
  if (checkedDirs.has(dir)) return
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // A file where a directory of the path should be: say which, not the system's words.
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new Error(`${fileOnTheWay(dir)} is a file, not a directory`)
    throw error
  }
  try {
    accessSync(dir, constants.W_OK)
  } catch (error) {
    // A file that exists and takes writes is fine in a directory that does not (a device).
    try {
      accessSync(path, constants.W_OK)
    } catch {
      throw error
    }
    return
  }
  if (checkedDirs.size === 0) setImmediate(() => checkedDirs.clear()).unref()
  checkedDirs.add(dir)
}

/**
 * The header line. The agent tree's tool schemas come from the code, not from a model: a
 * parameter named `password` keeps its schema there (strings are still redacted).
 */
function headerJson(header: TranscriptHeader, redact: Redactor): string {
  const { agent, ...rest } = header
  const schemas: Redactor = withFields(redact, { secretName: () => false })
  return `${transcriptJson(rest, redact).slice(0, -1)},"agent":${transcriptJson(agent, schemas, 2)}}`
}

/** A completed step that took 1 ms or more (only completions carry `durationMs`). */
function slowStep(event: BatonEvent): boolean {
  const took = (event as { durationMs?: number }).durationMs
  return took !== undefined && took >= SLOW_STEP_MS && !OPENING.has(event.type)
}

// Where a model request's messages go in its line, when their JSON is already known.
const MESSAGES_AT = '"messages":0'

/**
 * The JSON of an event. A model request's new messages were serialized (redacted, at depth 2)
 * for its request hash: that text is spliced into the line instead of being made again.
 */
function eventJson(event: BatonEvent, redact: Redactor): string {
  const messages =
    event.type === 'model.request' || event.type === 'context.compact'
      ? knownJson(event.messages, redact, 2)
      : undefined
  if (messages === undefined) return transcriptJson(event, redact)
  // The spread keeps every field in its place; `"messages":0` cannot occur inside a JSON string
  // (a quote in a string is escaped), and no field before it nests objects.
  const json = transcriptJson(withFields(event, { messages: 0 }), redact)
  const at = json.indexOf(MESSAGES_AT)
  if (at < 0) return transcriptJson(event, redact)
  return `${json.slice(0, at + MESSAGES_AT.length - 1)}${messages}${json.slice(at + MESSAGES_AT.length)}`
}

/** A memory entry is a named field too: `secrets/api_key` keeps its key and loses its value. */
function secretEntry(event: BatonEvent, redact: Redactor): BatonEvent {
  if (event.type !== 'memory.write' || !secretKey(event.key, redact)) return event
  return withFields(event, { value: REDACTED }) as BatonEvent
}

/** Whether a memory key names a secret (its last segment does): its value is never written. */
export function secretKey(key: unknown, redact: Redactor): boolean {
  return typeof key === 'string' && redact.secretName(key.slice(key.lastIndexOf('/') + 1))
}
