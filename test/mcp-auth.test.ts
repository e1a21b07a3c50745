/**
 * OAuth for streamable-HTTP MCP servers, where the conformance suite does not look: the login
 * file (mode 0600, reused by the next connect), refreshes (one for parallel calls), a store passed
 * in, the machine grant kept off disk, the one-line 401, `baton mcp login`, and secrets kept out of
 * errors, events and transcripts. Against a fake protected server on 127.0.0.1
 * (test/mcp-auth-server.ts) in this process.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defineAgent, stream, type Tool } from '../src/index.js'
import { scrub } from '../src/mcp/auth/scrub.js'
import { type McpAuthEntry, type McpAuthStore, type McpTools, mcpTools } from '../src/mcp/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { collect, rejection } from './helpers.js'
import { approve, type FakeAuthServer, startFakeAuthServer } from './mcp-auth-server.js'
import { toolContext } from './tool-context.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const homes: string[] = []
const servers: FakeAuthServer[] = []
const open: McpTools[] = []
let home = ''
const savedHome = process.env.BATON_HOME

/** A fresh BATON_HOME (not yet created: Baton makes it). */
function newHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-mcp-auth-'))
  homes.push(dir)
  return join(dir, 'home')
}

async function server(options: Parameters<typeof startFakeAuthServer>[0] = {}): Promise<FakeAuthServer> {
  const s = await startFakeAuthServer(options)
  servers.push(s)
  return s
}

async function connect(...args: Parameters<typeof mcpTools>): Promise<McpTools> {
  const mcp = await mcpTools(...args)
  open.push(mcp)
  return mcp
}

function whoami(mcp: McpTools): Tool {
  return mcp.tools.find((t) => t.name === 'whoami')!
}

function loginFile(): { servers: Record<string, McpAuthEntry> } {
  return JSON.parse(readFileSync(join(home, 'mcp-auth.json'), 'utf8'))
}

beforeEach(() => {
  home = newHome()
  process.env.BATON_HOME = home
})

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

afterAll(() => {
  if (savedHome === undefined) delete process.env.BATON_HOME
  else process.env.BATON_HOME = savedHome
  for (const dir of homes) rmSync(dir, { recursive: true, force: true })
})

describe('a login (authorization code with PKCE)', () => {
  it('keeps its tokens in a file only the user can read, which the next connect uses with no new login', async () => {
    const s = await server()
    const first = await connect({ url: s.url, auth: { authorize: approve } })
    expect(await whoami(first).run({}, toolContext())).toBe('client client-1, scope tools')
    expect(s.counts).toMatchObject({ registrations: 1, authorizations: 1, tokens: { authorization_code: 1 } })

    const file = join(home, 'mcp-auth.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(home).mode & 0o777).toBe(0o700)
    const entry = loginFile().servers[s.url]!
    expect(entry.tokens?.access_token).toBe(s.secrets.find((x) => x.startsWith('at-')))
    expect(entry.client?.client_id).toBe('client-1')

    // No auth option: the stored login is enough.
    const again = await connect({ url: s.url })
    expect(await whoami(again).run({}, toolContext())).toBe('client client-1, scope tools')
    expect(s.counts).toMatchObject({ registrations: 1, authorizations: 1, tokens: { authorization_code: 1 } })
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('refreshes an expired access token, once for calls made in parallel (the refresh token rotates)', async () => {
    const s = await server({ refreshDelayMs: 200 })
    await (await connect({ url: s.url, auth: { authorize: approve } })).close()
    const mcp = await connect({ url: s.url })
    s.expireAccessTokens()
    const results = await Promise.all([1, 2, 3].map(() => whoami(mcp).run({}, toolContext())))
    expect(results).toEqual(Array(3).fill('client client-1, scope tools'))
    expect(s.counts.tokens.refresh_token).toBe(1)
    expect(s.counts.authorizations).toBe(1)
    // The new tokens replaced the old ones on disk.
    const stored = loginFile().servers[s.url]!.tokens!
    expect(stored.access_token).toBe(s.secrets.filter((x) => x.startsWith('at-')).at(-1))
    expect(stored.refresh_token).toBe(s.secrets.filter((x) => x.startsWith('rt-')).at(-1))
  })

  it('keeps logins in a store passed in, and writes no file', async () => {
    const s = await server()
    const entries = new Map<string, McpAuthEntry>()
    const writes: string[] = []
    const store: McpAuthStore = {
      get: async (url) => entries.get(url),
      set: async (url, entry) => {
        writes.push(url)
        entries.set(url, structuredClone(entry))
      },
      delete: async (url) => void entries.delete(url),
    }
    await (await connect({ url: s.url, auth: { authorize: approve, store } })).close()
    expect(entries.get(s.url)?.tokens?.access_token).toMatch(/^at-/)
    expect(new Set(writes)).toEqual(new Set([s.url]))
    const mcp = await connect({ url: s.url, auth: { store } })
    expect(await whoami(mcp).run({}, toolContext())).toBe('client client-1, scope tools')
    expect(s.counts.authorizations).toBe(1)
    expect(existsSync(join(home, 'mcp-auth.json'))).toBe(false)
  })
})

describe('a server that needs authorization Baton cannot get', () => {
  it('fails in one line that names the server and the command to run', async () => {
    const s = await server()
    const error = await rejection(mcpTools({ url: `${s.url}?tenant=a` }))
    expect(error.code).toBe('MCP_AUTH')
    expect(error.message).toBe(
      `the MCP server ${s.url} needs authorization: run \`baton mcp login ${s.url}\`, or give it auth: { authorize } to log in during connect, or auth: { grant: 'client_credentials', clientId, clientSecret } for an agent with no user`,
    )
    // Nothing was registered or asked for: there was no one to log in.
    expect(s.counts).toMatchObject({ registrations: 0, authorizations: 0 })
  })

  it('says when a stored login has expired and cannot be refreshed', async () => {
    const s = await server()
    await (await connect({ url: s.url, auth: { authorize: approve } })).close()
    s.expireAccessTokens()
    s.revokeRefreshTokens()
    const error = await rejection(mcpTools({ url: s.url }))
    expect(error.code).toBe('MCP_AUTH')
    expect(error.message).toBe(
      `the login to the MCP server ${s.url} has expired and cannot be refreshed: run \`baton mcp login ${s.url}\` again, or give it auth: { authorize } to log in during connect`,
    )
  })

  it('names a login file it cannot read, without quoting it', async () => {
    const s = await server()
    mkdirSync(home, { recursive: true })
    writeFileSync(
      join(home, 'mcp-auth.json'),
      '{"servers": {"x": {"tokens": {"access_token": "file-secret-1"}}}}',
    )
    const error = await rejection(mcpTools({ url: s.url }))
    expect(error.code).toBe('MCP_AUTH')
    expect(error.message).toBe(
      `the MCP login file ${join(home, 'mcp-auth.json')} is not one Baton wrote (expected JSON { "version": 1, "servers": { … } }); delete it and log in again`,
    )
  })

  it('says the credentials in headers were refused, without quoting them', async () => {
    const s = await server()
    const error = await rejection(
      mcpTools({ url: s.url, headers: { Authorization: 'Bearer hand-made-secret-token' } }),
    )
    expect(error.code).toBe('MCP_AUTH')
    expect(error.message).toBe(`the MCP server ${s.url} refused the credentials in headers (HTTP 401)`)
    expect(JSON.stringify(error.cause, Object.getOwnPropertyNames(error.cause))).not.toContain(
      'hand-made-secret-token',
    )
  })
})

describe('an agent with no user (client credentials)', () => {
  it('gets its own token, kept in memory only', async () => {
    const s = await server({ clients: { reporter: 'reporter-secret-1' } })
    const mcp = await connect({
      url: s.url,
      auth: { grant: 'client_credentials', clientId: 'reporter', clientSecret: 'reporter-secret-1' },
    })
    expect(await whoami(mcp).run({}, toolContext())).toBe('client reporter, scope (none)')
    expect(s.counts.tokens).toEqual({ client_credentials: 1 })
    expect(existsSync(join(home, 'mcp-auth.json'))).toBe(false)
    // An expired token is replaced by a new one, asked for the same way.
    s.expireAccessTokens()
    expect(await whoami(mcp).run({}, toolContext())).toBe('client reporter, scope (none)')
    expect(s.counts.tokens).toEqual({ client_credentials: 2 })
  })
})

describe('secrets', () => {
  it('never reach a transcript, an event or a tool error, even when a call fails for want of a login', async () => {
    const s = await server()
    await (await connect({ url: s.url, auth: { authorize: approve } })).close()
    // The run's connection has no `authorize`: once the login is gone, nobody can log in again.
    const mcp = await connect({ url: s.url })
    const model = scriptedModel([
      { toolCalls: [{ name: 'whoami', args: {} }] },
      () => {
        // After the first call, the login is gone: the second call cannot authorize.
        s.expireAccessTokens()
        s.revokeRefreshTokens()
        return { toolCalls: [{ name: 'whoami', args: {} }] }
      },
      { text: 'done' },
    ])
    const agent = defineAgent({ name: 'auditor', instructions: 'Ask who you are.', model, tools: mcp.tools })
    const record = join(home, '..', 'run.jsonl')
    const { events, result } = await collect(stream(agent, 'who am I?', { record }))
    expect(result.status).toBe('done')
    const replies = model.requests[2]!.messages.filter((m) => m.role === 'tool')
    expect(replies[0]?.content).toBe('client client-1, scope tools')
    expect(replies[1]).toMatchObject({ isError: true })
    expect(replies[1]!.content).toContain('has expired and cannot be refreshed')
    const texts = [readFileSync(record, 'utf8'), JSON.stringify(events), JSON.stringify(model.requests)]
    expect(s.secrets.length).toBe(3) // the code, an access token, a refresh token
    for (const secret of s.secrets) for (const text of texts) expect(text).not.toContain(secret)
  })

  it('are scrubbed from what an authorization server quotes back in its errors', async () => {
    const s = await server({ clients: { reporter: 'right-secret' }, echoSecretsOnError: true })
    const error = await rejection(
      mcpTools({
        url: s.url,
        auth: { grant: 'client_credentials', clientId: 'reporter', clientSecret: 'wrong-secret-42' },
      }),
    )
    expect(error.code).toBe('MCP_AUTH')
    expect(error.message).toBe(`could not authorize with the MCP server ${s.url}: bad secret [redacted]`)
    expect(String((error.cause as Error).stack)).not.toContain('wrong-secret-42')
  })

  it('are scrubbed by value and by shape from any message', () => {
    const text = [
      'HTTP 400: Raw body: {"access_token":"at-1","refresh_token": "rt-2","code": -32601}',
      'grant_type=refresh_token&refresh_token=rt-3456789&code=short',
      'Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig and the key -----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----',
      'the secret s3cr3t-value, exit code=1',
    ].join('\n')
    expect(scrub(text, ['s3cr3t-value'])).toBe(
      [
        'HTTP 400: Raw body: {"access_token":"[redacted]","refresh_token": "[redacted]","code": -32601}',
        'grant_type=refresh_token&refresh_token=[redacted]&code=short',
        'Authorization: Bearer [redacted] and the key [redacted]',
        'the secret [redacted], exit code=1',
      ].join('\n'),
    )
  })

  it('are never quoted by a refused option', async () => {
    const cases: [unknown, string][] = [
      [
        { grant: 'client_credentials', clientSecret: 'opt-secret-1' },
        'server.auth.clientId is needed with clientSecret',
      ],
      [
        { clientId: 'a', clientSecret: '' },
        'server.auth.clientSecret must be a non-empty string, got string',
      ],
      [
        { clientId: 'a', privateKey: 'opt-secret-2' },
        'server.auth.privateKey is not a private key Node can read',
      ],
      [
        { grant: 'password' },
        'server.auth.grant must be one of authorization_code, client_credentials, jwt_bearer',
      ],
      [
        { redirectUrl: 'https://example.com/cb' },
        'server.auth.redirectUrl must be http://127.0.0.1:<port>/<path>',
      ],
    ]
    for (const [auth, message] of cases) {
      const error = await rejection(mcpTools({ url: 'http://127.0.0.1:9/mcp', auth } as never))
      expect(error.code).toBe('INVALID_OPTIONS')
      expect(error.message).toContain(message)
      expect(error.message).not.toMatch(/opt-secret/)
    }
  })
})

describe('baton mcp login', () => {
  it('prints the URL to open, waits for the browser on 127.0.0.1, keeps the tokens; logout forgets them', async () => {
    const s = await server()
    const env = { ...process.env, BATON_HOME: home }
    const child = spawn(process.execPath, ['dist/cli/main.js', 'mcp', 'login', s.url], { cwd: ROOT, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${stderr}`)), 60_000)
      child.stderr.on('data', (chunk) => {
        stderr += chunk
        const found = stderr.match(/^\s+(http\S+\/authorize\S+)$/m)?.[1]
        if (found) {
          clearTimeout(timer)
          resolve(found)
        }
      })
    })
    expect(new URL(url).searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
    await approve(new URL(url))
    expect(await exited).toBe(0)
    expect(stdout).toBe(
      `baton: logged in to ${s.url} (fake-protected 1.0.0), scope "tools"; tokens kept in ${join(home, 'mcp-auth.json')}\n`,
    )
    expect(statSync(join(home, 'mcp-auth.json')).mode & 0o777).toBe(0o600)

    // A run's connect uses the login.
    const mcp = await connect({ url: s.url })
    expect(await whoami(mcp).run({}, toolContext())).toBe('client client-1, scope tools')
    expect(s.counts.authorizations).toBe(1)

    const out = await new Promise<string>((resolve) => {
      const logout = spawn(process.execPath, ['dist/cli/main.js', 'mcp', 'logout', s.url], { cwd: ROOT, env })
      let text = ''
      logout.stdout.on('data', (chunk) => {
        text += chunk
      })
      logout.on('close', () => resolve(text))
    })
    expect(out).toBe(`baton: logged out of ${s.url} (removed from ${join(home, 'mcp-auth.json')})\n`)
    expect(loginFile().servers).toEqual({})
  })
})
