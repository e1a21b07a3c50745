/**
 * What a file of wire tests shares: an msw server that fails on any request no handler takes,
 * reset after each test, and a temporary directory for the transcripts its runs record; both
 * set up and torn down with the file.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll } from 'vitest'

export function wireServer(prefix: string) {
  const server = setupServer()
  let dir = ''
  let runs = 0
  beforeAll(() => {
    server.listen({ onUnhandledRequest: 'error' })
    dir = mkdtempSync(join(tmpdir(), prefix))
  })
  afterEach(() => server.resetHandlers())
  afterAll(() => {
    server.close()
    rmSync(dir, { recursive: true, force: true })
  })
  /** A new transcript path in the directory. */
  const transcript = () => join(dir, `run-${++runs}.jsonl`)
  return { server, transcript }
}
