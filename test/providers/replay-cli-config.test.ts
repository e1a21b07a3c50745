/**
 * `baton replay` of a run recorded on `compatible:`, `openai:` and `anthropic:` model strings,
 * in a child process (the built CLI, `npm test` builds first) whose environment has no provider
 * key and no base URL: a replay calls no model, so it needs none.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { defineAgent, defineTool, run } from '../../src/index.js'
import { BASE_URL as ANTHROPIC_URL, message, messagesHandler, text, toolUse } from './wire/anthropic.js'
import { type Answer, chatHandler, type Json, OLLAMA_URL } from './wire/openai-chat.js'

const root = new URL('../..', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'baton-replay-config-'))
const KEY = 'sk-test-replay-cli-0123456789'
const VARIABLES = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL']
const TASK = 'Define "a".'
const INSTRUCTIONS = 'Define words.'
const INPUT = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }

const server = setupServer(
  chatHandler(
    OLLAMA_URL,
    (body): Answer =>
      (body.messages as Json[]).some((m) => m.role === 'tool')
        ? { content: 'a: the first letter.' }
        : { toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' }] },
  ),
  messagesHandler(KEY, ({ body }) => {
    const last = body.messages.at(-1)?.content
    return Array.isArray(last) && last.some((b) => (b as { type: string }).type === 'tool_result')
      ? message([text('a: the first letter.')])
      : message([toolUse('toolu_01', 'lookup', { q: 'a' })])
  }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => vi.unstubAllEnvs())
afterAll(() => {
  server.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The same agent, as a module the CLI loads (from dist) and as the recording run's definition. */
function agentModule(model: string): string {
  const file = join(dir, `${model.replace(/\W/g, '_')}.mjs`)
  const dist = JSON.stringify(pathToFileURL(join(root, 'dist', 'index.js')).href)
  writeFileSync(
    file,
    `import { defineAgent, defineTool } from ${dist}
const lookup = defineTool({ name: 'lookup', description: 'Looks up a word', input: ${JSON.stringify(INPUT)}, run: ({ q }) => 'definition of ' + q })
export default defineAgent({ name: 'definer', instructions: ${JSON.stringify(INSTRUCTIONS)}, model: ${JSON.stringify(model)}, tools: [lookup] })
`,
  )
  return file
}

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks up a word',
  input: INPUT,
  run: ({ q }: { q: string }) => `definition of ${q}`,
})

describe('baton replay needs no provider configuration', () => {
  it.each(['compatible:qwen3-8b', 'openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5'])(
    '%s',
    async (model) => {
      vi.stubEnv('OPENAI_API_KEY', KEY)
      vi.stubEnv('OPENAI_BASE_URL', OLLAMA_URL)
      vi.stubEnv('ANTHROPIC_API_KEY', KEY)
      vi.stubEnv('ANTHROPIC_BASE_URL', ANTHROPIC_URL)
      const record = join(dir, `${model.replace(/\W/g, '_')}.jsonl`)
      const agent = defineAgent({ name: 'definer', instructions: INSTRUCTIONS, model, tools: [lookup] })
      const recorded = await run(agent, TASK, { record })
      expect(recorded.status).toBe('done')

      const env = { ...process.env }
      for (const name of VARIABLES) delete env[name]
      const child = spawnSync(
        process.execPath,
        ['dist/cli/main.js', 'replay', record, '--agent', agentModule(model), '--json'],
        { cwd: root, encoding: 'utf8', timeout: 60_000, env },
      )
      expect(child.status, child.stderr).toBe(0)
      const result = JSON.parse(child.stdout) as { status: string; output: unknown }
      expect(result.status).toBe('done')
      expect(result.output).toBe(recorded.output)
    },
    90_000,
  )
})
