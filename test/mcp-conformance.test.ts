/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned) runs every one
 * of its client scenarios against Baton's MCP client: test/fixtures/mcp-conformance-client.ts,
 * which connects with `mcpTools` (and its `auth` option) and calls the server's tool from a Baton
 * agent run. The suite starts its own servers, judges the traffic they saw and fails a scenario
 * on any FAILURE or WARNING. It needs Node 22 or later (it imports `fs.globSync`): on an older
 * Node, the suite and the client run on Node 24 from npm (`npx -p node@24`), as CI has it. Its
 * servers are bound to 127.0.0.1 by a preload (test/fixtures/bind-loopback.mjs).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { type Ran, runNode } from './processes.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SUITE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js')
const PRELOAD = join(ROOT, 'test/fixtures/bind-loopback.mjs')
const CLIENT = 'node --import tsx test/fixtures/mcp-conformance-client.ts'
const TIMED = 'sse-retry'

/** The 26 client scenarios of the pinned version (the first test checks the suite lists these). */
const SCENARIOS = [
  'initialize',
  'tools_call',
  'elicitation-sep1034-client-defaults',
  'sse-retry',
  'auth/metadata-default',
  'auth/metadata-var1',
  'auth/metadata-var2',
  'auth/metadata-var3',
  'auth/basic-cimd',
  'auth/scope-from-www-authenticate',
  'auth/scope-from-scopes-supported',
  'auth/scope-omitted-when-undefined',
  'auth/scope-step-up',
  'auth/scope-retry-limit',
  'auth/token-endpoint-auth-basic',
  'auth/token-endpoint-auth-post',
  'auth/token-endpoint-auth-none',
  'auth/pre-registration',
  'auth/2025-03-26-oauth-metadata-backcompat',
  'auth/2025-03-26-oauth-endpoint-fallback',
  'auth/resource-mismatch',
  'auth/offline-access-scope',
  'auth/offline-access-not-supported',
  'auth/client-credentials-jwt',
  'auth/client-credentials-basic',
  'auth/cross-app-access-complete-flow',
]

/**
 * A Node of version 22 or later: this one; else, when BATON_CONFORMANCE_NODE24=1, Node 24
 * through npx (from its cache when offline). CI runs this file on Node 24 too (.ci/run),
 * so its Node 20 leg leaves this file to that one.
 */
async function modernNode(): Promise<{ path?: string; why: string }> {
  if (Number(process.versions.node.split('.')[0]) >= 22) return { path: process.execPath, why: '' }
  if (process.env.BATON_CONFORMANCE_NODE24 !== '1')
    return {
      why: `(run on Node >= 22, as CI's Node 24 leg does; this is ${process.version}: set BATON_CONFORMANCE_NODE24=1 to run it on npx node@24)`,
    }
  try {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['-y', '-p', 'node@24', 'node', '-p', 'process.execPath'],
      {
        timeout: 120_000,
      },
    )
    return { path: stdout.trim(), why: '' }
  } catch (error) {
    return {
      why: `the conformance suite needs Node >= 22 and this is ${process.version}; npx -p node@24 failed: ${(error as Error).message.split('\n')[0]}`,
    }
  }
}

const node = await modernNode()
const results = mkdtempSync(join(tmpdir(), 'baton-conformance-'))

afterAll(() => rmSync(results, { recursive: true, force: true }))

interface Check {
  id: string
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED'
  description?: string
  errorMessage?: string
}

/** Runs the suite's CLI on the modern Node; resolves with its exit code and output (killed after 90 s). */
function suite(args: string[]): Promise<Ran> {
  return runNode(SUITE, args, {
    cwd: ROOT,
    execPath: node.path!,
    nodeArgs: ['--import', PRELOAD],
    // `node` in the client command is the same modern Node.
    env: { PATH: `${dirname(node.path!)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' },
    timeoutMs: 90_000,
  })
}

describe.skipIf(!node.path)(`the MCP conformance suite's client scenarios ${node.why}`, () => {
  it('are the 26 this file runs', async () => {
    const { code, stdout } = await suite(['list', '--client'])
    expect(code).toBe(0)
    const listed = [...stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1])
    expect(listed.sort()).toEqual([...SCENARIOS].sort())
  })

  // The suite's server times the client's reconnection to the millisecond (500 ms asked, 200 ms
  // late allowed): it runs alone, and again if a busy machine made it late.
  describe(TIMED, () => {
    it('passes', { retry: 2 }, () => passes(TIMED))
  })

  describe.concurrent.each(SCENARIOS.filter((s) => s !== TIMED))('%s', (scenario) => {
    it('passes', () => passes(scenario))
  })
})

/** Runs one scenario and expects no FAILURE, no WARNING, and the suite's exit code 0. */
async function passes(scenario: string): Promise<void> {
  const ran = await suite(['client', '--command', CLIENT, '--scenario', scenario, '-o', results])
  const dir = ran.stderr.match(/Results saved to (.+)/)?.[1]?.trim()
  const checks = dir ? (JSON.parse(readFileSync(join(dir, 'checks.json'), 'utf8')) as Check[]) : []
  const bad = checks
    .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
    .map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`)
  const clientErr = dir ? readFileSync(join(dir, 'stderr.txt'), 'utf8').trim() : ran.stderr
  expect({ bad, code: ran.code }, `client stderr: ${clientErr}`).toEqual({ bad: [], code: 0 })
  expect(checks.some((c) => c.status === 'SUCCESS')).toBe(true)
}
