import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, exec, type Packed, packFreshCopy, repoRoot } from './package-pack.js'

// A new user's first minutes: `npm init -y` (a CommonJS package), `npm install` the tarball
// `npm pack` made from a fresh clone, then the CLI, the three entry points, the types and the
// stack traces. Dependencies come from the npm cache (`npm ci` filled it), not the network.
let packed: Packed | undefined
let project = ''

const write = (file: string, text: string) => writeFileSync(join(project, file), text)
const node = (args: string[], env = cleanEnv()) =>
  exec(process.execPath, args, { cwd: project, env, timeoutMs: 120_000 })
const npx = (args: string[]) => exec('npx', ['--offline', ...args], { cwd: project, timeoutMs: 180_000 })

beforeAll(async () => {
  packed = await packFreshCopy()
  project = mkdtempSync(join(tmpdir(), 'baton-user-'))
  await exec('npm', ['init', '-y'], { cwd: project, timeoutMs: 60_000 })
  const install = (mode: string) =>
    exec('npm', ['install', packed!.tarball, mode, '--no-audit', '--no-fund'], {
      cwd: project,
      timeoutMs: 300_000,
    })
  // --offline needs the registry's metadata cached too; an `npm ci` cache holds only the tarballs.
  await install('--offline').catch(() => install('--prefer-offline'))
}, 600_000)

afterAll(() => {
  packed?.dispose()
  if (project) rmSync(project, { recursive: true, force: true })
})

/** Runs a script that should die of an error thrown inside Baton, and returns its stderr. */
async function crash(args: string[]): Promise<string> {
  const failed = await node(args).then(
    () => undefined,
    (error: { stderr: string }) => error,
  )
  expect(failed, 'the script should have failed').toBeDefined()
  return failed!.stderr
}

describe('the package installed into a new CommonJS project', () => {
  it('is a CommonJS project with baton installed from the tarball', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'))
    expect(pkg.type ?? 'commonjs').toBe('commonjs')
    expect(pkg.dependencies.baton).toMatch(/\.tgz$/)
    expect(existsSync(join(project, 'node_modules/baton/dist/index.js'))).toBe(true)
  })

  it('runs `npx baton --help`', { timeout: 180_000 }, async () => {
    const { stdout } = await npx(['baton', '--help'])
    expect(stdout).toContain('baton run <agent-module>')
  })

  it('runs an agent module with `npx baton run`, on baton/testing and baton/tools', {
    timeout: 180_000,
  }, async () => {
    mkdirSync(join(project, 'notes'), { recursive: true })
    write('notes/today.txt', 'the quay opens at 7:40\n')
    write(
      'agent.mjs',
      `import { defineAgent } from 'baton'
import { scriptedModel } from 'baton/testing'
import { workspaceTools } from 'baton/tools'

export default defineAgent({
  name: 'reader',
  instructions: 'Answer from the notes.',
  tools: workspaceTools({ root: 'notes', readOnly: true }),
  model: scriptedModel([
    { toolCalls: [{ name: 'read_file', args: { path: 'today.txt' } }] },
    (request) => ({ text: 'notes: ' + request.messages.at(-1).content }),
  ]),
})
`,
    )
    const { stdout } = await npx(['baton', 'run', 'agent.mjs', 'When does the quay open?', '--json'])
    const result = JSON.parse(stdout)
    expect(result.status).toBe('done')
    expect(result.output).toContain('the quay opens at 7:40')
    // The run leaves its transcript and its HTML trace, which needs the viewer's shipped parts.
    const runs = readdirSync(join(project, 'runs'))
    expect(runs.some((file) => file.endsWith('.jsonl'))).toBe(true)
    expect(runs.some((file) => file.endsWith('.html'))).toBe(true)
  })

  it('runs a TypeScript agent module (a .ts importing a .ts sibling) with `npx baton run`, no build step', {
    timeout: 180_000,
  }, async () => {
    write('greeting.ts', `export const greet = (who: string): string => \`hello, \${who}\`\n`)
    write(
      'typed-agent.ts',
      `import { defineAgent, type Agent } from 'baton'
import { scriptedModel } from 'baton/testing'
import { greet } from './greeting.js'

const agent: Agent = defineAgent({
  name: 'greeter',
  instructions: 'Greet.',
  model: scriptedModel([{ text: greet('quay') }]),
})
export default agent
`,
    )
    const { stdout } = await npx(['baton', 'run', 'typed-agent.ts', 'Say hello', '--json', '--no-record'])
    expect(JSON.parse(stdout)).toMatchObject({ status: 'done', output: 'hello, quay' })
  })

  it('reports a syntax error in a TypeScript agent module as one line naming file:line:column', {
    timeout: 180_000,
  }, async () => {
    write(
      'broken-agent.ts',
      `import { defineAgent } from 'baton'\n\nexport default defineAgent({ name: 'x',, })\n`,
    )
    const failed = await npx(['baton', 'run', 'broken-agent.ts', 'go']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    )
    expect(failed, 'the run should have failed').toBeDefined()
    expect(failed!.code).toBe(2)
    const lines = failed!.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/broken-agent\.ts:3:\d+/)
  })

  it('imports baton, baton/tools and baton/testing from CommonJS, sharing one core', {
    timeout: 120_000,
  }, async () => {
    write(
      'use.cjs',
      `;(async () => {
  const { defineAgent, run } = await import('baton')
  const tools = await import('baton/tools')
  const { fakeClock, scriptedModel } = await import('baton/testing')
  const baton = await import('baton')
  const agent = defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'hello' }]) })
  const result = await run(agent, 'go', { clock: fakeClock() })
  console.log(JSON.stringify({ status: result.status, output: result.output, shared: tools.memoryTools === baton.memoryTools }))
})()
`,
    )
    const { stdout } = await node(['use.cjs'])
    expect(JSON.parse(stdout)).toEqual({ status: 'done', output: 'hello', shared: true })
  })

  it('type-checks a consumer of all three entry points (strict; NodeNext and bundler)', {
    timeout: 180_000,
  }, async () => {
    const dir = join(project, 'typed')
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { defineAgent, defineTool, run, type RunResult, type StopReason } from 'baton'
import { httpFetch, workspaceTools } from 'baton/tools'
import { fakeClock, scriptedModel } from 'baton/testing'
import { defineEval, stepsAtMost, type EvalReport } from 'baton/eval'
import { mcpTools } from 'baton/mcp'
import { openai, resolveModel } from 'baton/providers'
import { compileGlob } from 'baton/glob'
import { durableRuns, type DurableRuns } from 'baton/durable'

const shout = defineTool({
  name: 'shout',
  description: 'Upper-cases',
  input: { type: 'object', properties: { s: { type: 'string' } }, required: ['s'] },
  run: (input: { s: string }) => input.s.toUpperCase(),
})
const agent = defineAgent({
  name: 'a',
  instructions: 'x',
  tools: [shout, httpFetch(), ...workspaceTools({ root: '.', readOnly: true })],
  model: scriptedModel([{ text: 'hi' }]),
})
export async function main(): Promise<string> {
  const result: RunResult = await run(agent, 'go', { clock: fakeClock() })
  // @ts-expect-error the types are real: a budget limit is a number
  defineAgent({ name: 'b', instructions: 'x', model: 'openai:gpt-4o', budget: { maxSteps: 'many' } })
  const reason: StopReason = result.stopReason
  return result.status === 'done' ? String(result.output) : (result.error?.message ?? reason)
}
export const suite = defineEval({ name: 'e', agent, cases: [{ name: 'c', input: 'go' }], scorers: [stepsAtMost(3)] })
export const pieces = [mcpTools, openai('gpt-4o-mini'), resolveModel, compileGlob('a/*'), durableRuns] as const
export type Durable = DurableRuns
export type Report = EvalReport
`,
    )
    // The README's first example, as a user pastes it (top-level await: an ES module).
    writeFileSync(join(dir, 'readme-agent.mts'), readmeExample())
    const types = join(repoRoot, 'node_modules/@types')
    const base = { strict: true, target: 'ES2022', noEmit: true, types: ['node'], typeRoots: [types] }
    const configs = {
      'tsconfig.nodenext.json': { ...base, module: 'NodeNext', moduleResolution: 'NodeNext' },
      'tsconfig.bundler.json': { ...base, module: 'ESNext', moduleResolution: 'bundler' },
    }
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc')
    for (const [file, compilerOptions] of Object.entries(configs)) {
      writeFileSync(join(dir, file), JSON.stringify({ compilerOptions, include: ['*.ts', '*.mts'] }))
      const checked = await exec(process.execPath, [tsc, '-p', file], { cwd: dir, timeoutMs: 180_000 }).then(
        () => 'clean',
        (error: { stdout: string }) => error.stdout,
      )
      expect(checked, file).toBe('clean')
    }
  })

  it('prints what went wrong when the README example runs without a key', { timeout: 120_000 }, async () => {
    write('readme-agent.mjs', readmeExample())
    const env = cleanEnv()
    for (const key of ['OPENAI_API_KEY', 'OPENAI_BASE_URL']) delete env[key]
    const { stdout, stderr } = await node(['readme-agent.mjs'], env)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^error \S/)
    expect(stderr).toContain('OPENAI_API_KEY')
    expect(stderr).not.toContain('undefined')
  })

  it.each([
    ['baton', `import { defineAgent } from 'baton'\ndefineAgent({ name: 'x', instructions: 'y' })\n`],
    ['baton/tools', `import { workspaceTools } from 'baton/tools'\nworkspaceTools({})\n`],
  ])(
    'shows TypeScript frames for an error thrown inside %s (--enable-source-maps)',
    { timeout: 120_000 },
    async (entry, code) => {
      const file = `throw-${entry.replace('/', '-')}.mjs`
      write(file, code)
      const stderr = await crash(['--enable-source-maps', file])
      expect(stderr).toContain('BatonError')
      const frames = stderr.split('\n').filter((line) => /^\s+at /.test(line))
      const ours = frames.filter((line) => /node_modules[\\/]baton[\\/]/.test(line))
      expect(ours.length).toBeGreaterThan(0)
      expect(ours.filter((line) => /[\\/]dist[\\/]/.test(line))).toEqual([])
      const top =
        /((?:[A-Za-z]:)?[^\s(]*node_modules[\\/]baton[\\/](?:src|tools)[\\/][^\s:]+\.ts):(\d+):\d+/.exec(
          frames[0]!,
        )
      expect(top, frames[0]).not.toBeNull()
      const source = readFileSync(top![1]!, 'utf8').split('\n')[Number(top![2]) - 1]!
      // The frame's line is the TypeScript that made the error, and Node shows source lines from it.
      expect(source).toMatch(/Error/)
      expect(stderr).toMatch(/[\\/]baton[\\/](?:src|tools)[\\/][^\s:]+\.ts:\d+\n.+\n\s*\^/)
    },
  )
})

/** The "An agent in 15 lines" code block of the README the package ships. */
function readmeExample(): string {
  const readme = readFileSync(join(project, 'node_modules/baton/README.md'), 'utf8')
  const section = readme.split(/^## An agent in 15 lines$/m)[1] ?? ''
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  expect(code, 'the README has an "An agent in 15 lines" example').toBeDefined()
  return code!
}
