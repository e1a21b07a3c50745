/**
 * A workspace agent: reads and writes files inside one folder (the workspace) and nowhere else.
 *
 *   baton run agents/workspace-agent.ts "Turn notes.md into a todo list in todo.md"
 *
 * The workspace is `BATON_WORKSPACE`, else `./workspace` (created, and seeded with a copy of
 * agents/data/workspace/notes.md, on first use). With no API key, `baton run` replays
 * agents/recordings/workspace-agent.jsonl instead.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineAgent, type Model } from 'baton'
import { workspaceTools } from 'baton/tools'
import { liveModel } from './research-lead.js'

export const recording = fileURLToPath(new URL('./recordings/workspace-agent.jsonl', import.meta.url))
export const question =
  'Turn the meeting notes in notes.md into a todo list in todo.md: one line per action, with its owner.'

/** The workspace folder, made and seeded on first use. */
export function workspace(root = process.env.BATON_WORKSPACE ?? 'workspace'): string {
  const dir = resolve(root)
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true })
    copyFileSync(fileURLToPath(new URL('./data/workspace/notes.md', import.meta.url)), join(dir, 'notes.md'))
  }
  return dir
}

/** A fresh workspace agent on `model`, working in `root`. */
export function workspaceAgent(model: Model | string = liveModel(), root = workspace()) {
  return defineAgent({
    name: 'workspace-agent',
    description: 'Reads and writes the files of one folder.',
    instructions: new URL('../prompts/workspace-agent.md', import.meta.url),
    model,
    tools: workspaceTools({ root }),
    budget: { maxSteps: 10, maxToolCalls: 12, maxCostUsd: 0.2 },
  })
}

export default workspaceAgent()
