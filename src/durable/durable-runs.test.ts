import { describe, expect, it } from 'vitest'
import { defineAgent } from '../agent/index.js'
import { scriptedModel } from '../testing/index.js'
import { durableRuns } from './durable-runs.js'

const database = 'postgresql://baton:secret@127.0.0.1:1/baton'
const agent = (name: string) =>
  defineAgent({ name, instructions: 'x', model: scriptedModel([{ text: 'ok' }]) })

describe('durableRuns checks its options before it connects', () => {
  it.each([
    [null, 'options must be an object { database, agents }, got null'],
    [
      { database, agents: [agent('a')], concurency: 4 },
      'unknown option "concurency" (known: database, agents, queue)',
    ],
    [{ database, agents: 42 }, 'agents must be an array of agents made by defineAgent, got number 42'],
    [{ database, agents: [{ name: 'a' }] }, 'agents[0] must be an agent made by defineAgent, got object'],
    [{ database, agents: [agent('a'), agent('a')] }, 'agents[1]: two different agents are named "a"'],
    [{ database, agents: [], queue: '' }, 'queue must be a non-empty string, got the string ""'],
    [{ database: 'mysql://x', agents: [] }, 'database must be a postgresql:// URL, got "mysql://x"'],
  ])('%j', async (options, message) => {
    await expect(durableRuns(options as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: `durableRuns: ${message}`,
    })
  })
})
