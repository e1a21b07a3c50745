import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Agent, isAgent } from '../agent/index.js'
import { UsageError } from './args.js'

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
  if (/\.[cm]?tsx?$/.test(file)) await enableTypeScript(modulePath)
  let module: Record<string, unknown>
  try {
    module = await import(pathToFileURL(file).href)
  } catch (error) {
    throw new UsageError(`cannot load ${modulePath}: ${(error as Error).message}`)
  }
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
      `${modulePath} exports several agents (${found.join(', ')}); pick one: baton run ${modulePath}#${found[0]} "<task>"`,
    )
  throw new UsageError(
    `${modulePath} exports no agent; export one made by defineAgent (export default defineAgent({...}))`,
  )
}

function agentExports(module: Record<string, unknown>): string[] {
  return Object.keys(module).filter((name) => isAgent(module[name]))
}

let registered = false

/**
 * Loads TypeScript through tsx when it is installed, even on a Node that strips types itself:
 * modules import their siblings as `./x.js` (TypeScript's NodeNext convention), which tsx maps
 * to `x.ts` and Node's own type stripping does not. Node's stripping is the fallback.
 */
export async function enableTypeScript(file: string): Promise<void> {
  if (registered) return
  try {
    const { register } = (await import('tsx/esm/api' as string)) as { register: () => void }
    register()
    registered = true
  } catch {
    if ((process.features as { typescript?: unknown }).typescript) return
    throw new UsageError(
      `${file} is TypeScript: install tsx (npm i -D tsx) so baton can load it, or compile it to .js`,
    )
  }
}
