/**
 * A transcript that cannot be written (a full disk, an I/O error) ends its run with status
 * `error` and a TRANSCRIPT_WRITE error naming the file and the system's code; it never throws
 * from a callback, so the process and its other runs go on. What was written stays readable.
 */

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type BatonEvent, defineAgent, defineTool, readTranscript, run, stream } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { type TranscriptIo, TranscriptWriter } from '../src/transcript/writer.js'
import { HEADER } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-write-failure-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** An agent that calls a tool `turns - 1` times, then answers. */
function counter(turns = 4, latencyMs = 0) {
  const echo = defineTool({
    name: 'echo',
    description: 'Echoes a number',
    input: z.object({ n: z.number() }),
    run: ({ n }) => n,
  })
  const script = Array.from({ length: turns - 1 }, (_, i) => ({
    toolCalls: [{ name: 'echo', args: { n: i } }],
  }))
  const model = scriptedModel([...script, { text: 'counted' }], { latencyMs })
  return defineAgent({ name: 'counter', instructions: 'Count.', model, tools: [echo] })
}

const failingErrno = (code: string) => Object.assign(new Error(`${code}: i/o error, write`), { code })

/** Real file operations, except that writes after the first `ok` fail with `code`. */
function failingIo(ok: number, code = 'EIO'): TranscriptIo {
  let writes = 0
  return {
    open: (path, flags, callback) => fs.open(path, flags, callback),
    openSync: (path, flags) => fs.openSync(path, flags),
    writeSync: (fd, text) => {
      if (++writes > ok) throw failingErrno(code)
      return writeSync(fd, text)
    },
    closeSync: (fd) => fs.closeSync(fd),
  }
}

const event = (n: number, durationMs?: number): BatonEvent =>
  (durationMs === undefined
    ? { type: 'memory.write', path: `root/${n}/tool/c`, key: `k${n}`, value: n, by: 'root' }
    : {
        type: 'model.response',
        path: `root/${n}/model`,
        message: { role: 'assistant', content: `answer ${n}` },
        usage: { inputTokens: 1, outputTokens: 1 },
        costUsd: 0,
        finishReason: 'stop',
        durationMs,
      }) as BatonEvent

describe.skipIf(!existsSync('/dev/full'))('recording to a full disk (/dev/full)', () => {
  it('ends that run with TRANSCRIPT_WRITE naming the file and ENOSPC; a concurrent run finishes', async () => {
    const ok = join(dir, 'ok.jsonl')
    const [full, fine] = await Promise.all([
      run(counter(6, 2), 'Count to six', { record: '/dev/full' }),
      run(counter(6, 2), 'Count to six', { record: ok }),
    ])
    expect(full.status).toBe('error')
    expect(full.stopReason).toBe('TRANSCRIPT_WRITE')
    expect(full.error?.code).toBe('TRANSCRIPT_WRITE')
    expect(full.error?.message).toContain('/dev/full')
    expect(full.error?.message).toContain('ENOSPC')
    expect(full.error?.details).toMatchObject({ path: '/dev/full', errno: 'ENOSPC' })
    expect(full.transcript).toBeUndefined()
    expect(fine.status).toBe('done')
    expect(readTranscript(ok).events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
  })

  it('ends a streamed run the same way, its last event saying so', async () => {
    const events = stream(counter(), 'Count', { record: '/dev/full' })
    const seen: BatonEvent[] = []
    for await (const e of events) seen.push(e)
    const result = await events.result
    expect(result.error?.code).toBe('TRANSCRIPT_WRITE')
    expect(seen.at(-1)).toMatchObject({ type: 'run.end', status: 'error' })
  })

  it('leaves many runs in one process unharmed', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        run(counter(3), 'Count', { record: i % 2 ? '/dev/full' : join(dir, `many-${i}.jsonl`) }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual(['done', 'error', 'done', 'error', 'done', 'error'])
  })

  it('keeps the process alive until every run has returned (a real process, `npm test` builds first)', () => {
    const script = `
      import { defineAgent, run } from './dist/index.js'
      import { scriptedModel } from './dist/testing/index.js'
      const agent = () => defineAgent({ name: 'a', instructions: 'Answer.', model: scriptedModel([{ text: 'hi' }], { latencyMs: 5 }) })
      const results = await Promise.all([run(agent(), 'Hi', { record: '/dev/full' }), run(agent(), 'Hi')])
      console.log(JSON.stringify(results.map((r) => [r.status, r.error?.code ?? null])))
    `
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    expect(JSON.parse(child.stdout)).toEqual([
      ['error', 'TRANSCRIPT_WRITE'],
      ['done', null],
    ])
  }, 60_000)
})

describe('a transcript writer whose writes fail', () => {
  it('reports EIO once, stops writing, and leaves what it wrote readable', async () => {
    const path = join(dir, 'eio.jsonl')
    const errors: Error[] = []
    // The header and two events get written, then the disk fails.
    const writer = new TranscriptWriter(path, HEADER, (error) => errors.push(error), failingIo(3))
    await writer.ready()
    writer.write(event(1, 5), 0, 0)
    writer.write(event(2, 5), 1, 1)
    expect(errors).toEqual([])
    writer.write(event(3, 5), 2, 2)
    writer.write(event(4, 5), 3, 3)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'TRANSCRIPT_WRITE', details: { path, errno: 'EIO' } })
    expect(errors[0]!.message).toContain(path)
    expect(errors[0]!.message).toContain('EIO')
    expect(await writer.close()).toBe(errors[0])
    const written = readTranscript(path)
    expect(written.events.map((e) => e.path)).toEqual(['root/1/model', 'root/2/model'])
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true)
  })

  it('does not throw from the idle flush: the failure reaches onError', async () => {
    const errors: Error[] = []
    const writer = new TranscriptWriter(join(dir, 'idle.jsonl'), HEADER, (e) => errors.push(e), failingIo(1))
    await writer.ready()
    // Instant steps wait for the next idle moment to be written.
    writer.write(event(1), 0, 0)
    expect(errors).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['TRANSCRIPT_WRITE'])
    await writer.close()
  })

  it('reports a failure of the last write, on close', async () => {
    const errors: Error[] = []
    const writer = new TranscriptWriter(
      join(dir, 'close.jsonl'),
      HEADER,
      (e) => errors.push(e),
      failingIo(1, 'ENOSPC'),
    )
    await writer.ready()
    writer.write(event(1), 0, 0)
    const failure = await writer.close()
    expect(failure).toMatchObject({ code: 'TRANSCRIPT_WRITE', details: { errno: 'ENOSPC' } })
    expect(errors).toEqual([failure])
  })
})
