/**
 * Provider configuration (API key, base URL) is checked when a live call is about to be made:
 * never when an agent is defined or its model string resolved, and never for a replay, which
 * calls no model. A live call without it still fails clearly, naming the variable.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, replay, run } from '../../src/index.js'
import { resolveModel } from '../../src/providers/index.js'
import { BASE_URL as ANTHROPIC_URL, message, messagesHandler, text, toolUse } from './wire/anthropic.js'
import { type Answer, chatHandler, type Json, OLLAMA_URL, type Received } from './wire/openai-chat.js'

const OPENAI_KEY = 'sk-test-deferred-0123456789'
const ANTHROPIC_KEY = 'sk-ant-test-deferred-0123456789'
const VARIABLES = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL']
const TASK = 'Define "a".'

const chatSeen: Received[] = []
const anthropicSeen: unknown[] = []
const toolTurn = (messages: Json[]) => messages.some((m) => m.role === 'tool' || Array.isArray(m.content))
const server = setupServer(
  chatHandler(
    OLLAMA_URL,
    (body): Answer =>
      toolTurn(body.messages)
        ? { content: 'a: the first letter.' }
        : { toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' }] },
    chatSeen,
  ),
  messagesHandler(ANTHROPIC_KEY, ({ body }) => {
    anthropicSeen.push(body)
    const last = body.messages.at(-1)?.content
    return Array.isArray(last) && last.some((b) => (b as { type: string }).type === 'tool_result')
      ? message([text('a: the first letter.')])
      : message([toolUse('toolu_01', 'lookup', { q: 'a' })])
  }),
)

const dir = mkdtempSync(join(tmpdir(), 'baton-deferred-'))
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  // Puts back the environment as it was before each test (stubbed and deleted variables alike).
  vi.unstubAllEnvs()
  chatSeen.length = 0
  anthropicSeen.length = 0
})
afterAll(() => {
  server.close()
  rmSync(dir, { recursive: true, force: true })
})

function configure(): void {
  vi.stubEnv('OPENAI_API_KEY', OPENAI_KEY)
  vi.stubEnv('OPENAI_BASE_URL', OLLAMA_URL)
  vi.stubEnv('ANTHROPIC_API_KEY', ANTHROPIC_KEY)
  vi.stubEnv('ANTHROPIC_BASE_URL', ANTHROPIC_URL)
}

function unconfigure(): void {
  for (const name of VARIABLES) vi.stubEnv(name, undefined)
}

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks up a word',
  input: z.object({ q: z.string() }),
  run: ({ q }) => `definition of ${q}`,
})

const agentOn = (model: string) =>
  defineAgent({ name: 'definer', instructions: 'Define words.', model, tools: [lookup] })

const cases = [
  { model: 'compatible:qwen3-8b', variable: 'OPENAI_BASE_URL' },
  { model: 'openai:gpt-4o-mini', variable: 'OPENAI_API_KEY' },
  { model: 'anthropic:claude-haiku-4-5', variable: 'ANTHROPIC_API_KEY' },
] as const

describe('provider configuration is checked at the first live call', () => {
  it.each(cases)('$model: defining and resolving need no configuration', async ({ model }) => {
    unconfigure()
    const agent = agentOn(model)
    expect(agent.model).toBe(model)
    expect((await resolveModel(model)).id).toBe(model)
  })

  it.each(cases)('$model: a recorded run replays with no key and no base URL set', async ({ model }) => {
    configure()
    const record = join(dir, `${model.replace(/\W/g, '_')}.jsonl`)
    const recorded = await run(agentOn(model), TASK, { record })
    expect(recorded.error).toBeUndefined()
    expect(recorded.status).toBe('done')
    const calls = chatSeen.length + anthropicSeen.length
    expect(calls).toBe(2)

    unconfigure()
    expect(VARIABLES.filter((name) => process.env[name] !== undefined)).toEqual([])
    const replayed = await replay(record, agentOn(model))
    expect(replayed.error).toBeUndefined()
    expect(replayed.status).toBe('done')
    expect(replayed.output).toBe(recorded.output)
    // No model was called.
    expect(chatSeen.length + anthropicSeen.length).toBe(calls)
  })

  it.each(cases)(
    '$model: a live run without it fails clearly, naming $variable',
    async ({ model, variable }) => {
      unconfigure()
      const result = await run(agentOn(model), TASK)
      expect(result.status).toBe('error')
      expect(result.error?.message).toContain(variable)
      expect(result.error?.message).toContain(model)
      expect(chatSeen.length + anthropicSeen.length).toBe(0)
    },
  )

  it('a variable set after the agent was defined counts at the call', async () => {
    unconfigure()
    const agent = agentOn('compatible:qwen3-8b')
    vi.stubEnv('OPENAI_BASE_URL', OLLAMA_URL)
    const result = await run(agent, TASK)
    expect(result.status).toBe('done')
    expect(chatSeen).toHaveLength(2)
  })
})
