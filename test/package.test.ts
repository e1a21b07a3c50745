import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { VERSION } from '../src/index.js'

const root = new URL('..', import.meta.url).pathname
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

// `npm test` builds first; these prove what a user gets from `import 'baton'` under plain Node.
describe('the package', () => {
  it('keeps VERSION equal to package.json', () => {
    expect(VERSION).toBe(pkg.version)
  })

  it('resolves baton/tools with plain Node, sharing the core of baton', () => {
    const script = `
      const baton = await import('baton')
      const tools = await import('baton/tools')
      const fetcher = tools.httpFetch()
      const files = tools.workspaceTools({ root: '.', readOnly: true })
      console.log(JSON.stringify({ fetch: fetcher.name, files: files.map((t) => t.name), memory: tools.memoryTools === baton.memoryTools }))
    `
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(JSON.parse(out)).toEqual({
      fetch: 'http_fetch',
      files: ['read_file', 'list_files', 'search_files'],
      memory: true,
    })
  })

  it('resolves baton and baton/testing with plain Node (no loader) and runs an agent', () => {
    expect(existsSync(new URL('../dist/index.js', import.meta.url)), 'run `npm run build` first').toBe(true)
    const script = `
      const { defineAgent, defineTool, run } = await import('baton')
      const { scriptedModel, fakeClock } = await import('baton/testing')
      const tool = defineTool({ name: 'up', description: 'Upper-cases', input: { type: 'object', properties: { s: { type: 'string' } }, required: ['s'] }, run: ({ s }) => s.toUpperCase() })
      const agent = defineAgent({ name: 'a', instructions: 'x', tools: [tool], model: scriptedModel([{ toolCalls: [{ name: 'up', args: { s: 'baton' } }] }, (r) => ({ text: r.messages.at(-1).content })]) })
      const result = await run(agent, 'go')
      console.log(JSON.stringify({ status: result.status, output: result.output, clock: typeof fakeClock }))
    `
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(JSON.parse(out)).toEqual({ status: 'done', output: 'BATON', clock: 'function' })
  })

  it('keeps evals, MCP and providers out of the root entry point, in baton/eval, baton/mcp and baton/providers', () => {
    const script = `
      const baton = await import('baton')
      const evals = await import('baton/eval')
      const mcp = await import('baton/mcp')
      const providers = await import('baton/providers')
      const glob = await import('baton/glob')
      const durable = await import('baton/durable')
      const moved = ['defineEval', 'runEval', 'exact', 'mcpTools', 'openai', 'anthropic', 'compatible', 'resolveModel', 'compileGlob', 'liveEffects', 'systemClock', 'registerProvider', 'durableRuns']
      console.log(JSON.stringify({
        inRoot: moved.filter((name) => name in baton),
        evals: typeof evals.defineEval + typeof evals.runEval + typeof evals.stepsAtMost + typeof evals.costAtMost,
        mcp: typeof mcp.mcpTools,
        providers: typeof providers.openai + typeof providers.resolveModel,
        glob: glob.compileGlob('notes/*')('notes/a'),
        durable: typeof durable.durableRuns,
        // The engine loads when a durable runner is made, not with the entry point.
        dbosLoaded: Object.keys(await import('node:module').then((m) => m.createRequire(import.meta.url).cache)).some((p) => p.includes('dbos-sdk')),
        id: (await providers.resolveModel('anthropic:claude-haiku-4-5')).id,
      }))
    `
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(JSON.parse(out)).toEqual({
      inRoot: [],
      evals: 'functionfunctionfunctionfunction',
      mcp: 'function',
      providers: 'functionfunction',
      glob: true,
      durable: 'function',
      dbosLoaded: false,
      id: 'anthropic:claude-haiku-4-5',
    })
  })

  it('does not load zod, ajv or the provider SDKs when the core is imported', () => {
    const script = `
      await import('baton')
      const loaded = Object.keys(require.cache ?? {})
      console.log(JSON.stringify(loaded))
    `
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${script}`,
      ],
      { cwd: root, encoding: 'utf8' },
    )
    const loaded: string[] = JSON.parse(out)
    expect(loaded.filter((file) => /node_modules\/(zod|ajv|openai|@anthropic-ai)/.test(file))).toEqual([])
  })

  it('imports nothing but Node built-ins and its own files statically (heavy packages load lazily)', () => {
    const files = readdirSync(new URL('../dist', import.meta.url), {
      recursive: true,
      encoding: 'utf8',
    }).filter((f) => f.endsWith('.js'))
    expect(files.length).toBeGreaterThan(20)
    const foreign: string[] = []
    for (const file of files) {
      const code = readFileSync(new URL(`../dist/${file}`, import.meta.url), 'utf8')
      for (const match of code.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
        const specifier = match[1]!
        // baton/tools is built on the public package, so it may import its entry points (the same core).
        const own = (specifier === 'baton' || specifier.startsWith('baton/')) && file.startsWith('tools/')
        if (!specifier.startsWith('.') && !specifier.startsWith('node:') && !own)
          foreign.push(`${file}: ${specifier}`)
      }
    }
    expect(foreign).toEqual([])
  })

  it('declares engines, bin and exports as documented', () => {
    expect(pkg.name).toBe('baton')
    expect(pkg.type).toBe('module')
    expect(pkg.engines.node).toBe('>=20')
    expect(Object.keys(pkg.exports)).toEqual(
      expect.arrayContaining(['.', './testing', './tools', './eval', './mcp', './providers', './glob']),
    )
    expect(pkg.bin.baton).toBeDefined()
  })
})
