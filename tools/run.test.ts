/**
 * The ready-made tools as a model uses them through `run()`: results and refusals both come
 * back to the model as tool results, and the run goes on.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineAgent, type ModelRequest, run, type Tool, type ToolMessage } from 'baton'
import { scriptedModel } from 'baton/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpFetch, memoryTools, workspaceTools } from './index.js'

let server: Server
let local: string
let base: string
let root: string

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('tram 28'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  base = await mkdtemp(join(tmpdir(), 'baton-tools-run-'))
  root = join(base, 'workspace')
  await mkdir(root)
  await writeFile(join(root, 'brief.md'), 'Two days in Lisbon.\n')
  await writeFile(join(base, 'secret.txt'), 'outside')
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await rm(base, { recursive: true, force: true })
})

function toolMessages(request: ModelRequest | undefined): ToolMessage[] {
  return (request?.messages ?? []).filter((m): m is ToolMessage => m.role === 'tool')
}

function agentWith(model: ReturnType<typeof scriptedModel>, tools: Tool[]) {
  return defineAgent({ name: 'planner', instructions: 'Use the tools.', model, tools })
}

describe('the ready-made tools in a run', () => {
  it('refusals reach the model as tool errors and the run goes on', async () => {
    const model = scriptedModel([
      {
        toolCalls: [
          { id: 'r', name: 'read_file', args: { path: '../secret.txt' } },
          { id: 'w', name: 'write_file', args: { path: '/tmp/elsewhere.txt', content: 'x' } },
          { id: 'h', name: 'http_fetch', args: { url: `${local}/` } },
          { id: 'f', name: 'http_fetch', args: { url: 'file:///etc/passwd' } },
        ],
      },
      { text: 'I could not read those.' },
    ])
    const tools = [httpFetch(), ...workspaceTools({ root }), ...memoryTools()]
    const result = await run(agentWith(model, tools), 'Plan the trip')

    expect(result.status).toBe('done')
    expect(result.output).toBe('I could not read those.')
    const messages = toolMessages(model.requests[1])
    expect(messages.map((m) => [m.toolCallId, m.isError])).toEqual([
      ['r', true],
      ['w', true],
      ['h', true],
      ['f', true],
    ])
    expect(messages[0]!.content).toBe(
      'Error: tool "read_file" failed: "../secret.txt": ".." leads outside the workspace',
    )
    expect(messages[1]!.content).toContain('"/tmp/elsewhere.txt": an absolute path outside the workspace')
    expect(messages[2]!.content).toContain(
      `tool "http_fetch" failed: refused to fetch ${local}/: 127.0.0.1 is a loopback address`,
    )
    expect(messages[3]!.content).toContain('only http: and https: URLs can be fetched, got file:')
  })

  it('results reach the model: fetch, files and memory', async () => {
    const model = scriptedModel([
      {
        toolCalls: [
          { id: 'h', name: 'http_fetch', args: { url: `${local}/lines` } },
          { id: 'r', name: 'read_file', args: { path: 'brief.md' } },
          { id: 'm', name: 'memory_write', args: { key: 'notes/tram', value: 28 } },
          { id: 'w', name: 'write_file', args: { path: 'plan/day-1.md', content: 'Ride tram 28.\n' } },
        ],
      },
      {
        // Calls in one step run concurrently: these read what the first step wrote.
        toolCalls: [
          { id: 's', name: 'search_files', args: { query: 'tram' } },
          { id: 'l', name: 'list_files', args: { recursive: true } },
          { id: 'g', name: 'memory_read', args: { key: 'notes/tram' } },
        ],
      },
      { text: 'Planned.' },
    ])
    const tools = [httpFetch({ allowPrivate: true }), ...workspaceTools({ root }), ...memoryTools()]
    const result = await run(agentWith(model, tools), 'Plan the trip')

    expect(result.status).toBe('done')
    const first = toolMessages(model.requests[1])
    expect(first.every((m) => !m.isError)).toBe(true)
    expect(JSON.parse(first[0]!.content)).toMatchObject({
      url: `${local}/lines`,
      status: 200,
      body: 'tram 28',
    })
    expect(first[1]!.content).toBe('Two days in Lisbon.')
    expect(first[3]!.content).toBe('wrote 14 bytes to plan/day-1.md')
    const second = toolMessages(model.requests[2]).slice(4)
    expect(second.every((m) => !m.isError)).toBe(true)
    expect(second.map((m) => m.content)).toEqual([
      'plan/day-1.md:1: Ride tram 28.',
      'brief.md  (20 bytes)\nplan/\nplan/day-1.md  (14 bytes)',
      '{"key":"notes/tram","value":28,"by":"root"}',
    ])
    expect(await readFile(join(root, 'plan', 'day-1.md'), 'utf8')).toBe('Ride tram 28.\n')
  })

  it('a read-only workspace does not offer write_file to the model', async () => {
    const model = scriptedModel([{ text: 'ok' }])
    await run(agentWith(model, workspaceTools({ root, readOnly: true })), 'look')
    expect(model.requests[0]!.tools?.map((t) => t.name)).toEqual(['read_file', 'list_files', 'search_files'])
  })
})
