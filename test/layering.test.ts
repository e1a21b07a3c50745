/**
 * The layering docs/architecture.md describes, checked over the imports of every source file
 * (static, `export … from` and dynamic `import()`): a rule broken fails with the file, the
 * import and the rule.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

interface SourceFile {
  /** Relative to the project root, with `/`: `src/loop/agent-loop.ts`. */
  path: string
  text: string
}

interface Rule {
  /** The files it applies to (a prefix of their path). */
  from: string
  /** What they must not import: a path prefix (`src/providers/`), or a test of the specifier. */
  not: string | ((specifier: string, target: string | undefined) => boolean)
  why: string
}

/** The layering, as docs/architecture.md states it. */
const RULES: readonly Rule[] = [
  {
    from: 'src/loop/',
    not: 'src/providers/',
    why: 'the loop never loads a provider (models come resolved, or through the run)',
  },
  { from: 'src/loop/', not: 'src/cli/', why: 'the loop knows nothing of the CLI' },
  {
    from: 'src/model/',
    not: 'src/providers/',
    why: 'the model layer is the interface; providers implement it',
  },
  { from: 'src/transcript/', not: 'src/providers/', why: 'transcripts are provider-neutral' },
  {
    from: 'src/effects/',
    not: 'src/tool/',
    why: 'a tool effect answers as data; the door does not know tools',
  },
  ...['src/loop/', 'src/providers/', 'src/cli/', 'src/run/'].map((layer) => ({
    from: 'src/plan/',
    not: layer,
    why: 'plans are data and one executor; the loop runs their tasks as its calls',
  })),
  { from: 'src/effects/', not: 'src/loop/', why: 'the door is below the loop' },
  ...['src/loop/', 'src/providers/', 'src/cli/', 'src/run/'].map((layer) => ({
    from: 'src/context/',
    not: layer,
    why: 'compaction is a function of the history; the loop applies it and makes its calls',
  })),
  ...['src/loop/', 'src/cli/', 'src/run/'].map((layer) => ({
    from: 'src/routing/',
    not: layer,
    why: 'chains and routers are Models: they know requests, not runs',
  })),
  ...['src/loop/', 'src/providers/', 'src/cli/'].map((layer) => ({
    from: 'src/otel/',
    not: layer,
    why: 'spans are built from events alone, live or from a transcript',
  })),
  ...['src/providers/', 'src/loop/', 'src/cli/'].map((layer) => ({
    from: 'src/limits/',
    not: layer,
    why: 'the shared limits are provider-neutral: providers call them',
  })),
  {
    from: 'src/memory/',
    not: (_specifier, target) =>
      target !== undefined && !target.startsWith('src/memory/') && !target.startsWith('src/errors/'),
    why: 'memory is a plain store: it imports only the errors',
  },
  {
    from: 'tools/',
    not: (specifier, target) =>
      (target !== undefined && !target.startsWith('tools/')) || specifier.startsWith('baton/src'),
    why: 'ready-made tools reach the core only through the package entry points (baton, baton/glob, …)',
  },
  {
    from: 'src/index.ts',
    not: (_specifier, target) =>
      ['src/eval/', 'src/mcp/', 'src/providers/', 'src/cli/', 'src/durable/'].some((p) =>
        target?.startsWith(p),
      ),
    why: 'the root entry point keeps what a script needs; evals, MCP, providers and durable runs have their own',
  },
]

const SPECIFIERS =
  /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g

/** The import specifiers of a file: static, re-exports, side-effect imports and dynamic `import()`. */
function importsOf(text: string): string[] {
  // Comments may quote imports (`import('…')` in a doc comment); they are not imports.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  return [...code.matchAll(SPECIFIERS)].map((m) => (m[1] ?? m[2] ?? m[3])!)
}

/** The static imports of a file (not `import()`: what loads with it). */
function staticImportsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  return [
    ...code.matchAll(
      /(?:^|\n)\s*(?:import|export)\b(?!\s+type\b)[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
    ),
  ].map((m) => (m[1] ?? m[2])!)
}

/** Every source file that loads when `entry` is imported (static imports, transitively). */
function loadedWith(entry: string, files: ReadonlyMap<string, string>): Set<string> {
  const seen = new Set<string>()
  const visit = (path: string): void => {
    if (seen.has(path) || !files.has(path)) return
    seen.add(path)
    for (const specifier of staticImportsOf(files.get(path)!)) {
      const target = targetOf(path, specifier)
      if (target) visit(target.replace(/\.js$/, '.ts'))
    }
  }
  visit(entry)
  return seen
}

/** Where a relative specifier of `file` points, relative to the root; undefined for packages. */
function targetOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  return relative(ROOT, resolve(ROOT, dirname(file), specifier))
    .split('\\')
    .join('/')
}

/** Every import that breaks a rule: `file: import 'x' — why`. */
function violations(files: readonly SourceFile[], rules: readonly Rule[] = RULES): string[] {
  const found: string[] = []
  for (const file of files) {
    for (const specifier of importsOf(file.text)) {
      const target = targetOf(file.path, specifier)
      for (const rule of rules) {
        if (!file.path.startsWith(rule.from)) continue
        const broken =
          typeof rule.not === 'string' ? target?.startsWith(rule.not) === true : rule.not(specifier, target)
        if (broken) found.push(`${file.path}: import '${specifier}' — ${rule.why}`)
      }
    }
  }
  return found
}

function sources(dir: string): SourceFile[] {
  const out: SourceFile[] = []
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) out.push(...sources(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      out.push({ path, text: readFileSync(join(ROOT, path), 'utf8') })
  }
  return out
}

describe('the layering', () => {
  it('holds over every source file of src/ and tools/', () => {
    const files = [...sources('src'), ...sources('tools')]
    expect(files.length).toBeGreaterThan(100)
    expect(violations(files)).toEqual([])
  })

  it('loads no eval, MCP, provider adapter, durable-run, viewer or CLI code with the root entry point', () => {
    const files = new Map(sources('src').map((file) => [file.path, file.text]))
    const loaded = [...loadedWith('src/index.ts', files)]
    expect(loaded.length).toBeGreaterThan(30)
    const heavy = loaded.filter(
      (path) =>
        /^src\/(eval|mcp|cli|view|durable)\//.test(path) ||
        (path.startsWith('src/providers/') && path !== 'src/providers/resolve.ts'),
    )
    expect(heavy).toEqual([])
  })

  it('names the file, the import and the rule when one is broken', () => {
    const files: SourceFile[] = [
      { path: 'src/loop/bad.ts', text: "import { openai } from '../providers/index.js'\n" },
      { path: 'src/model/lazy.ts', text: "const load = () => import('../providers/resolve.js')\n" },
      {
        path: 'src/memory/noisy.ts',
        text: "export { run } from '../run/index.js'\nimport { x } from './glob.js'\n",
      },
      {
        path: 'tools/reach.ts',
        text: "import { agentLoop } from '../src/loop/index.js'\nimport { compileGlob } from 'baton/glob'\n",
      },
      { path: 'src/index.ts', text: "export { defineEval } from './eval/index.js'\n" },
      {
        path: 'src/loop/fine.ts',
        text: "// import('../providers/index.js') in a comment\nimport { x } from './frame.js'\n",
      },
    ]
    expect(violations(files)).toEqual([
      "src/loop/bad.ts: import '../providers/index.js' — the loop never loads a provider (models come resolved, or through the run)",
      "src/model/lazy.ts: import '../providers/resolve.js' — the model layer is the interface; providers implement it",
      "src/memory/noisy.ts: import '../run/index.js' — memory is a plain store: it imports only the errors",
      "tools/reach.ts: import '../src/loop/index.js' — ready-made tools reach the core only through the package entry points (baton, baton/glob, …)",
      "src/index.ts: import './eval/index.js' — the root entry point keeps what a script needs; evals, MCP, providers and durable runs have their own",
    ])
  })
})
