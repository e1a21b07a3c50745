/**
 * TypeScript agent modules load whatever their package's module system: a CommonJS package (what
 * `npm init -y` makes: no "type") and an ESM one, `.ts`, `.mts` and `.cts`, with siblings imported
 * as `./x.js`; a module that does not compile is named on one line with file:line:column and the
 * compiler's message. Run as a user runs it: the built CLI in a child process, in temp packages.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = new URL('..', import.meta.url).pathname
const temps: string[] = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

/** A package in a temp directory that depends on baton (linked to this repository). */
function makePackage(type: 'commonjs (none)' | 'module'): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-load-'))
  temps.push(dir)
  const pkg = type === 'module' ? { name: 'p', type: 'module' } : { name: 'p', version: '1.0.0' }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(root, join(dir, 'node_modules', 'baton'), 'dir')
  return dir
}

function baton(args: string[], cwd: string) {
  const child = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' },
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

// Typed TypeScript (annotations, an interface), a sibling imported as `./<name>.js`, and a
// scripted model so the run completes offline.
const agentSource = (sibling: string) => `import { defineAgent } from 'baton'
import { scriptedModel } from 'baton/testing'
import { greeting } from './${sibling}'

interface Said { text: string }
const said: Said = { text: greeting('Lisbon') }

export default defineAgent({
  name: 'greeter',
  instructions: 'Greet.',
  model: scriptedModel([{ text: said.text }]),
})
`
const siblingSource = `export const greeting = (city: string): string => 'hello from ' + city\n`

describe.each(['commonjs (none)', 'module'] as const)('a package whose type is %s', (type) => {
  const dir = makePackage(type)
  it.each([
    ['.ts', '.ts'],
    ['.mts', '.mts'],
    ['.cts', '.cts'],
    ['.ts', '.mts'],
  ])('runs a %s agent module importing a %s sibling by its .js-style name', (ext, siblingExt) => {
    const name = `agent-${ext.slice(1)}-${siblingExt.slice(1)}`
    writeFileSync(join(dir, `${name}-greet${siblingExt}`), siblingSource)
    // `./x.js` names x.ts, `./x.mjs` x.mts and `./x.cjs` x.cts, as TypeScript resolves them.
    const sibling = `${name}-greet${{ '.ts': '.js', '.mts': '.mjs', '.cts': '.cjs' }[siblingExt]}`
    writeFileSync(join(dir, `${name}${ext}`), agentSource(sibling))
    const { code, stdout, stderr } = baton(
      ['run', `${name}${ext}`, 'Say hello', '--no-record', '--json'],
      dir,
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ status: 'done', output: 'hello from Lisbon' })
  })

  it('names a syntax error on one line: file:line:column and the compiler message, not Node wording', () => {
    writeFileSync(join(dir, 'broken.ts'), 'export const a = 1\nexport const b = {\n  c: 2,,\n}\n')
    const { code, stderr } = baton(['run', 'broken.ts', 'task'], dir)
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    // esbuild's message for `,,` in an object literal names the token it did not expect.
    expect(stderr).toMatch(
      /^baton: cannot load broken\.ts: broken\.ts:3:8: Expected identifier but found ","$/m,
    )
    expect(stderr).not.toMatch(/require\(\)|ES Module|cycle/i)
  })

  it('names the sibling that does not compile, not the module that imports it', () => {
    writeFileSync(join(dir, 'bad-sibling.ts'), 'export const x: number = (\n')
    writeFileSync(join(dir, 'imports-bad.ts'), "import { x } from './bad-sibling.js'\nexport default x\n")
    const { code, stderr } = baton(['run', 'imports-bad.ts', 'task'], dir)
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(
      /^baton: cannot load imports-bad\.ts: bad-sibling\.ts:2:1: Unexpected end of file$/m,
    )
  })
})

describe('a module path that is no JavaScript module file', () => {
  const dir = makePackage('module')

  it('a directory is named as one, on one line, exit 2, with no Node wording', () => {
    mkdirSync(join(dir, 'agents'))
    const { code, stdout, stderr } = baton(['run', 'agents', 'task'], dir)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^baton: agents is a directory; name the agent module in it/)
    expect(stderr).not.toMatch(/Directory import|load-agent/)
  })

  it.each([
    ['an ES module', 'broken.mjs', 'const a = 1\nexport const b = a +;\n', 2, 21],
    ['a CommonJS module', 'broken.cjs', 'const a = 1\n\nexports.b = a +;\n', 3, 16],
  ])(
    'a syntax error in %s is named with file:line:column, like TypeScript',
    (_, file, source, line, column) => {
      writeFileSync(join(dir, file), source)
      const { code, stderr } = baton(['run', file, 'task'], dir)
      expect(code).toBe(2)
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toContain(`baton: cannot load ${file}: ${file}:${line}:${column}: `)
    },
  )
})
