import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, type MemoryScope, memoryTools, stream } from '../src/index.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { collect, ofType, toolMessages } from './helpers.js'

const write = defineTool({
  name: 'write',
  description: 'Writes a value to shared memory',
  input: z.object({ key: z.string(), value: z.unknown() }),
  run: ({ key, value }, ctx) => {
    ctx.memory.write(key, value)
    return `wrote ${key}`
  },
})

const read = defineTool({
  name: 'read',
  description: 'Reads a value from shared memory',
  input: z.object({ key: z.string() }),
  run: ({ key }, ctx) => ({ value: ctx.memory.read(key) ?? null }),
})

/** Runs one agent whose model makes each batch of calls in turn, then answers. */
async function runCalls(
  batches: { name: string; args: object }[][],
  options: { memory?: MemoryScope; tools?: ReturnType<typeof defineTool>[] } = {},
) {
  const model = scriptedModel([...batches.map((toolCalls) => ({ toolCalls })), { text: 'finished' }])
  const agent = defineAgent({
    name: 'notes',
    instructions: 'Take notes.',
    model,
    tools: options.tools ?? [write, read],
    memory: options.memory,
  })
  const { events, result } = await collect(stream(agent, 'go'))
  return { events, result, model }
}

describe('memory scopes', () => {
  it('refuses a write outside the write scope as a MEMORY_SCOPE tool error and stores nothing', async () => {
    const { events, result, model } = await runCalls(
      [[{ name: 'write', args: { key: 'secret/plan', value: 'x' } }]],
      { memory: { read: ['notes/*'], write: ['notes/*'] } },
    )
    expect(result.status).toBe('done')
    expect(result.output).toBe('finished')
    expect(result.memory).toEqual([])
    expect(ofType(events, 'memory.write')).toEqual([])
    const [toolResult] = ofType(events, 'tool.result')
    expect(toolResult!.isError).toBe(true)
    expect(toolResult!.error?.code).toBe('MEMORY_SCOPE')
    expect(toolResult!.content).toContain('secret/plan')
    // The model is told, and the run goes on.
    const sent = toolMessages(model.requests[1])[0]!
    expect(sent.isError).toBe(true)
    expect(sent.content).toContain('secret/plan')
  })

  it('allows writes inside the scope', async () => {
    const { events, result } = await runCalls(
      [[{ name: 'write', args: { key: 'notes/lisbon', value: 'trams' } }]],
      {
        memory: { read: ['notes/*'], write: ['notes/*'] },
      },
    )
    expect(result.status).toBe('done')
    expect(result.memory.map((e) => [e.key, e.value])).toEqual([['notes/lisbon', 'trams']])
    const [toolResult] = ofType(events, 'tool.result')
    expect(toolResult!.isError).toBe(false)
  })

  it('refuses a read outside the read scope as a MEMORY_SCOPE tool error', async () => {
    const { events, result } = await runCalls(
      [
        [{ name: 'write', args: { key: 'secret/plan', value: 'CONFIDENTIAL-42' } }],
        [{ name: 'read', args: { key: 'secret/plan' } }],
        [{ name: 'read', args: { key: 'notes/a' } }],
      ],
      { memory: { read: ['notes/*'], write: ['notes/*', 'secret/*'] } },
    )
    expect(result.status).toBe('done')
    const [wrote, readSecret, readNote] = ofType(events, 'tool.result')
    expect(wrote!.isError).toBe(false)
    expect(readSecret!.isError).toBe(true)
    expect(readSecret!.error?.code).toBe('MEMORY_SCOPE')
    expect(readSecret!.content).not.toContain('CONFIDENTIAL-42')
    expect(readNote!.isError).toBe(false)
    expect(JSON.parse(readNote!.content)).toEqual({ value: null })
  })

  it('matches "*" within one segment and "**" across any number of segments', async () => {
    const one = await runCalls(
      [
        [{ name: 'write', args: { key: 'notes/a', value: 1 } }],
        [{ name: 'write', args: { key: 'notes/a/b', value: 2 } }],
        [{ name: 'write', args: { key: 'notesX', value: 3 } }],
      ],
      { memory: { write: ['notes/*'] } },
    )
    expect(ofType(one.events, 'tool.result').map((e) => e.isError)).toEqual([false, true, true])
    expect(one.result.memory.map((e) => e.key)).toEqual(['notes/a'])

    const any = await runCalls(
      [
        [{ name: 'write', args: { key: 'notes/a', value: 1 } }],
        [{ name: 'write', args: { key: 'notes/a/b/c', value: 2 } }],
        [{ name: 'write', args: { key: 'other/a', value: 3 } }],
      ],
      { memory: { write: ['notes/**'] } },
    )
    expect(ofType(any.events, 'tool.result').map((e) => e.isError)).toEqual([false, false, true])
    expect(any.result.memory.map((e) => e.key)).toEqual(['notes/a', 'notes/a/b/c'])
  })

  it('lists only the entries the agent may read', async () => {
    const list = defineTool({
      name: 'list',
      description: 'Lists memory keys',
      input: z.object({ prefix: z.string() }),
      run: ({ prefix }, ctx) => ctx.memory.list(prefix).map((e) => e.key),
    })
    const { events } = await runCalls(
      [
        [
          { name: 'write', args: { key: 'notes/a', value: 1 } },
          { name: 'write', args: { key: 'notes/deep/b', value: 2 } },
          { name: 'write', args: { key: 'secret/c', value: 3 } },
        ],
        [{ name: 'list', args: { prefix: '' } }],
        [{ name: 'list', args: { prefix: 'notes/' } }],
      ],
      { tools: [write, list], memory: { read: ['notes/*'] } },
    )
    const results = ofType(events, 'tool.result').filter((e) => e.name === 'list')
    expect(results.map((e) => JSON.parse(e.content))).toEqual([['notes/a'], ['notes/a']])
  })

  it('refuses an invalid key as a tool error without storing it', async () => {
    const { events, result } = await runCalls([
      [{ name: 'write', args: { key: 'notes//bad key', value: 1 } }],
    ])
    expect(result.status).toBe('done')
    expect(result.memory).toEqual([])
    const [toolResult] = ofType(events, 'tool.result')
    expect(toolResult!.isError).toBe(true)
  })

  it('answers a tool that passes a key which is not a string with a MEMORY_SCOPE error naming it', async () => {
    const loose = defineTool({
      name: 'loose',
      description: 'Reads memory with whatever key it was given',
      input: z.object({ key: z.unknown() }),
      run: ({ key }, ctx) => ({ value: ctx.memory.read(key as string) ?? null }),
    })
    const { events, result } = await runCalls([[{ name: 'loose', args: { key: 5 } }]], {
      memory: { read: ['notes/*'] },
      tools: [loose],
    })
    expect(result.status).toBe('done')
    const [toolResult] = ofType(events, 'tool.result')
    expect(toolResult!.isError).toBe(true)
    expect(toolResult!.error?.code).toBe('MEMORY_SCOPE')
    expect(toolResult!.error?.message).toContain(
      'memory read: the key must be a string such as "notes/lisbon", got number 5',
    )
  })

  it("applies a sub-agent's own scope to its tools", async () => {
    const childModel = scriptedModel([
      {
        toolCalls: [
          { name: 'write', args: { key: 'drafts/x', value: 'ok' } },
          { name: 'write', args: { key: 'final/x', value: 'nope' } },
        ],
      },
      { text: 'child done' },
    ])
    const child = defineAgent({
      name: 'drafter',
      description: 'Drafts',
      instructions: 'Draft.',
      model: childModel,
      tools: [write],
      memory: { write: ['drafts/**'] },
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'delegate_drafter', args: { task: 'draft' } }] },
      { toolCalls: [{ name: 'write', args: { key: 'final/x', value: 'parent' } }] },
      { text: 'done' },
    ])
    const parent = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      tools: [write],
      agents: [child],
    })
    const { events, result } = await collect(stream(parent, 'go'))
    expect(result.status).toBe('done')
    const childWrites = ofType(events, 'tool.result').filter((e) => e.path.includes('agent:drafter'))
    expect(childWrites.map((e) => [e.isError, e.error?.code])).toEqual([
      [false, undefined],
      [true, 'MEMORY_SCOPE'],
    ])
    const entries = Object.fromEntries(result.memory.map((e) => [e.key, [e.value, e.by]]))
    expect(entries).toEqual({
      'drafts/x': ['ok', 'root/1/agent:drafter#0'],
      'agents/drafter/0': ['child done', 'root/1/agent:drafter#0'],
      'final/x': ['parent', 'root'],
    })
  })
})

describe('provenance', () => {
  it('records who wrote each entry, at which step and when (from the run clock)', async () => {
    const clock = fakeClock(10_000)
    const slowWrite = defineTool({
      name: 'slow_write',
      description: 'Waits, then writes',
      input: z.object({ key: z.string(), value: z.string(), waitMs: z.number() }),
      run: ({ key, value, waitMs }, ctx) => {
        clock.advance(waitMs)
        ctx.memory.write(key, value)
        return 'ok'
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ name: 'slow_write', args: { key: 'notes/a', value: 'first', waitMs: 40 } }] },
      { toolCalls: [{ name: 'slow_write', args: { key: 'notes/b', value: 'second', waitMs: 60 } }] },
      { toolCalls: [{ name: 'slow_write', args: { key: 'notes/a', value: 'again', waitMs: 5 } }] },
      { text: 'done' },
    ])
    const agent = defineAgent({ name: 'scribe', instructions: 'Write.', model, tools: [slowWrite] })
    const { events, result } = await collect(stream(agent, 'go', { clock }))
    expect(result.status).toBe('done')
    expect(result.memory).toEqual([
      { key: 'notes/a', value: 'again', by: 'root', step: 'root/3/tool/call_3_0', at: 10_105 },
      { key: 'notes/b', value: 'second', by: 'root', step: 'root/2/tool/call_2_0', at: 10_100 },
    ])
    expect(ofType(events, 'memory.write').map((e) => [e.key, e.value, e.by, e.path])).toEqual([
      ['notes/a', 'first', 'root', 'root/1/tool/call_1_0'],
      ['notes/b', 'second', 'root', 'root/2/tool/call_2_0'],
      ['notes/a', 'again', 'root', 'root/3/tool/call_3_0'],
    ])
    expect(result.usage.wallMs).toBe(105)
  })
})

describe('memoryTools()', () => {
  it('lets a model write, list and read shared memory', async () => {
    const model = scriptedModel([
      {
        toolCalls: [
          { name: 'memory_write', args: { key: 'notes/lisbon', value: { sights: ['Belem'] } } },
          { name: 'memory_write', args: { key: 'notes/porto', value: 'wine' } },
        ],
      },
      { toolCalls: [{ name: 'memory_list', args: { prefix: 'notes/' } }] },
      {
        toolCalls: [
          { name: 'memory_read', args: { key: 'notes/lisbon' } },
          { name: 'memory_read', args: { key: 'notes/nowhere' } },
        ],
      },
      (request) => ({
        text: toolMessages(request)
          .map((m) => m.content)
          .join('\n'),
      }),
    ])
    const agent = defineAgent({ name: 'keeper', instructions: 'Keep notes.', model, tools: memoryTools() })
    const { events, result } = await collect(stream(agent, 'go'))
    expect(result.status).toBe('done')
    expect(model.requests[0]!.tools.map((t) => t.name).sort()).toEqual([
      'memory_list',
      'memory_read',
      'memory_write',
    ])
    expect(result.memory.map((e) => [e.key, e.value, e.by])).toEqual([
      ['notes/lisbon', { sights: ['Belem'] }, 'root'],
      ['notes/porto', 'wine', 'root'],
    ])
    const results = ofType(events, 'tool.result')
    expect(results.every((e) => !e.isError)).toBe(true)
    const listed = JSON.parse(results.find((e) => e.name === 'memory_list')!.content)
    expect(listed).toEqual([
      { key: 'notes/lisbon', by: 'root' },
      { key: 'notes/porto', by: 'root' },
    ])
    const reads = results.filter((e) => e.name === 'memory_read').map((e) => JSON.parse(e.content))
    expect(reads).toEqual([
      { key: 'notes/lisbon', value: { sights: ['Belem'] }, by: 'root' },
      { key: 'notes/nowhere', missing: true },
    ])
    expect(ofType(events, 'memory.write').map((e) => e.key)).toEqual(['notes/lisbon', 'notes/porto'])
  })

  it("keeps the memory tools inside the agent's scope", async () => {
    const model = scriptedModel([
      { toolCalls: [{ name: 'memory_write', args: { key: 'private/x', value: 1 } }] },
      { toolCalls: [{ name: 'memory_read', args: { key: 'private/x' } }] },
      { text: 'done' },
    ])
    const agent = defineAgent({
      name: 'keeper',
      instructions: 'Keep notes.',
      model,
      tools: memoryTools(),
      memory: { read: ['notes/**'], write: ['notes/**'] },
    })
    const { events, result } = await collect(stream(agent, 'go'))
    expect(result.status).toBe('done')
    expect(result.memory).toEqual([])
    expect(ofType(events, 'tool.result').map((e) => [e.name, e.error?.code])).toEqual([
      ['memory_write', 'MEMORY_SCOPE'],
      ['memory_read', 'MEMORY_SCOPE'],
    ])
  })

  it('shares one blackboard between a parent and its sub-agents', async () => {
    const childModel = scriptedModel([
      { toolCalls: [{ name: 'memory_read', args: { key: 'notes/brief' } }] },
      (request) => {
        const seen = JSON.parse(toolMessages(request).at(-1)!.content) as { value: string; by: string }
        return {
          toolCalls: [{ name: 'memory_write', args: { key: 'notes/reply', value: `re: ${seen.value}` } }],
        }
      },
      { text: 'replied' },
    ])
    const child = defineAgent({
      name: 'replier',
      description: 'Replies',
      instructions: 'Reply.',
      model: childModel,
      tools: memoryTools(),
    })
    const parentModel = scriptedModel([
      { toolCalls: [{ name: 'memory_write', args: { key: 'notes/brief', value: 'hello' } }] },
      { toolCalls: [{ name: 'delegate_replier', args: { task: 'reply to notes/brief' } }] },
      { toolCalls: [{ name: 'memory_read', args: { key: 'notes/reply' } }] },
      (request) => ({ text: toolMessages(request).at(-1)!.content }),
    ])
    const parent = defineAgent({
      name: 'lead',
      instructions: 'Lead.',
      model: parentModel,
      tools: memoryTools(),
      agents: [child],
    })
    const { result } = await collect(stream(parent, 'go'))
    expect(result.status).toBe('done')
    expect(JSON.parse(String(result.output))).toEqual({
      key: 'notes/reply',
      value: 're: hello',
      by: 'root/2/agent:replier#0',
    })
    const reply = result.memory.find((e) => e.key === 'notes/reply')!
    expect(reply.step).toBe('root/2/agent:replier#0/2/tool/call_2_0')
  })
})
