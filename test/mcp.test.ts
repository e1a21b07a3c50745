/**
 * MCP servers' tools as Baton tools, against the reference servers from npm
 * (@modelcontextprotocol/server-everything and server-filesystem) over stdio and streamable HTTP.
 * Every server is a child process of this test file; afterAll checks that none is left running.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BatonError, defineAgent, type Model, type RunOptions, stream, type Tool } from '../src/index.js'
import { contentText, inputSchema, resultValue, toolName } from '../src/mcp/convert.js'
import { type McpTools, mcpTools } from '../src/mcp/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { collect, ofType, rejection, toolMessages } from './helpers.js'
import { freePort, processAlive, readBody } from './processes.js'
import { toolContext } from './tool-context.js'

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url))
const EVERYTHING = root('node_modules/@modelcontextprotocol/server-everything/dist/index.js')
const FILESYSTEM = root('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js')
const NODE = process.execPath
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Runs an agent with these tools and scripted replies; keeps every event. */
function runWith(model: Model, tools: Tool[], options: RunOptions = {}) {
  const agent = defineAgent({ name: 'worker', instructions: 'Use the tools.', model, tools })
  return collect(stream(agent, 'do it', options))
}

function named(mcp: McpTools, name: string): Tool {
  const tool = mcp.tools.find((t) => t.name === name)
  if (!tool) throw new Error(`no tool ${name} in ${mcp.tools.map((t) => t.name).join(', ')}`)
  return tool
}

const context = toolContext

/** The same tool, counting how often it really reaches the server. */
function counted(tool: Tool): { tool: Tool; calls: unknown[] } {
  const calls: unknown[] = []
  const run: Tool['run'] = (input, ctx) => {
    calls.push(input)
    return tool.run(input, ctx)
  }
  return { calls, tool: { ...tool, run } }
}

async function connectionFailure(promise: Promise<unknown>): Promise<BatonError> {
  const error = await rejection(promise)
  expect(error.code).toBe('MCP_CONNECTION')
  return error
}

/** Live (non-zombie) child processes of this process, from /proc (Linux). */
function childPids(): number[] {
  if (process.platform !== 'linux') return []
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry))
    } catch {}
  }
  return pids
}

async function noChildrenLeft(): Promise<void> {
  for (let i = 0; i < 400 && childPids().length > 0; i++) await new Promise((r) => setTimeout(r, 50))
  expect(childPids()).toEqual([])
}

afterAll(noChildrenLeft)

describe('server-everything over stdio', () => {
  let mcp: McpTools
  beforeAll(async () => {
    mcp = await mcpTools({ command: NODE, args: [EVERYTHING] })
  })
  afterAll(() => mcp?.close())

  it('lists the tools with provider-safe names and JSON Schema parameters', () => {
    expect(mcp.server.name).toBe('mcp-servers/everything')
    expect(mcp.server.version).toMatch(/\d/)
    expect(mcp.pid).toBeGreaterThan(0)
    const names = mcp.tools.map((t) => t.name)
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-tiny-image']))
    // Tools that only run as MCP tasks cannot be called with tools/call: left out.
    expect(names).not.toContain('simulate-research-query')
    for (const name of names) expect(name).toMatch(TOOL_NAME)
    const sum = named(mcp, 'get-sum')
    expect(sum.description).toBe('Returns the sum of two numbers')
    expect(sum.input.kind).toBe('json-schema')
    expect(sum.spec.parameters).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    })
    expect(sum.spec.parameters).not.toHaveProperty('$schema')
  })

  it('calls echo and get-sum from a run; the results reach the next request', async () => {
    const model = scriptedModel([
      {
        toolCalls: [
          { name: 'echo', args: { message: 'hello' } },
          { name: 'get-sum', args: { a: 2, b: 3 } },
        ],
      },
      (request) => ({
        text: toolMessages(request)
          .map((m) => m.content)
          .join(' | '),
      }),
    ])
    const { result } = await runWith(model, mcp.tools)
    expect(result.status).toBe('done')
    expect(model.requests[0]!.tools.map((t) => t.name)).toEqual(mcp.tools.map((t) => t.name))
    const results = toolMessages(model.requests[1])
    expect(results.map((m) => [m.toolName, m.content, m.isError ?? false])).toEqual([
      ['echo', 'Echo: hello', false],
      ['get-sum', 'The sum of 2 and 3 is 5.', false],
    ])
    expect(result.output).toBe('Echo: hello | The sum of 2 and 3 is 5.')
  })

  it('rejects invalid arguments with Ajv before any call reaches the server', async () => {
    const sum = counted(named(mcp, 'get-sum'))
    const model = scriptedModel([
      { toolCalls: [{ name: 'get-sum', args: { a: 'two', c: 1 } }] },
      { toolCalls: [{ name: 'get-sum', args: { a: 2, b: 40 } }] },
      { text: 'done' },
    ])
    const { result, events } = await runWith(model, [sum.tool])
    expect(result.status).toBe('done')
    const [bad, good] = ofType(events, 'tool.result')
    expect(bad!.isError).toBe(true)
    expect(bad!.error?.code).toBe('INVALID_ARGUMENTS')
    expect(bad!.content).toContain('- at a: must be number')
    expect(bad!.content).toContain('- at b: required property is missing')
    expect(good!.content).toBe('The sum of 2 and 40 is 42.')
    expect(sum.calls).toEqual([{ a: 2, b: 40 }])
  })

  it('an MCP result with isError becomes a tool error carrying the server text', async () => {
    const model = scriptedModel([
      { toolCalls: [{ name: 'get-resource-reference', args: { resourceId: 1.5 } }] },
      { text: 'noted' },
    ])
    const { result, events } = await runWith(model, mcp.tools)
    expect(result.status).toBe('done')
    const [failed] = ofType(events, 'tool.result')
    expect(failed!.isError).toBe(true)
    expect(failed!.error?.code).toBe('TOOL_ERROR')
    expect(failed!.content).toContain('Invalid resourceId: 1.5. Must be a finite positive integer.')
    expect(toolMessages(model.requests[1])[0]!.isError).toBe(true)
  })

  it('describes images and resources instead of dumping them; structuredContent is the value', async () => {
    const ctx = context()
    const image = (await named(mcp, 'get-tiny-image').run({}, ctx)) as string
    expect(image).toMatch(/\[image: image\/png, [\d.]+ (bytes|KB)\]/)
    expect(image).not.toContain('iVBOR') // the base64 PNG itself

    const links = (await named(mcp, 'get-resource-links').run({ count: 2 }, ctx)) as string
    expect(links).toContain('[resource link Text Resource 2 <demo://resource/dynamic/text/2>: text/plain]')

    const blob = (await named(mcp, 'get-resource-reference').run(
      { resourceType: 'Blob', resourceId: 2 },
      ctx,
    )) as string
    expect(blob).toMatch(/\[resource demo:\/\/resource\/dynamic\/blob\/2: text\/plain, binary, \d+ bytes\]/)

    const weather = await named(mcp, 'get-structured-content').run({ location: 'Chicago' }, ctx)
    expect(weather).toEqual({ temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 })
  })

  it('forwards MCP progress notifications as tool.progress events', async () => {
    const model = scriptedModel([
      { toolCalls: [{ name: 'trigger-long-running-operation', args: { duration: 0.3, steps: 3 } }] },
      { text: 'done' },
    ])
    const { result, events } = await runWith(model, mcp.tools)
    expect(result.status).toBe('done')
    const progress = ofType(events, 'tool.progress').map((e) => e.data)
    // The SDK handles notifications a microtask late, so the last one can lose the race with the result.
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.slice(0, 2)).toEqual([
      { progress: 1, total: 3 },
      { progress: 2, total: 3 },
    ])
  })

  it('aborting the run cancels the call in flight; the connection stays usable', async () => {
    const controller = new AbortController()
    const model = scriptedModel([
      { toolCalls: [{ name: 'trigger-long-running-operation', args: { duration: 60, steps: 60 } }] },
      { text: 'never' },
    ])
    // Abort once the server reports progress (the call is in flight); the operation has most of
    // a minute left, so a run that waited for it would end far later than the bound below.
    const agent = defineAgent({ name: 'worker', instructions: 'Use the tools.', model, tools: mcp.tools })
    const events = stream(agent, 'do it', { signal: controller.signal })
    let abortedAt: number | undefined
    for await (const event of events) {
      if (event.type === 'tool.progress' && abortedAt === undefined) {
        abortedAt = Date.now()
        controller.abort()
      }
    }
    const result = await events.result
    expect(result.status).toBe('aborted')
    expect(abortedAt).toBeDefined()
    expect(Date.now() - abortedAt!).toBeLessThan(30_000)

    const direct = new AbortController()
    const call = named(mcp, 'trigger-long-running-operation').run(
      { duration: 3, steps: 3 },
      context(direct.signal),
    )
    direct.abort(new Error('stop now'))
    await expect(call).rejects.toThrow(/stop now/)
    expect(await named(mcp, 'echo').run({ message: 'still here' }, context())).toBe('Echo: still here')
  })
})

describe('options', () => {
  it('prefix and include pick and rename tools; exclude leaves tools out', async () => {
    const mcp = await mcpTools(
      { command: NODE, args: [EVERYTHING] },
      { prefix: 'ev_', include: ['echo', 'get-sum', 'get-env'], exclude: ['get-env'] },
    )
    try {
      expect(mcp.tools.map((t) => t.name)).toEqual(['ev_echo', 'ev_get-sum'])
      const model = scriptedModel([
        { toolCalls: [{ name: 'ev_echo', args: { message: 'x' } }] },
        { text: 'ok' },
      ])
      await runWith(model, mcp.tools)
      expect(toolMessages(model.requests[1])[0]!.content).toBe('Echo: x')
    } finally {
      await mcp.close()
    }
  })

  it('refuses include names the server does not have, listing what it has, and stops the server', async () => {
    const error = await rejection(
      mcpTools({ command: NODE, args: [EVERYTHING] }, { include: ['echo', 'ecoh'] }),
    )
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toContain('"ecoh"')
    expect(error.message).toMatch(/It has: .*get-sum/)
    await noChildrenLeft()
  })

  it('timeoutMs ends a slow call as a tool timeout', async () => {
    const mcp = await mcpTools({ command: NODE, args: [EVERYTHING] }, { timeoutMs: 300 })
    try {
      const model = scriptedModel([
        { toolCalls: [{ name: 'trigger-long-running-operation', args: { duration: 3, steps: 1 } }] },
        { text: 'gave up' },
      ])
      const { result, events } = await runWith(model, mcp.tools)
      expect(result.status).toBe('done')
      expect(ofType(events, 'tool.result')[0]).toMatchObject({ error: { code: 'TOOL_TIMEOUT' } })
    } finally {
      await mcp.close()
    }
  })

  it('refuses tools whose names collide, and tools whose schema Ajv cannot compile, naming them', async () => {
    // A tiny stdio server listing awkward tools: "a.b" and "a_b" both become "a_b".
    const server = `
      import { Server } from '@modelcontextprotocol/sdk/server/index.js'
      import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
      import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
      const server = new Server({ name: 'awkward', version: '1.0.0' }, { capabilities: { tools: {} } })
      server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [
        { name: 'a.b', inputSchema: { type: 'object' } },
        { name: 'a_b', description: 'b', inputSchema: { type: 'object' } },
        { name: 'broken', description: 'c', inputSchema: { type: 'object', properties: { x: { type: 'integerr' } } } },
      ] }))
      server.setRequestHandler(CallToolRequestSchema, (r) => ({ content: [{ type: 'text', text: r.params.name }] }))
      await server.connect(new StdioServerTransport())`
    const awkward = { command: NODE, args: ['--input-type=module', '-e', server], cwd: root('') }
    const clash = await rejection(mcpTools(awkward))
    expect(clash.code).toBe('INVALID_DEFINITION')
    expect(clash.message).toContain('the MCP tools "a.b" and "a_b"')
    expect(clash.message).toContain('both become the tool name "a_b"')
    const broken = await rejection(mcpTools(awkward, { exclude: ['a_b'] }))
    expect(broken.code).toBe('INVALID_DEFINITION')
    expect(broken.message).toMatch(/the MCP tool "broken" .* cannot be used \(.*invalid JSON Schema/)
    const mcp = await mcpTools(awkward, { exclude: ['a_b', 'broken'] })
    try {
      expect(mcp.server).toEqual({ name: 'awkward', version: '1.0.0' })
      const [tool] = mcp.tools
      expect(tool!.name).toBe('a_b')
      expect(tool!.description).toMatch(/^The tool "a.b" of the MCP server /)
      expect(await tool!.run({}, context())).toBe('a.b')
    } finally {
      await mcp.close()
    }
    await noChildrenLeft()
  })

  it.each([
    [{}, /give either `command` \(stdio\) or `url`/],
    [{ command: 'x', url: 'http://127.0.0.1/' }, /give either `command`/],
    [{ command: '' }, /`command` must be a non-empty string/],
    [{ command: 'x', args: 'a b' }, /`args` must be an array of strings/],
    [{ url: 'ftp://example.com/' }, /`url` must be an http\(s\) URL/],
    [{ comand: 'x' }, /the server's comand is not a known MCP server option \(did you mean command\?\)/],
    // An option put in the server would be dropped without a word: it is pointed to its place.
    [
      { command: 'x', timeoutMs: 5_000 },
      /the server's timeoutMs is an option, not part of the server: mcpTools\(server, \{ timeoutMs \}\)/,
    ],
    [{ command: 'x', headers: {} }, /the server's headers is for servers reached by url/],
    [{ url: 'http://127.0.0.1/', cwd: '.' }, /the server's cwd is for servers started by command/],
    [{ command: 'x', env: { PORT: 8080 } }, /`env` must be an object of strings/],
    [{ command: 'x', stderr: 'show' }, /`stderr` must be "pipe", "inherit" or "ignore"/],
  ])('refuses the server %j', async (server, message) => {
    const error = await rejection(mcpTools(server as never))
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toMatch(message)
  })

  it.each([
    [{ prefix: 'fs.' }, /prefix must be letters/],
    [{ include: 'echo' }, /include must be an array/],
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ connectTimeoutMs: '5s' }, /connectTimeoutMs must be a positive number/],
    [{ timeout: 5_000 }, /timeout is not a known mcpTools option \(did you mean timeoutMs\?\)/],
    // Node would fire a longer timer after 1 ms, failing every call and every connect.
    [{ timeoutMs: 2 ** 31 }, /timeoutMs must be at most 2147483647 ms .*, got number 2147483648$/],
    [{ connectTimeoutMs: Number.MAX_SAFE_INTEGER }, /connectTimeoutMs must be at most 2147483647 ms/],
  ])('refuses the options %j', async (options, message) => {
    const error = await rejection(mcpTools({ command: NODE }, options as never))
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toMatch(message)
  })
})

describe('the connection', () => {
  it('close() ends the server process; later calls are tool errors; close twice is fine', async () => {
    const mcp = await mcpTools({ command: NODE, args: [EVERYTHING] }, { include: ['echo'] })
    const pid = mcp.pid!
    expect(processAlive(pid)).toBe(true)
    await mcp[Symbol.asyncDispose]()
    await mcp.close()
    expect(processAlive(pid)).toBe(false)
    const model = scriptedModel([{ toolCalls: [{ name: 'echo', args: { message: 'x' } }] }, { text: 'ok' }])
    const { events } = await runWith(model, mcp.tools)
    const [failed] = ofType(events, 'tool.result')
    expect(failed!.error?.code).toBe('MCP_CONNECTION')
    expect(failed!.content).toContain(`the MCP server ${NODE} ${EVERYTHING} is no longer connected`)
  })

  it('a server that dies during the session makes its tools fail with a message naming it', async () => {
    const mcp = await mcpTools({ command: NODE, args: [EVERYTHING] }, { include: ['echo'] })
    try {
      process.kill(mcp.pid!, 'SIGKILL')
      for (let i = 0; i < 400 && processAlive(mcp.pid!); i++) await new Promise((r) => setTimeout(r, 25))
      const error = await connectionFailure(Promise.resolve(mcp.tools[0]!.run({ message: 'x' }, context())))
      expect(error.message).toContain(`the MCP server ${NODE} ${EVERYTHING} is no longer connected`)
    } finally {
      await mcp.close()
    }
  })

  it('a command that does not exist', async () => {
    const error = await connectionFailure(mcpTools({ command: 'baton-no-such-mcp-server', args: ['--x'] }))
    expect(error.message).toBe(
      'could not connect to the MCP server baton-no-such-mcp-server --x: the command was not found',
    )
  })

  it('a server that exits at once, with its stderr in the message', async () => {
    const script = 'console.error("FS_ROOT is not set"); process.exit(3)'
    const error = await connectionFailure(mcpTools({ command: NODE, args: ['-e', script] }))
    expect(error.message).toContain(`could not connect to the MCP server ${NODE} -e`)
    expect(error.message).toContain('closed the connection during the handshake')
    expect(error.message).toContain('FS_ROOT is not set')
  })

  it('a server that never answers times out, and its process is ended', async () => {
    const error = await connectionFailure(
      mcpTools({ command: NODE, args: ['-e', 'setTimeout(() => {}, 30000)'] }, { connectTimeoutMs: 400 }),
    )
    expect(error.message).toContain('did not answer the handshake within 400 ms')
    await noChildrenLeft()
  })

  it('a URL where nothing listens', async () => {
    const port = await freePort()
    const error = await connectionFailure(
      mcpTools({ url: `http://127.0.0.1:${port}/mcp?token=secret`, headers: { Authorization: 'Bearer s3' } }),
    )
    expect(error.message).toContain(`could not connect to the MCP server http://127.0.0.1:${port}/mcp:`)
    expect(error.message).toContain('ECONNREFUSED')
    expect(error.message).not.toMatch(/secret|s3/)
  })
})

describe('servers that send what the SDK would not', () => {
  const UNRULY = root('test/fixtures/mcp-unruly-server.mjs')
  const unruly = (scenario: string) => ({ command: NODE, args: [UNRULY, scenario] })

  it('one badly listed tool does not sink the others: it is named, and exclude leaves it out', async () => {
    const label = `${NODE} ${UNRULY} odd-tools`
    const input = await rejection(mcpTools(unruly('odd-tools')))
    expect(input.code).toBe('INVALID_DEFINITION')
    expect(input.message).toBe(
      `mcpTools: the MCP tool "takes_string" of ${label} cannot be used (tool "takes_string": input: must describe an object (JSON Schema "type": "object"), got "string"); leave it out with \`exclude\``,
    )
    const output = await rejection(mcpTools(unruly('odd-tools'), { exclude: ['takes_string'] }))
    expect(output.code).toBe('INVALID_DEFINITION')
    expect(output.message).toMatch(
      /the MCP tool "bad_output" of .* cannot be used \(.*outputSchema: invalid JSON Schema/,
    )
    const mcp = await mcpTools(unruly('odd-tools'), { exclude: ['takes_string', 'bad_output'] })
    try {
      // A tool without a name can be neither called nor excluded: it is left out.
      expect(mcp.tools.map((t) => t.name)).toEqual(['no_schema', 'any_x'])
      expect(named(mcp, 'no_schema').spec.parameters).toEqual({ type: 'object' })
      expect(named(mcp, 'any_x').spec.parameters).toEqual({ type: 'object', properties: { x: true } })
      expect(await named(mcp, 'any_x').run({ x: [1] }, context())).toBe('any_x ran')
    } finally {
      await mcp.close()
    }
    await noChildrenLeft()
  })

  it('a tools/list cursor that repeats, or never ends, fails the connect and stops the server', async () => {
    const repeating = await connectionFailure(mcpTools(unruly('repeating-cursor')))
    expect(repeating.message).toBe(
      `the MCP server ${NODE} ${UNRULY} repeating-cursor sent the tools/list cursor "again" twice: its tool list would never end`,
    )
    const endless = await connectionFailure(mcpTools(unruly('endless-cursor'), { connectTimeoutMs: 1_500 }))
    expect(endless.message).toMatch(
      /^the MCP server .* endless-cursor did not finish listing its tools within 1500 ms \(\d+ pages and \d+ tools so far\)$/,
    )
    await noChildrenLeft()
  })

  it('results that break the MCP shape or the outputSchema are tool errors that say so', async () => {
    // The outputSchema is on the first page of two: it still holds.
    const mcp = await mcpTools(unruly('paged'), { timeoutMs: 500 })
    const label = `${NODE} ${UNRULY} paged`
    try {
      expect(mcp.tools.map((t) => t.name)).toEqual(['count', 'plain'])
      const model = scriptedModel([
        { toolCalls: [{ name: 'count', args: {} }] },
        { toolCalls: [{ name: 'count', args: { mode: 'mismatch' } }] },
        { toolCalls: [{ name: 'count', args: { mode: 'text-only' } }] },
        { toolCalls: [{ name: 'plain', args: { mode: 'malformed' } }] },
        { text: 'done' },
      ])
      const { result, events } = await runWith(model, mcp.tools)
      expect(result.status).toBe('done')
      const [counted, mismatch, textOnly, malformed] = ofType(events, 'tool.result')
      expect(counted!.content).toBe('{"n":7}')
      expect(mismatch!.error).toEqual({
        code: 'INVALID_OUTPUT',
        message: `tool "count": the MCP tool "count" of ${label} returned structuredContent that does not match its outputSchema:\n- at n: must be number`,
      })
      expect(textOnly!.error).toEqual({
        code: 'INVALID_OUTPUT',
        message: `tool "count": the MCP tool "count" of ${label} has an outputSchema but returned no structuredContent`,
      })
      expect(malformed!.error).toEqual({
        code: 'TOOL_ERROR',
        message: `tool "plain" failed: the MCP server ${label} answered the call to "plain" with a result that is not an MCP tool result: its content is the string "not a list", not a list of content blocks`,
      })
      // Called outside a run, the call's own time limit is a tool timeout too.
      await expect(named(mcp, 'plain').run({ mode: 'silent' }, context())).rejects.toMatchObject({
        code: 'TOOL_TIMEOUT',
        message: `the MCP server ${label} did not answer the call to "plain" within 500 ms`,
      })
    } finally {
      await mcp.close()
    }
  })
})

describe('a request over HTTP that does not get through', () => {
  it('is an MCP_CONNECTION tool error saying why; the session stays usable', async () => {
    let drop = false
    // A raw JSON-RPC endpoint (no sessions) that hangs up on one tools/call.
    const server = createServer(async (req, res) => {
      if (req.method !== 'POST') return res.writeHead(405).end()
      const message = JSON.parse(await readBody(req))
      if (message.id === undefined) return res.writeHead(202).end()
      if (message.method === 'tools/call' && drop) {
        drop = false
        return req.socket.destroy()
      }
      const result =
        message.method === 'initialize'
          ? {
              protocolVersion: message.params.protocolVersion,
              capabilities: { tools: {} },
              serverInfo: { name: 'flaky', version: '1.0.0' },
            }
          : message.method === 'tools/list'
            ? { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] }
            : { content: [{ type: 'text', text: 'echoed' }] }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`
    const mcp = await mcpTools({ url })
    try {
      drop = true
      const error = await rejection(Promise.resolve(mcp.tools[0]!.run({}, context())))
      expect(error.code).toBe('MCP_CONNECTION')
      expect(error.message).toMatch(
        new RegExp(`^the call to "echo" could not reach the MCP server ${url}: \\S`),
      )
      expect(error.message).not.toContain('no longer connected')
      expect(await mcp.tools[0]!.run({}, context())).toBe('echoed')
    } finally {
      await mcp.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

/** A message as a raw MCP endpoint reads it. */
interface RpcMessage {
  jsonrpc: '2.0'
  id?: number | string
  method?: string
  params?: { protocolVersion?: string; name?: string; arguments?: Record<string, unknown> }
}

/**
 * A raw streamable-HTTP MCP endpoint on 127.0.0.1 (JSON answers, no SSE) with one tool, echo,
 * that answers with the session it ran in. With sessions, `initialize` opens s1, s2…, and a
 * request carrying an id the server does not know is answered 404, as a server that forgot the
 * session does. `handle` may answer a request itself (it returns true), or wait before the
 * default answer. `seen` is every POST, in order, with the session id it carried.
 */
async function rawMcpServer(
  options: {
    sessions?: boolean
    handle?: (message: RpcMessage, session: string | undefined, res: ServerResponse) => Promise<boolean>
  } = {},
) {
  const sessions = new Set<string>()
  const seen: { method: string | undefined; session: string | undefined }[] = []
  let opened = 0
  const json = { 'content-type': 'application/json' }
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST') return res.writeHead(405).end()
    const message = JSON.parse(await readBody(req)) as RpcMessage
    const session = req.headers['mcp-session-id'] as string | undefined
    seen.push({ method: message.method, session })
    if (await options.handle?.(message, session, res)) return
    const answer = (result: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(200, { ...json, ...headers })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }))
    }
    if (message.method === 'initialize') {
      const result = {
        protocolVersion: message.params?.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: 'sessions', version: '1.0.0' },
      }
      if (options.sessions === false) return answer(result)
      const id = `s${++opened}`
      sessions.add(id)
      return answer(result, { 'mcp-session-id': id })
    }
    if (options.sessions !== false) {
      const error = (status: number, text: string) =>
        res.writeHead(status, json).end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: message.id ?? null,
            error: { code: -32000, message: text },
          }),
        )
      if (session === undefined) return error(400, 'Bad Request: No valid session ID provided')
      if (!sessions.has(session)) return error(404, 'Session not found')
    }
    if (message.id === undefined) return res.writeHead(202).end()
    if (message.method === 'tools/list')
      return answer({ tools: [{ name: 'echo', inputSchema: { type: 'object' } }] })
    answer({ content: [{ type: 'text', text: `echoed in ${session ?? 'no session'}` }] })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`,
    seen,
    /** How many sessions were opened. */
    get opened() {
      return opened
    },
    /** Forgets every session, as a restarted server does. */
    forget: () => sessions.clear(),
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

describe('an HTTP session the server forgot', () => {
  it('is started again once, and the call is sent again in the new session', async () => {
    const http = await rawMcpServer()
    const mcp = await mcpTools({ url: http.url })
    try {
      const echo = mcp.tools[0]!
      expect(await echo.run({}, context())).toBe('echoed in s1')
      http.forget()
      const model = scriptedModel([{ toolCalls: [{ name: 'echo', args: {} }] }, { text: 'done' }])
      const { result, events } = await runWith(model, mcp.tools)
      expect(result.status).toBe('done')
      const [echoed] = ofType(events, 'tool.result')
      expect(echoed!.isError ?? false).toBe(false)
      expect(echoed!.content).toBe('echoed in s2')
      // The new initialize carries no session id; what follows carries the new one.
      expect(http.seen.slice(-4)).toEqual([
        { method: 'tools/call', session: 's1' },
        { method: 'initialize', session: undefined },
        { method: 'notifications/initialized', session: 's2' },
        { method: 'tools/call', session: 's2' },
      ])
      expect(await echo.run({}, context())).toBe('echoed in s2')
      expect(http.opened).toBe(2)
    } finally {
      await mcp.close()
      await http.close()
    }
  })

  it('calls made meanwhile share one new session', async () => {
    const stale = gate()
    const initializing = gate()
    const initialized = gate()
    let renewing = false
    let staleCalls = 0
    const http = await rawMcpServer({
      handle: async (message, session) => {
        if (!renewing) return false
        // The three calls in the forgotten session are all answered 404 at once.
        if (message.method === 'tools/call' && session === 's1') {
          if (++staleCalls === 3) stale.open()
          await stale.opened
        }
        // The new session is held open until a fourth call was made during its start.
        if (message.method === 'initialize') {
          initializing.open()
          await initialized.opened
        }
        return false
      },
    })
    const mcp = await mcpTools({ url: http.url })
    try {
      const echo = mcp.tools[0]!
      renewing = true
      http.forget()
      const calls = [1, 2, 3].map(() => Promise.resolve(echo.run({}, context())))
      await Promise.race([initializing.opened, Promise.allSettled(calls)])
      const late = Promise.resolve(echo.run({}, context()))
      // Time for a call that did not wait for the new session to reach the server without one.
      await new Promise((resolve) => setTimeout(resolve, 100))
      initialized.open()
      expect(await Promise.all([...calls, late])).toEqual(Array(4).fill('echoed in s2'))
      expect(http.opened).toBe(2)
      expect(http.seen.filter((m) => m.method === 'initialize')).toHaveLength(2)
      expect(http.seen.filter((m) => m.method === 'tools/call').map((m) => m.session)).toEqual([
        's1',
        's1',
        's1',
        's2',
        's2',
        's2',
        's2',
      ])
    } finally {
      await mcp.close()
      await http.close()
    }
  })

  it('a server that forgets every session fails the call after one new session, naming the server', async () => {
    let forgetful = false
    let forgot: () => void = () => {}
    const http = await rawMcpServer({
      handle: async (message) => {
        if (forgetful && message.method === 'tools/call') forgot()
        return false
      },
    })
    forgot = http.forget
    const mcp = await mcpTools({ url: http.url })
    try {
      forgetful = true
      const model = scriptedModel([
        { toolCalls: [{ name: 'echo', args: {} }] },
        { toolCalls: [{ name: 'echo', args: {} }] },
        { text: 'gave up' },
      ])
      const { result, events } = await runWith(model, mcp.tools)
      expect(result.status).toBe('done')
      const failed = ofType(events, 'tool.result')
      expect(failed).toHaveLength(2)
      for (const call of failed)
        expect(call.error).toEqual({
          code: 'MCP_CONNECTION',
          message: `tool "echo": the call to "echo" could not reach the MCP server ${http.url}: it forgot the session, and the new one started for this call too: HTTP 404 (Not Found): Session not found`,
        })
      // One new session per call, no more.
      expect(http.opened).toBe(3)
      expect(http.seen.filter((m) => m.method === 'tools/call')).toHaveLength(4)
    } finally {
      await mcp.close()
      await http.close()
    }
  })

  it('a new session that cannot be started fails the call; the next call starts one', async () => {
    let broken = false
    const http = await rawMcpServer({
      handle: async (message, _session, res) => {
        if (!broken || message.method !== 'initialize') return false
        res.writeHead(500, { 'content-type': 'text/html' })
        res.end('<html><head><title>500</title></head><body>\n<h1>Upstream   exploded</h1>\n</body></html>')
        return true
      },
    })
    const mcp = await mcpTools({ url: http.url })
    try {
      const echo = mcp.tools[0]!
      http.forget()
      broken = true
      const error = await connectionFailure(Promise.resolve(echo.run({}, context())))
      expect(error.message).toBe(
        `the call to "echo" could not reach the MCP server ${http.url}: it forgot the session, and starting a new session failed: HTTP 500 (Internal Server Error): Upstream exploded`,
      )
      broken = false
      expect(await echo.run({}, context())).toBe('echoed in s2')
      expect(http.seen.filter((m) => m.method === 'initialize')).toHaveLength(3)
    } finally {
      await mcp.close()
      await http.close()
    }
  })
})

describe('HTTP error answers', () => {
  it('at connect: the status and a short line of the page, naming the URL', async () => {
    const page = `<!DOCTYPE html>\n<html><head><title>Error</title><style>body { color: red }</style></head>\n<body><h1>Internal Server Error</h1>\n<pre>${'    at handler (/srv/app.js:1:1)\n'.repeat(300)}</pre></body></html>`
    const http = await rawMcpServer({
      handle: async (_message, _session, res) => {
        res.writeHead(500, { 'content-type': 'text/html' }).end(page)
        return true
      },
    })
    try {
      const error = await connectionFailure(mcpTools({ url: `${http.url}?key=secret` }))
      const prefix = `could not connect to the MCP server ${http.url}: HTTP 500 (Internal Server Error): `
      expect(error.message.startsWith(prefix)).toBe(true)
      const excerpt = error.message.slice(prefix.length)
      expect(excerpt.startsWith('Internal Server Error at handler (/srv/app.js:1:1) at handler')).toBe(true)
      expect(excerpt.length).toBeLessThanOrEqual(200)
      expect(excerpt.endsWith('…')).toBe(true)
      expect(error.message).not.toMatch(/[\n<>]|secret|color/)
    } finally {
      await http.close()
    }
  })

  it('during a call: HTTP 500 and 404 and JSON-RPC errors name the server and the tool', async () => {
    const http = await rawMcpServer({
      sessions: false,
      handle: async (message, _session, res) => {
        if (message.method !== 'tools/call') return false
        const mode = message.params?.arguments?.mode
        if (mode === 'crash')
          res
            .writeHead(500, { 'content-type': 'text/html' })
            .end('<html><body><h1>Something broke</h1></body></html>')
        else if (mode === 'gone') res.writeHead(404, { 'content-type': 'text/plain' }).end('Cannot POST /mcp')
        else if (mode === 'refused')
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: message.id,
              error: { code: -32602, message: 'Unknown tool: nope' },
            }),
          )
        else return false
        return true
      },
    })
    const mcp = await mcpTools({ url: http.url })
    try {
      const model = scriptedModel([
        { toolCalls: [{ name: 'echo', args: { mode: 'crash' } }] },
        { toolCalls: [{ name: 'echo', args: { mode: 'gone' } }] },
        { toolCalls: [{ name: 'echo', args: { mode: 'refused' } }] },
        { toolCalls: [{ name: 'echo', args: {} }] },
        { text: 'done' },
      ])
      const { result, events } = await runWith(model, mcp.tools)
      expect(result.status).toBe('done')
      const [crash, gone, refused, echoed] = ofType(events, 'tool.result')
      expect(crash!.error).toEqual({
        code: 'MCP_CONNECTION',
        message: `tool "echo": the MCP server ${http.url} answered the call to "echo" with HTTP 500 (Internal Server Error): Something broke`,
      })
      // Without a session, a 404 is an answer like any other: no new session is started.
      expect(gone!.error).toEqual({
        code: 'MCP_CONNECTION',
        message: `tool "echo": the MCP server ${http.url} answered the call to "echo" with HTTP 404 (Not Found): Cannot POST /mcp`,
      })
      expect(refused!.error).toEqual({
        code: 'TOOL_ERROR',
        message: `tool "echo" failed: the MCP server ${http.url} answered the call to "echo" with the JSON-RPC error -32602: Unknown tool: nope`,
      })
      expect(echoed!.content).toBe('echoed in no session')
      expect(http.seen.filter((m) => m.method === 'initialize')).toHaveLength(1)
    } finally {
      await mcp.close()
      await http.close()
    }
  })
})

describe('server-filesystem over stdio', () => {
  let dir: string
  let fs: McpTools
  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'baton-mcp-')))
    writeFileSync(join(dir, 'notes.txt'), 'first line\nsecond line\n')
    fs = await mcpTools({ command: NODE, args: [FILESYSTEM, dir] }, { prefix: 'fs_' })
  })
  afterAll(async () => {
    await fs?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads and writes files in the allowed directory', async () => {
    expect(fs.server.name).toBe('secure-filesystem-server')
    const model = scriptedModel([
      {
        toolCalls: [
          { name: 'fs_read_text_file', args: { path: join(dir, 'notes.txt'), head: 1 } },
          { name: 'fs_write_file', args: { path: join(dir, 'out.txt'), content: 'written by baton' } },
        ],
      },
      { text: 'done' },
    ])
    const { result } = await runWith(model, fs.tools)
    expect(result.status).toBe('done')
    const [read, write] = toolMessages(model.requests[1])
    expect(JSON.parse(read!.content)).toEqual({ content: 'first line' })
    expect(write!.isError ?? false).toBe(false)
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('written by baton')
  })

  it('a path outside the allowed directory comes back as a tool error', async () => {
    const model = scriptedModel([
      { toolCalls: [{ name: 'fs_read_text_file', args: { path: '/etc/passwd' } }] },
      { text: 'denied' },
    ])
    const { result, events } = await runWith(model, fs.tools)
    expect(result.status).toBe('done')
    const [denied] = ofType(events, 'tool.result')
    expect(denied!.isError).toBe(true)
    expect(denied!.content).toMatch(/access denied.*outside allowed directories/i)
    expect(denied!.content).not.toContain('root:')
  })
})

describe('server-everything over streamable HTTP', () => {
  let server: ChildProcess
  let url: string
  let mcp: McpTools
  beforeAll(async () => {
    const port = await freePort()
    // server-everything listens on every interface; this preload binds it to 127.0.0.1 only.
    const loopback = `data:text/javascript,${encodeURIComponent(
      "import net from 'node:net'; const listen = net.Server.prototype.listen; net.Server.prototype.listen = function (port, ...rest) { return typeof rest[0] === 'function' ? listen.call(this, Number(port), '127.0.0.1', ...rest) : listen.call(this, port, ...rest) }",
    )}`
    server = spawn(NODE, ['--import', loopback, EVERYTHING, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000)
      server.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk
        if (stderr.includes('listening on port')) {
          clearTimeout(timer)
          resolve()
        }
      })
      server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)))
    })
    url = `http://127.0.0.1:${port}/mcp`
    mcp = await mcpTools({ url, headers: { 'X-Test': 'baton' } }, { include: ['echo', 'get-sum'] })
  })
  afterAll(async () => {
    await mcp?.close()
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve))
      process.kill(server.pid, 'SIGTERM')
      await exited
    }
  })

  it('lists and calls the tools through a run', async () => {
    expect(mcp.server.name).toBe('mcp-servers/everything')
    expect(mcp.pid).toBeUndefined()
    expect(mcp.tools.map((t) => t.name)).toEqual(['echo', 'get-sum'])
    const model = scriptedModel([
      { toolCalls: [{ name: 'get-sum', args: { a: 20, b: 22 } }] },
      { toolCalls: [{ name: 'get-sum', args: { a: 'x' } }] },
      { text: 'done' },
    ])
    const { result, events } = await runWith(model, mcp.tools)
    expect(result.status).toBe('done')
    const [sum, invalid] = ofType(events, 'tool.result')
    expect(sum!.content).toBe('The sum of 20 and 22 is 42.')
    expect(invalid!.error?.code).toBe('INVALID_ARGUMENTS')
  })

  it('close() ends the session; a second client still connects', async () => {
    const other = await mcpTools({ url }, { include: ['echo'] })
    expect(await other.tools[0]!.run({ message: 'hi' }, context())).toBe('Echo: hi')
    await other.close()
    await expect(other.tools[0]!.run({ message: 'hi' }, context())).rejects.toMatchObject({
      code: 'MCP_CONNECTION',
    })
  })
})

describe('conversions', () => {
  it('tool names: provider-safe, prefixed, at most 64 characters', () => {
    expect(toolName('read_file')).toBe('read_file')
    expect(toolName('github.create issue/v2', 'gh_')).toBe('gh_github_create_issue_v2')
    expect(toolName('x'.repeat(80), 'p-')).toBe(`p-${'x'.repeat(62)}`)
    expect(toolName('')).toBe('_')
  })

  it('input schemas: a dialect Ajv knows, and type object', () => {
    expect(inputSchema({ $schema: 'http://json-schema.org/draft-04/schema#', properties: {} })).toEqual({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {},
    })
    expect(inputSchema({ $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object' })).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
    })
    expect(inputSchema({ $schema: 'urn:custom', type: 'object' })).toEqual({ type: 'object' })
    expect(inputSchema(undefined)).toEqual({ type: 'object' })
  })

  it('results: text joined, media described, errors thrown, structured content preferred', () => {
    const png = Buffer.alloc(3000).toString('base64')
    expect(
      contentText([
        { type: 'text', text: 'a' },
        { type: 'image', data: png, mimeType: 'image/png' },
        { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
        { type: 'resource', resource: { uri: 'file:///x.txt', mimeType: 'text/plain', text: 'héllo' } },
        { type: 'resource_link', uri: 'file:///y', name: 'y', size: 2048 },
        { type: 'mystery' },
      ]),
    ).toBe(
      [
        'a',
        '[image: image/png, 2.9 KB]',
        '[audio: audio/wav, 3 bytes]',
        '[resource file:///x.txt: text/plain, text, 6 bytes]',
        '[resource link y <file:///y>: unknown type, 2.0 KB]',
        '[mystery content]',
      ].join('\n'),
    )
    expect(resultValue({ content: [{ type: 'text', text: 'x' }], structuredContent: { a: 1 } }, 't')).toEqual(
      {
        a: 1,
      },
    )
    expect(resultValue({ content: [] }, 't')).toBeUndefined()
    expect(() => resultValue({ content: [{ type: 'text', text: 'nope' }], isError: true }, 't')).toThrow(
      /^nope$/,
    )
    expect(() => resultValue({ content: [], isError: true }, 't')).toThrow(/"t" reported an error/)
  })
})

describe('loading', () => {
  it('importing the MCP module does not load the MCP SDK; connecting does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-mcp-load-'))
    try {
      const log = join(dir, 'loaded.txt')
      writeFileSync(
        join(dir, 'hooks.mjs'),
        `import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  if (specifier.includes('@modelcontextprotocol/sdk')) appendFileSync(${JSON.stringify(log)}, specifier + '\\n')
  return next(specifier, context)
}`,
      )
      writeFileSync(
        join(dir, 'register.mjs'),
        `import { register } from 'node:module'; register(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)})`,
      )
      const script = `
        import { appendFileSync, existsSync } from 'node:fs'
        const { mcpTools } = await import(${JSON.stringify(root('src/mcp/index.ts'))})
        await import(${JSON.stringify(root('src/index.ts'))})
        console.log(existsSync(${JSON.stringify(log)}) ? 'loaded' : 'not loaded')
        const mcp = await mcpTools({ command: process.execPath, args: [${JSON.stringify(EVERYTHING)}] })
        await mcp.close()
        console.log(existsSync(${JSON.stringify(log)}) ? 'loaded' : 'not loaded')`
      const { stdout } = await promisify(execFile)(
        NODE,
        ['--import', join(dir, 'register.mjs'), '--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: root(''), timeout: 90_000 },
      )
      expect(stdout.trim().split('\n')).toEqual(['not loaded', 'loaded'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
