import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { defineAgent } from '../agent/index.js'
import { BatonError } from '../errors/index.js'
import { run } from '../run/index.js'
import { scriptedModel } from '../testing/index.js'
import { defineTool } from '../tool/index.js'
import { lineRecord, parseTranscript, readTranscript } from './index.js'

let dir: string
/** A real transcript: its path, its text and its lines (without the trailing newline). */
let recorded: { path: string; text: string; lines: string[] }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-reader-'))
  const path = join(dir, 'run.jsonl')
  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks a word up',
    input: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
    run: ({ word }) => `${word}: a word`,
  })
  const model = scriptedModel([
    { toolCalls: [{ name: 'lookup', args: { word: 'baton' } }] },
    { text: 'A baton is passed.' },
  ])
  const agent = defineAgent({ name: 'reader', instructions: 'Look words up.', model, tools: [lookup] })
  const result = await run(agent, 'What is a baton?', { record: path })
  expect(result.status).toBe('done')
  const text = readFileSync(path, 'utf8')
  recorded = { path, text, lines: text.slice(0, -1).split('\n') }
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Writes `text` to a fresh file in the temp dir and returns its path. */
let files = 0
function file(text: string): string {
  const path = join(dir, `case-${files++}.jsonl`)
  writeFileSync(path, text)
  return path
}

const joined = (lines: string[]) => `${lines.join('\n')}\n`

/** Asserts that `read` throws a TRANSCRIPT error naming `path` and `line`, saying `says`. */
function expectTranscriptError(
  read: () => unknown,
  path: string,
  line: number,
  says: RegExp,
  errorClass: typeof BatonError = BatonError,
): BatonError {
  let thrown: unknown
  try {
    read()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(errorClass)
  const error = thrown as BatonError
  expect(error.code).toBe('TRANSCRIPT')
  expect(error.message).toContain(`${path}:${line}:`)
  expect(error.message).toMatch(says)
  expect(error.details).toEqual({ path, line })
  return error
}

describe('readTranscript', () => {
  it('reads back the header and every event as written', () => {
    const transcript = readTranscript(recorded.path)
    // Each line as written, less its chain field: that is the file's, and `digest` says where it ends.
    const [header, ...events] = recorded.lines.map((line) => lineRecord(line))
    expect(transcript.digest).toBe(JSON.parse(recorded.lines.at(-1)!).chain.split('.')[1])
    expect(transcript.digest).toMatch(/^[0-9a-f]{64}$/)
    expect(transcript.path).toBe(recorded.path)
    expect(transcript.truncated).toBe(false)
    expect(transcript.header).toEqual(header)
    expect(transcript.header).toMatchObject({ type: 'header', version: 1, task: 'What is a baton?' })
    expect(transcript.events).toEqual(events)
    expect(transcript.events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
    expect(transcript.events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
  })

  it('parses text the same way, naming it <transcript> by default', () => {
    const parsed = parseTranscript(recorded.text)
    expect(parsed.path).toBe('<transcript>')
    expect(parsed).toEqual({ ...readTranscript(recorded.path), path: '<transcript>' })
  })

  it('accepts a header with no events yet', () => {
    const transcript = readTranscript(file(joined(recorded.lines.slice(0, 1))))
    expect(transcript.events).toEqual([])
    expect(transcript.truncated).toBe(false)
  })

  it('reports a cut-off last line as truncated, with every earlier event intact', () => {
    const last = recorded.lines.at(-1)!
    const start = recorded.text.length - last.length - 1
    const earlier = recorded.lines.slice(1, -1).map((line) => lineRecord(line))
    // Every cut inside the last line, as a crash mid-write would leave it.
    for (let cut = start + 1; cut < start + last.length; cut++) {
      const transcript = parseTranscript(recorded.text.slice(0, cut), 'cut.jsonl')
      expect(transcript.truncated, `cut at ${cut}`).toBe(true)
      expect(transcript.events).toEqual(earlier)
    }
    const path = file(recorded.text.slice(0, start + 10))
    const transcript = readTranscript(path)
    expect(transcript.truncated).toBe(true)
    expect(transcript.events).toEqual(earlier)
    expect(transcript.header.runId).toEqual(JSON.parse(recorded.lines[0]!).runId)
  })

  it('reads a file cut exactly at a line boundary as complete', () => {
    const withoutLast = joined(recorded.lines.slice(0, -1))
    expect(parseTranscript(withoutLast).truncated).toBe(false)
    const withoutNewline = recorded.text.slice(0, -1)
    const transcript = parseTranscript(withoutNewline)
    expect(transcript.truncated).toBe(false)
    expect(transcript.events).toHaveLength(recorded.lines.length - 1)
  })

  it('refuses a non-JSON line in the middle, naming the file and the line', () => {
    const lines = recorded.lines.slice()
    lines[3] = 'this is not json'
    const path = file(joined(lines))
    expectTranscriptError(() => readTranscript(path), path, 4, /not JSON/)
  })

  it('refuses a cut-off line that is not the last one', () => {
    const lines = recorded.lines.slice()
    lines[2] = lines[2]!.slice(0, 20)
    const path = file(joined(lines))
    expectTranscriptError(() => readTranscript(path), path, 3, /not JSON/)
  })

  it('refuses a cut-off last line when the file ends with a newline', () => {
    const lines = recorded.lines.slice()
    lines[lines.length - 1] = lines.at(-1)!.slice(0, 20)
    const path = file(joined(lines))
    expectTranscriptError(() => readTranscript(path), path, lines.length, /not JSON/)
  })

  it('refuses a blank line in the middle', () => {
    const lines = recorded.lines.slice()
    lines.splice(2, 0, '')
    const path = file(joined(lines))
    expectTranscriptError(() => readTranscript(path), path, 3, /not JSON/)
  })

  it('refuses a line that is JSON but not an object', () => {
    for (const bad of ['[1, 2]', '42', 'null', '"text"']) {
      const lines = recorded.lines.slice()
      lines[1] = bad
      const path = file(joined(lines))
      expectTranscriptError(() => readTranscript(path), path, 2, /expected a JSON object/)
    }
  })

  it('refuses a file without a header', () => {
    const path = file(joined(recorded.lines.slice(1)))
    expectTranscriptError(() => readTranscript(path), path, 1, /expected a header line.*"run.start"/)
  })

  it('refuses a header cut off by a crash', () => {
    const path = file(recorded.lines[0]!.slice(0, 30))
    expectTranscriptError(() => readTranscript(path), path, 1, /not JSON/)
  })

  it('refuses a header from a newer schema version, saying to upgrade', () => {
    const header = { ...JSON.parse(recorded.lines[0]!), version: 99 }
    const path = file(joined([JSON.stringify(header), ...recorded.lines.slice(1)]))
    expectTranscriptError(() => readTranscript(path), path, 1, /version 99 is newer.*upgrade/)
  })

  it('refuses a header without a valid version', () => {
    const { version: _, ...rest } = JSON.parse(recorded.lines[0]!)
    for (const header of [
      rest,
      { ...rest, version: '1' },
      { ...rest, version: 0 },
      { ...rest, version: 1.5 },
    ]) {
      const path = file(joined([JSON.stringify(header), ...recorded.lines.slice(1)]))
      expectTranscriptError(() => readTranscript(path), path, 1, /no valid "version"/)
    }
  })

  it('refuses an event without seq, type or path, naming its line and the field', () => {
    for (const field of ['seq', 'type', 'path']) {
      const lines = recorded.lines.slice()
      const event = JSON.parse(lines[4]!)
      delete event[field]
      lines[4] = JSON.stringify(event)
      const path = file(joined(lines))
      expectTranscriptError(() => readTranscript(path), path, 5, new RegExp(`"${field}" is missing`))
    }
  })

  it('refuses an empty file', () => {
    const path = file('')
    expectTranscriptError(() => readTranscript(path), path, 1, /empty/)
  })

  it('refuses a file that does not exist, naming it', () => {
    const path = join(dir, 'missing', 'nothing-here.jsonl')
    let thrown: unknown
    try {
      readTranscript(path)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(BatonError)
    expect((thrown as BatonError).code).toBe('TRANSCRIPT')
    expect((thrown as BatonError).message).toContain(path)
    expect((thrown as BatonError).message).toBe(`${path}: cannot read the transcript: no such file`)
    // The system's own error stays as the cause, with its code.
    expect(((thrown as BatonError).cause as NodeJS.ErrnoException).code).toBe('ENOENT')
  })
})

describe('migrations', () => {
  afterEach(() => {
    vi.doUnmock('./types.js')
    vi.doUnmock('./migrations/index.js')
    vi.resetModules()
  })

  /** The reader as it would be if this Baton wrote schema version 3, with `migrations`. */
  async function readerAt3(migrations: Record<number, unknown>) {
    vi.resetModules()
    vi.doMock('./types.js', async (importOriginal) => ({
      ...(await importOriginal<typeof import('./types.js')>()),
      TRANSCRIPT_VERSION: 3,
    }))
    vi.doMock('./migrations/index.js', () => ({ migrations }))
    // Fresh modules: the reader throws the fresh module's BatonError.
    const { BatonError: FreshBatonError } = await import('../errors/index.js')
    return { parse: (await import('./reader.js')).parseTranscript, FreshBatonError }
  }

  it('pass an older transcript through each migration in order, up to the current version', async () => {
    const seen: number[] = []
    const { parse } = await readerAt3({
      1: {
        migrate(header: Record<string, unknown>, events: Record<string, unknown>[]) {
          seen.push(header.version as number)
          header.migratedFrom1 = true
          for (const event of events) if (event.type === 'tool.result') event.type = 'tool.output'
        },
      },
      2: {
        migrate(header: Record<string, unknown>, events: Record<string, unknown>[]) {
          seen.push(header.version as number)
          for (const event of events) if (event.type === 'tool.output') event.type = 'tool.done'
        },
      },
    })
    const transcript = parse(recorded.text, 'v1.jsonl')
    expect(seen).toEqual([1, 2])
    expect(transcript.header).toMatchObject({ version: 3, migratedFrom1: true })
    expect(transcript.events.map((e) => e.type)).toContain('tool.done')
    expect(transcript.events.map((e) => e.type)).not.toContain('tool.result')
  })

  it('refuse a version no migration reads', async () => {
    const { parse, FreshBatonError } = await readerAt3({ 2: { migrate() {} } })
    expectTranscriptError(
      () => parse(recorded.text, 'v1.jsonl'),
      'v1.jsonl',
      1,
      /version 1 cannot be migrated to 3/,
      FreshBatonError,
    )
  })
})
