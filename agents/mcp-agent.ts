/**
 * An agent whose tools come from an MCP server: the reference filesystem server
 * (`@modelcontextprotocol/server-filesystem`), started over stdio on the workspace folder.
 *
 *   baton run agents/mcp-agent.ts "What does notes.md in the workspace say about the budget, and who owns which action?"
 *
 * With no API key, `baton run` replays agents/recordings/mcp-agent.jsonl instead. The module
 * exports `close`, which `baton run` calls when the run is over, to stop the server.
 */
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineAgent, type Model } from 'baton'
import { mcpTools } from 'baton/mcp'
import { liveModel } from './research-lead.js'
import { workspace } from './workspace-agent.js'

export const recording = fileURLToPath(new URL('./recordings/mcp-agent.jsonl', import.meta.url))
export const question = 'What does notes.md in the workspace say about the budget, and who owns which action?'

const server = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-filesystem/dist/index.js')

/** A fresh MCP agent on `model`, with the filesystem server running on `root`. */
export async function mcpAgent(model: Model | string = liveModel(), folder = workspace()) {
  // Started in the folder it serves, so paths in requests and answers stay relative to it.
  const root = resolve(folder)
  const fs = await mcpTools(
    { command: process.execPath, args: [server, root], cwd: root },
    { prefix: 'fs_', include: ['list_directory', 'read_text_file', 'search_files'] },
  )
  const agent = defineAgent({
    name: 'mcp-agent',
    description: 'Answers questions about the files of a folder, through an MCP filesystem server.',
    instructions: new URL('../prompts/mcp-agent.md', import.meta.url),
    model,
    tools: fs.tools,
    budget: { maxSteps: 8, maxCostUsd: 0.2 },
  })
  return { agent, close: () => fs.close() }
}

const started = await mcpAgent()
export default started.agent
/** Stops the MCP server. */
export const close = started.close
