/**
 * The example agents replay their shipped recordings offline, faithfully: if a prompt, a tool or
 * an agent changes, the recording must be made again (npx tsx agents/recordings/record.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type Agent, type Model, readTranscript, replay } from '../src/index.js'

/** Stands in for the model a recording was made with: never called by a faithful replay. */
const recorded = (id: string): Model => ({
  spec: 'baton.model.v1',
  id,
  generate: () => Promise.reject(new Error('a faithful replay makes no model call')),
})

const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const close of closers) await close()
})

const examples: [string, () => Promise<{ agent: Agent; recording: string; question: string }>][] = [
  [
    'research-lead',
    async () => {
      const m = await import('../agents/research-lead.js')
      return {
        agent: m.researchLead(recorded('scripted:offline-demo')),
        recording: m.recording,
        question: m.question,
      }
    },
  ],
  [
    'city-planner',
    async () => {
      const m = await import('../agents/city-planner.js')
      return {
        agent: m.cityComparer(recorded('scripted:offline-demo')),
        recording: m.recording,
        question: m.question,
      }
    },
  ],
  [
    'city-report',
    async () => {
      const m = await import('../agents/city-report.js')
      return {
        agent: m.cityReport(recorded('scripted:offline-demo')),
        recording: m.recording,
        question: m.question,
      }
    },
  ],
  [
    'workspace-agent',
    async () => {
      const m = await import('../agents/workspace-agent.js')
      return {
        agent: m.workspaceAgent(recorded('scripted:offline-demo'), 'agents/data/workspace'),
        recording: m.recording,
        question: m.question,
      }
    },
  ],
  [
    'mcp-agent',
    async () => {
      const m = await import('../agents/mcp-agent.js')
      closers.push(m.close)
      const started = await m.mcpAgent(recorded('scripted:offline-demo'), 'agents/data/workspace')
      closers.push(started.close)
      return { agent: started.agent, recording: m.recording, question: m.question }
    },
  ],
]

describe('the shipped recordings of the example agents', () => {
  it('the README and the docs run each recorded example on the task its recording answers', () => {
    const docs = ['README.md', ...readdirSync('docs').map((name) => join('docs', name))].filter((path) =>
      path.endsWith('.md'),
    )
    const commands = docs.flatMap((path) =>
      [...readFileSync(path, 'utf8').matchAll(/\brun (agents\/([a-z-]+)\.ts) "([^"]+)"/g)].map(
        ([, module, name, task]) => ({ path, module, recording: `agents/recordings/${name}.jsonl`, task }),
      ),
    )
    const recorded = commands.filter(({ recording }) => existsSync(recording))
    expect(recorded.length).toBeGreaterThanOrEqual(5)
    for (const { path, module, recording, task } of recorded)
      expect({ path, module, task }).toEqual({ path, module, task: readTranscript(recording).header.task })
  })

  it.each(examples)(
    '%s replays offline to the recorded result, with no live call',
    async (_, load) => {
      const { agent, recording, question } = await load()
      const transcript = readTranscript(recording)
      expect(transcript.header.task).toBe(question)
      const end = transcript.events.at(-1)
      const result = await replay(recording, agent)
      expect(result.divergences).toEqual([])
      expect(result.live).toEqual({ model: 0, tool: 0 })
      expect(result.status).toBe('done')
      if (end?.type === 'run.end') {
        expect(result.output).toEqual(end.output)
        expect(result.usage.steps).toBe(end.usage.steps)
        expect(result.usage.toolCalls).toBe(end.usage.toolCalls)
      }
    },
    120_000,
  )
})
