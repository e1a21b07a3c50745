/**
 * A transcript is data someone may send: `baton replay <file>` without --agent loads the module its
 * header names only when it lies inside the working directory (no absolute path, no `..` out, no
 * symlink out), says which module it loads, and otherwise stops with exit 2 before running any of
 * its code, asking for --agent.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = new URL('..', import.meta.url).pathname
const temp = mkdtempSync(join(tmpdir(), 'baton-replay-trust-'))
// The working directory of the replays; `outside` is next to it, not in it.
const work = join(temp, 'work')
const outside = join(temp, 'outside')
afterAll(() => rmSync(temp, { recursive: true, force: true }))

function baton(args: string[]) {
  const child = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

/** An agent module whose top level leaves a marker file: it shows whether the module ran. */
function agentModule(file: string, marker: string): void {
  const dist = (name: string) => JSON.stringify(pathToFileURL(join(root, 'dist', name)).href)
  writeFileSync(
    file,
    `import { writeFileSync } from 'node:fs'
import { defineAgent } from ${dist('index.js')}
import { scriptedModel } from ${dist('testing/index.js')}
writeFileSync(${JSON.stringify(marker)}, 'ran')
export default defineAgent({ name: 'solo', instructions: 'Answer.', model: scriptedModel([{ text: 'ok' }, { text: 'ok' }]) })
`,
  )
}

let transcriptLines: string[]

/** The recorded transcript with its header naming `module` as the agent's module. */
function naming(module: string, name: string): string {
  const file = join(work, name)
  const header = JSON.parse(transcriptLines[0]!) as Record<string, unknown>
  writeFileSync(
    file,
    [JSON.stringify({ ...header, source: { module } }), ...transcriptLines.slice(1)].join('\n'),
  )
  return file
}

beforeAll(() => {
  mkdirSync(join(work, 'agents'), { recursive: true })
  mkdirSync(outside, { recursive: true })
  agentModule(join(work, 'agents', 'solo.mjs'), join(temp, 'inside-ran'))
  agentModule(join(outside, 'evil.mjs'), join(temp, 'evil-ran'))
  symlinkSync(outside, join(work, 'linked'), 'dir')
  const recorded = join(work, 'recorded.jsonl')
  const run = baton(['run', 'agents/solo.mjs', 'Say ok', '--record', recorded, '--json'])
  expect(run.code, run.stderr).toBe(0)
  transcriptLines = readFileSync(recorded, 'utf8').split('\n')
  expect(JSON.parse(transcriptLines[0]!).source).toEqual({ module: 'agents/solo.mjs' })
  rmSync(join(temp, 'inside-ran'))
})

describe('baton replay of a transcript naming its agent module', () => {
  it.each([
    ['an absolute path', () => join(outside, 'evil.mjs'), /an absolute path/],
    ['a path that climbs out with ..', () => '../outside/evil.mjs', /outside the working directory/],
    [
      'a path inside that climbs out again',
      () => 'agents/../../outside/evil.mjs',
      /outside the working directory/,
    ],
    ['a symbolic link leading out', () => 'linked/evil.mjs', /symbolic link/],
  ])('refuses %s with exit 2 before running the module', (_, module, why) => {
    const file = naming(module(), `named-${Math.random().toString(36).slice(2)}.jsonl`)
    const { code, stdout, stderr } = baton(['replay', file])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(why)
    expect(stderr).toContain('--agent <agent-module>')
    expect(existsSync(join(temp, 'evil-ran'))).toBe(false)
  })

  it('loads a module inside the working directory, and says which on stderr', () => {
    const file = naming('agents/solo.mjs', 'inside.jsonl')
    const { code, stdout, stderr } = baton(['replay', file])
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('status: done')
    expect(stderr).toMatch(/^baton: loading agent module agents\/solo\.mjs named by the transcript/)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(existsSync(join(temp, 'inside-ran'))).toBe(true)
  })

  it('with --agent, loads the module the user names and nothing the transcript names', () => {
    rmSync(join(temp, 'inside-ran'), { force: true })
    const file = naming('../outside/evil.mjs', 'with-agent.jsonl')
    const { code, stderr } = baton(['replay', file, '--agent', 'agents/solo.mjs'])
    expect(code, stderr).toBe(0)
    expect(stderr).toBe('')
    expect(existsSync(join(temp, 'evil-ran'))).toBe(false)
    expect(existsSync(join(temp, 'inside-ran'))).toBe(true)
  })
})
