import { BatonError } from '../errors/index.js'
import type { BatonEvent } from '../events/index.js'
import { fileProblem, readTextFile } from '../files/read-text.js'
import { agentRefProblem } from './agent-refs.js'
import { deeperThan, MAX_DEPTH } from './depth.js'
import { migrations } from './migrations/index.js'
import { type AgentTree, TRANSCRIPT_VERSION, type Transcript, type TranscriptHeader } from './types.js'
import { describeMisfit, eventMisfit, headerMisfit } from './validate.js'

/**
 * Reads a transcript. A cut-off last line (a crash mid-write) is dropped and reported as
 * `truncated`; anything else that is wrong is an error naming the file, the line and the problem.
 */
export function readTranscript(path: string): Transcript {
  let text: string
  try {
    text = readTextFile(path)
  } catch (error) {
    throw new BatonError('TRANSCRIPT', `${path}: cannot read the transcript: ${fileProblem(error)}`, {
      cause: error,
      details: { path },
    })
  }
  return parseTranscript(text, path)
}

const TOO_DEEP = `nested more than ${MAX_DEPTH} levels deep, which Baton never writes: the line is damaged; repair or remove it, or record the run again`

export function parseTranscript(text: string, path = '<transcript>'): Transcript {
  const fail = (line: number, problem: string): never => {
    throw new BatonError('TRANSCRIPT', `${path}:${line}: ${problem}`, { details: { path, line } })
  }
  if (typeof text !== 'string')
    throw new BatonError(
      'TRANSCRIPT',
      `${path}: expected the text of a transcript, got ${text === null ? 'null' : typeof text}`,
    )
  // A byte-order mark an editor put in front is not part of the first line.
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n')
  const endsCleanly = lines.at(-1) === ''
  if (endsCleanly) lines.pop()
  if (lines.length === 0) fail(1, 'the file is empty; a transcript starts with a header line')
  let truncated = false
  let digest: string | undefined
  const records: Record<string, unknown>[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    try {
      const record = JSON.parse(line)
      if (typeof record !== 'object' || record === null || Array.isArray(record))
        fail(i + 1, 'expected a JSON object')
      // Nesting n deep takes 2n characters: only long lines can be too deep to handle.
      if (line.length > 2 * MAX_DEPTH && deeperThan(record, MAX_DEPTH)) fail(i + 1, TOO_DEEP)
      // The chain is the file's, not the event's: `baton verify` checks it.
      if (typeof record.chain === 'string') {
        digest = record.chain.split('.')[1]
        delete record.chain
      }
      records.push(record)
    } catch (error) {
      if (error instanceof BatonError) throw error
      // Valid JSON nested too deep for this engine's parser: not a cut-off line either.
      if (error instanceof RangeError) fail(i + 1, TOO_DEEP)
      // Only the very last line may be cut off by a crash.
      if (i === lines.length - 1 && !endsCleanly && i > 0) {
        truncated = true
        break
      }
      fail(i + 1, `not JSON (${(error as Error).message}); is this a Baton transcript?`)
    }
  }
  const header = records.shift()!
  if (header.type !== 'header')
    fail(1, `expected a header line ({"type":"header",...}), got type ${JSON.stringify(header.type)}`)
  const version = header.version
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    fail(1, `the header has no valid "version" (got ${JSON.stringify(version)})`)
  }
  if ((version as number) > TRANSCRIPT_VERSION) {
    fail(
      1,
      `transcript schema version ${version} is newer than this Baton reads (up to ${TRANSCRIPT_VERSION}); upgrade Baton`,
    )
  }
  for (let from = version as number; from < TRANSCRIPT_VERSION; from++) {
    const migration = migrations[from]
    if (!migration) fail(1, `transcript schema version ${from} cannot be migrated to ${TRANSCRIPT_VERSION}`)
    migration!.migrate(header, records)
    header.version = from + 1
  }
  const wrongHeader = headerMisfit(header)
  if (wrongHeader) fail(1, `header: ${describeMisfit(wrongHeader)}`)
  const wrongRef = agentRefProblem(header.agent as AgentTree)
  if (wrongRef) fail(1, `header: "${wrongRef.field}" ${wrongRef.problem}`)
  records.forEach((record, i) => {
    const wrong = eventMisfit(record)
    if (!wrong) return
    const what = typeof record.type === 'string' ? `${record.type} event` : 'event'
    fail(i + 2, `${what}: ${describeMisfit(wrong)}`)
  })
  return {
    path,
    header: header as unknown as TranscriptHeader,
    events: records as unknown as BatonEvent[],
    truncated,
    ...(digest ? { digest } : {}),
  }
}
