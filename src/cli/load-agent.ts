import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Agent, isAgent } from '../agent/index.js'
import { UsageError } from './args.js'
import { shortPath } from './print-events.js'

/** An agent and the module it came from (whose other exports the CLI may use). */
export interface LoadedAgent {
  agent: Agent
  module: Record<string, unknown>
}

/** Imports an agent module (.js, .mjs, or .ts through tsx when installed) and picks the agent. */
export async function loadAgent(modulePath: string, exportName: string | undefined): Promise<Agent> {
  return (await loadAgentModule(modulePath, exportName)).agent
}

/** Like `loadAgent`, and also returns the module's exports. */
export async function loadAgentModule(
  modulePath: string,
  exportName: string | undefined,
): Promise<LoadedAgent> {
  const file = resolve(modulePath)
  if (!existsSync(file)) throw new UsageError(`agent module not found: ${modulePath} (looked at ${file})`)
  if (statSync(file).isDirectory())
    throw new UsageError(
      `${modulePath} is a directory; name the agent module in it, e.g. ${join(modulePath, 'agent.ts')}`,
    )
  const module = await importModule(file, modulePath)
  try {
    return { agent: pickAgent(module, modulePath, exportName), module }
  } catch (error) {
    // A module that started something (an MCP server, say) is stopped before the error shows.
    if (typeof module.close === 'function') await Promise.resolve(module.close()).catch(() => {})
    throw error
  }
}

function pickAgent(
  module: Record<string, unknown>,
  modulePath: string,
  exportName: string | undefined,
): Agent {
  if (exportName !== undefined) {
    const chosen = module[exportName]
    if (!isAgent(chosen)) {
      throw new UsageError(
        `${modulePath} has no agent export named "${exportName}"; agent exports: ${agentExports(module).join(', ') || 'none'}`,
      )
    }
    return chosen
  }
  for (const name of ['default', 'agent']) if (isAgent(module[name])) return module[name]
  const found = agentExports(module)
  if (found.length === 1) return module[found[0]!] as Agent
  if (found.length > 1)
    throw new UsageError(
      `${modulePath} exports several agents (${found.join(', ')}); pick one after #, e.g. ${modulePath}#${found[0]}`,
    )
  throw new UsageError(
    `${modulePath} exports no agent; export one made by defineAgent (export default defineAgent({...}))`,
  )
}

function agentExports(module: Record<string, unknown>): string[] {
  return Object.keys(module).filter((name) => isAgent(module[name]))
}

/**
 * Imports a module the user named: `.js`/`.mjs`/`.cjs` as Node does, TypeScript (`.ts`, `.mts`,
 * `.cts`, `.tsx`) through tsx's `tsImport`, which compiles it whatever the `type` of its package
 * (a CommonJS package, as `npm init -y` makes, included) and maps `./x.js` imports to `x.ts`.
 * A module that fails to load is a usage error of one line: a syntax error names its
 * file:line:column and the compiler's message.
 */
export async function importModule(file: string, shown: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href
  let module: Record<string, unknown>
  try {
    if (!TYPESCRIPT.test(file)) module = await import(url)
    else {
      const tsImport = await typeScriptImport(shown)
      module = tsImport ? await tsImport(url, import.meta.url) : await import(url)
    }
  } catch (error) {
    if (error instanceof UsageError) throw error
    const where = error instanceof SyntaxError && !TYPESCRIPT.test(file) ? syntaxErrorAt(file) : undefined
    throw new UsageError(`cannot load ${shown}: ${where ?? loadProblem(error)}`, { cause: error })
  }
  return commonJsExports(module)
}

const TYPESCRIPT = /\.[cm]?tsx?$/

type TsImport = (specifier: string, parentURL: string) => Promise<Record<string, unknown>>

/** tsx's `tsImport` when tsx is installed; undefined when Node strips types itself. */
async function typeScriptImport(file: string): Promise<TsImport | undefined> {
  try {
    return ((await import('tsx/esm/api' as string)) as { tsImport: TsImport }).tsImport
  } catch {
    if ((process.features as { typescript?: unknown }).typescript) return undefined
    throw new UsageError(
      `${file} is TypeScript: install tsx (npm i -D tsx) so baton can load it, or compile it to .js`,
    )
  }
}

/**
 * Why a module did not load, on one line. esbuild reports a syntax error as
 * `Transform failed with 1 error:\n<file>:<line>:<column>: ERROR: <message>` with a 0-based
 * column; it is shown as `<file>:<line>:<column>: <message>`, the column counted from 1.
 */
export function loadProblem(error: unknown): string {
  const message = String((error as Error)?.message ?? error)
  const located = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(message)
  if (located && /^Transform failed/.test(message)) {
    const [, path, line, column, text] = located
    return `${shortPath(path!)}:${line}:${Number(column) + 1}: ${text}`
  }
  return message.split('\n')[0]!
}

/**
 * `<file>:<line>:<column>: <message>` for a JavaScript module Node refused as a syntax error (Node
 * does not say where in an ES module), found by compiling it with esbuild (tsx's); undefined when
 * esbuild is not there or finds no error in the file itself (it was in a module it imports).
 */
function syntaxErrorAt(file: string): string | undefined {
  try {
    const esbuild = createRequire(import.meta.resolve('tsx/esm/api'))('esbuild') as {
      transformSync(code: string, options: object): unknown
    }
    esbuild.transformSync(readFileSync(file, 'utf8'), {
      loader: 'js',
      format: /\.cjs$/.test(file) ? 'cjs' : 'esm',
      sourcefile: file,
    })
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number; column: number } }[] })
      .errors?.[0]
    if (first?.location)
      return `${shortPath(file)}:${first.location.line}:${first.location.column + 1}: ${first.text}`
  }
  return undefined
}

/**
 * A CommonJS module (a `.ts` file of a package without `"type": "module"`, or a `.cts` file) comes
 * through `import()` as `{ default: module.exports }`; its exports are what the CLI looks at.
 */
function commonJsExports(module: Record<string, unknown>): Record<string, unknown> {
  const inner = module.default as Record<string, unknown> | undefined
  if (typeof inner !== 'object' || inner === null || inner.__esModule !== true) return module
  return { ...module, ...inner, default: inner.default }
}
