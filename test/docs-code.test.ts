import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PRELUDE, typescriptBlocks } from './docs-code.js'
import { exec, repoRoot } from './package-pack.js'

// Modules the examples import from a project of the reader's that this repository does not have.
const STUBS: Record<string, string> = {
  'agents/researcher': `import type { Agent } from 'baton'\nexport declare const researcher: Agent\n`,
}

const pages = ['README.md', ...readdirSync(join(repoRoot, 'docs')).map((name) => `docs/${name}`)].filter(
  (page) => page.endsWith('.md'),
)
const dir = mkdtempSync(join(tmpdir(), 'baton-docs-code-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Where each checked file came from: `docs-streaming/l10.ts` → docs/streaming.md, line 10. */
const origins = new Map<string, { page: string; line: number }>()
let blocks = 0

for (const page of pages) {
  const folder = page.replace(/\.md$/, '').replace('/', '-')
  for (const block of typescriptBlocks(readFileSync(join(repoRoot, page), 'utf8'))) {
    blocks++
    const file = `${folder}/l${block.line}.ts`
    origins.set(file, { page, line: block.line })
    // A block with no import or export is a script: it becomes a module so its names stay its own.
    const code = /^\s*(import|export)\s/m.test(block.code) ? block.code : `${block.code}\nexport {}\n`
    mkdirSync(join(dir, folder), { recursive: true })
    writeFileSync(join(dir, file), code)
    for (const [, specifier] of block.code.matchAll(/from '(\.\.?\/[^']+)'/g)) linkLocal(folder, specifier!)
  }
}

/**
 * A relative import of an example: the module of this repository it names (`../agents/x.js` →
 * agents/x.ts), re-exported from where the example's file would find it, or a declared stub.
 */
function linkLocal(folder: string, specifier: string): void {
  const target = posix.join(folder, specifier).replace(/\.js$/, '')
  const inRepo = specifier.replace(/^(\.\.?\/)+/, '').replace(/\.js$/, '')
  const file = join(dir, `${target}.ts`)
  mkdirSync(dirname(file), { recursive: true })
  if (existsSync(join(repoRoot, `${inRepo}.ts`))) {
    const real = join(repoRoot, `${inRepo}.js`).replaceAll('\\', '/')
    const source = readFileSync(join(repoRoot, `${inRepo}.ts`), 'utf8')
    const withDefault = /^export default /m.test(source) ? `export { default } from '${real}'\n` : ''
    writeFileSync(file, `export * from '${real}'\n${withDefault}`)
  } else if (STUBS[inRepo]) writeFileSync(file, STUBS[inRepo])
  else throw new Error(`an example imports ${specifier}, which is neither in the repository nor stubbed`)
}

/** The package's entry points, as its exports map gives them, pointing at the built types. */
function entryPaths(): Record<string, string[]> {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    name: string
    exports: Record<string, string | { types: string }>
  }
  const paths: Record<string, string[]> = {}
  for (const [entry, target] of Object.entries(manifest.exports))
    if (typeof target === 'object')
      paths[posix.join(manifest.name, entry)] = [join(repoRoot, target.types).replaceAll('\\', '/')]
  return paths
}

/** Runs the compiler on the examples; resolves with its errors, each named by page and line. */
async function typeErrors(lib: string[] | undefined): Promise<string[]> {
  const config = `tsconfig.${lib ? 'node' : 'dom'}.json`
  const compilerOptions = {
    strict: true,
    target: 'ES2023',
    ...(lib ? { lib } : {}),
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(repoRoot, 'node_modules/@types')],
    paths: entryPaths(),
  }
  writeFileSync(join(dir, config), JSON.stringify({ compilerOptions, include: ['**/*.ts'] }))
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc')
  const output = await exec(process.execPath, [tsc, '-p', config, '--pretty', 'false'], {
    cwd: dir,
    timeoutMs: 150_000,
  }).then(
    () => '',
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  )
  return output
    .split('\n')
    .filter((line) => /error TS\d+/.test(line))
    .map((line) => {
      const at = /^(.+?)\((\d+),\d+\): (.*)$/.exec(line)
      const origin = at && origins.get(at[1]!.replaceAll('\\', '/'))
      return origin ? `${origin.page}:${origin.line + Number(at![2]) - 1}: ${at![3]}` : line
    })
}

describe('the examples of the README and docs/', () => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE)
  // The packages a reader's project has beside Baton (zod, the OpenTelemetry API...).
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'junction')

  it('are found: every page with TypeScript has its blocks checked', () => {
    expect(blocks).toBeGreaterThan(30)
    expect([...origins.values()].some((o) => o.page === 'README.md')).toBe(true)
  })

  // With DOM in the libraries (TypeScript's default) and without it (a Node project's usual setting).
  it.each([
    ['with the DOM library', undefined],
    ['with only the ES library', ['ES2023']],
  ])('type-check strictly, as a reader pastes them, %s', async (_, lib) => {
    expect(await typeErrors(lib)).toEqual([])
  })
})
