/**
 * The README's first command, `baton run agents/research-lead.ts "<question>"`, as a new user
 * meets it: with no API key it replays the shipped recording and says so; with a key it runs
 * live (here against a local server speaking the Chat Completions wire format); either way it
 * prints the answer and leaves the transcript and the HTML trace in runs/.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTranscript } from '../src/index.js'
import { readBody, runNode } from './processes.js'

const root = new URL('..', import.meta.url).pathname
const main = join(root, 'dist/cli/main.js')
const lead = join(root, 'agents/research-lead.ts')
const QUESTION = 'How much bigger is Lisbon than Porto, by population and by area?'
const temp = mkdtempSync(join(tmpdir(), 'baton-first-run-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const NO_KEYS = { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', OPENAI_BASE_URL: '', ANTHROPIC_BASE_URL: '' }

/** The built CLI in `cwd` (async: the fake server answers from this process). */
const baton = (args: string[], cwd: string, env: Record<string, string>) => runNode(main, args, { cwd, env })

function fresh(name: string): string {
  return mkdtempSync(join(temp, `${name}-`))
}

/** `transcript: runs/…jsonl` and `trace: runs/…html` from the output, checked to exist. */
function written(stdout: string, cwd: string): { transcript: string; trace: string } {
  const transcript = /^transcript: (runs\/research-lead-\d{8}-\d{6}\.jsonl)$/m.exec(stdout)?.[1]
  const trace = /^trace: +(runs\/research-lead-\d{8}-\d{6}\.html) {2}\(open it in a browser\)$/m.exec(
    stdout,
  )?.[1]
  expect(transcript, stdout).toBeDefined()
  expect(trace, stdout).toBe(transcript!.replace(/\.jsonl$/, '.html'))
  expect(existsSync(join(cwd, transcript!))).toBe(true)
  expect(existsSync(join(cwd, trace!))).toBe(true)
  return { transcript: join(cwd, transcript!), trace: join(cwd, trace!) }
}

describe('the first run with no API key', () => {
  it('replays the shipped recording, says so plainly, prints the answer and writes the trace', async () => {
    const cwd = fresh('offline')
    const { code, stdout, stderr } = await baton(['run', lead, QUESTION], cwd, NO_KEYS)
    expect(code, stderr).toBe(0)
    const [notice] = stdout.split('\n\n')
    expect(notice).toContain('No API key: openai:gpt-4o-mini needs OPENAI_API_KEY.')
    expect(notice).toMatch(/this is a replay of the recorded run .*agents\/recordings\/research-lead\.jsonl/)
    expect(notice).toContain('scripted:offline-demo, a scripted stand-in for an LLM')
    expect(notice).toContain('no model is called')
    expect(notice).toContain('Set OPENAI_API_KEY to run it live.')
    // It is the recorded question, so no note about another task.
    expect(notice).not.toContain('not yours')
    expect(stdout).toContain('▸ analyst (scripted:offline-demo)')
    expect(stdout).toContain('→ calculate {"expression":"545796 / 231962"}')
    expect(stdout).toContain('status: done (goal)')
    expect(stdout).toContain('live: 0 model calls, 0 tool calls (the rest came from the recording)')
    expect(stdout).toContain('Lisbon is about 2.35 times the size of Porto')

    const { transcript, trace } = written(stdout, cwd)
    const replayed = readTranscript(transcript)
    expect(replayed.header.from).toMatchObject({ mode: 'replay' })
    expect(replayed.header.task).toBe(QUESTION)
    expect(replayed.events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
    const html = readFileSync(trace, 'utf8')
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain(replayed.header.runId)
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/)
  })

  it('says that the recording answers its own task when given another one', async () => {
    const cwd = fresh('other-task')
    const { code, stdout } = await baton(['run', lead, 'Compare Lisbon and Madrid'], cwd, NO_KEYS)
    expect(code).toBe(0)
    expect(stdout).toContain(`The recording answers its own task, not yours: "${QUESTION}"`)
    expect(stdout).toContain('Lisbon is about 2.35 times the size of Porto')
  })

  it('prints only the RunResult on stdout with --json; the notice and the paths go to stderr', async () => {
    const cwd = fresh('json')
    const { code, stdout, stderr } = await baton(['run', lead, QUESTION, '--json'], cwd, NO_KEYS)
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ status: 'done', live: { model: 0, tool: 0 } })
    expect(stderr).toContain('this is a replay of the recorded run')
    expect(stderr).toMatch(/^transcript: runs\/research-lead-\d{8}-\d{6}\.jsonl$/m)
  })

  it('leaves nothing behind with --no-record', async () => {
    const cwd = fresh('no-record')
    const { code, stdout } = await baton(['run', lead, QUESTION, '--no-record'], cwd, NO_KEYS)
    expect(code).toBe(0)
    expect(stdout).not.toContain('transcript:')
    expect(existsSync(join(cwd, 'runs'))).toBe(false)
  })

  it('stops the MCP agent’s server when the replay is over (the module’s close export)', async () => {
    const cwd = fresh('mcp')
    const module = join(root, 'agents/mcp-agent.ts')
    const { code, stdout, stderr } = await baton(
      ['run', module, 'What does notes.md say?', '--no-record'],
      cwd,
      NO_KEYS,
    )
    // The process ends on its own: nothing (such as the server's pipes) keeps it alive.
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('this is a replay of the recorded run')
    expect(stdout).toContain('→ fs_read_text_file')
    expect(stdout).toContain('status: done')
  })

  it('refuses in one line, naming the variable, when the module ships no recording', async () => {
    const cwd = fresh('no-recording')
    const module = join(cwd, 'agent.mjs')
    const dist = JSON.stringify(new URL('../dist/index.js', import.meta.url).href)
    writeFileSync(
      module,
      `import { defineAgent } from ${dist}\nexport default defineAgent({ name: 'a', instructions: 'Answer.', model: 'anthropic:claude-haiku-4-5' })\n`,
    )
    const { code, stdout, stderr } = await baton(['run', module, 'hi'], cwd, NO_KEYS)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toEqual([
      'baton: anthropic:claude-haiku-4-5 needs ANTHROPIC_API_KEY, which is not set: export ANTHROPIC_API_KEY=… and run again, or pass --model <provider:model> for a provider you have a key for',
    ])
    expect(existsSync(join(cwd, 'runs'))).toBe(false)
  })

  it('does not swap a model asked for with --model for the recording', async () => {
    const { code, stderr } = await baton(
      ['run', lead, QUESTION, '--model', 'openai:gpt-4o'],
      fresh('model'),
      NO_KEYS,
    )
    expect(code).toBe(2)
    expect(stderr).toContain('openai:gpt-4o needs OPENAI_API_KEY, which is not set')
  })
})

/** A Chat Completions server playing the three agents of the research team, told apart by their tools. */
let server: Server
let base = ''
const requests: { auth: string | undefined; body: Record<string, unknown> }[] = []

interface Reply {
  content?: string
  call?: { name: string; args: object }
}

function reply(body: Record<string, unknown>): Reply {
  const tools = ((body.tools as { function: { name: string } }[] | undefined) ?? []).map(
    (t) => t.function.name,
  )
  const messages = body.messages as { role: string; content: unknown }[]
  const answered = messages.filter((m) => m.role === 'tool').length
  if (tools.includes('delegate_analyst')) {
    return answered === 0
      ? {
          call: {
            name: 'delegate_analyst',
            args: { task: 'Lisbon 545796 people, Porto 231962: the ratio?' },
          },
        }
      : { content: 'Lisbon has about 2.35 times as many people as Porto (live).' }
  }
  if (tools.includes('calculate')) {
    return answered === 0
      ? { call: { name: 'calculate', args: { expression: '545796 / 231962' } } }
      : {
          content: JSON.stringify({
            findings: ['Lisbon has 2.35 times the people'],
            figures: { ratio: 2.35 },
          }),
        }
  }
  return { content: 'no such agent' }
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>
    requests.push({ auth: req.headers.authorization, body })
    const { content, call } = reply(body)
    const toolCalls = call
      ? [
          {
            id: `call_${requests.length}`,
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify(call.args) },
          },
        ]
      : undefined
    const finish = call ? 'tool_calls' : 'stop'
    const usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 }
    const base = { id: `c${requests.length}`, created: 1, model: String(body.model) }
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const chunk = (choices: object[], extra: object = {}) =>
        res.write(
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`,
        )
      chunk([{ index: 0, delta: { role: 'assistant', content: content ?? null }, finish_reason: null }])
      if (toolCalls)
        chunk([{ index: 0, delta: { tool_calls: [{ index: 0, ...toolCalls[0] }] }, finish_reason: null }])
      chunk([{ index: 0, delta: {}, finish_reason: finish }])
      chunk([], { usage })
      res.end('data: [DONE]\n\n')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: content ?? null,
              ...(toolCalls ? { tool_calls: toolCalls } : {}),
            },
            finish_reason: finish,
          },
        ],
        usage,
      }),
    )
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`
})

afterAll(() => new Promise<void>((done) => server.close(() => done())))

describe('the first run with an API key', () => {
  it('runs live on the agents’ own model, with no word of a replay', async () => {
    const cwd = fresh('live')
    const { code, stdout, stderr } = await baton(['run', lead, QUESTION], cwd, {
      ...NO_KEYS,
      OPENAI_API_KEY: 'sk-test-first-run',
      OPENAI_BASE_URL: base,
    })
    expect(code, stderr + stdout).toBe(0)
    expect(stdout).not.toContain('replay')
    expect(stdout).toContain('▸ research-lead (openai:gpt-4o-mini)')
    expect(stdout).toContain('▸ analyst (openai:gpt-4o-mini)')
    expect(stdout).toContain('← calculate: 2.352954')
    expect(stdout).toContain('Lisbon has about 2.35 times as many people as Porto (live).')
    // Lead, analyst twice, lead again: every call reached the server, with the key.
    expect(requests.map((r) => r.body.model)).toEqual([
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o-mini',
    ])
    expect(requests.every((r) => r.auth === 'Bearer sk-test-first-run')).toBe(true)

    const { transcript } = written(stdout, cwd)
    const recorded = readTranscript(transcript)
    expect(recorded.header.agent.model).toBe('openai:gpt-4o-mini')
    expect(recorded.header.from).toBeUndefined()
    expect(readFileSync(transcript, 'utf8')).not.toContain('sk-test-first-run')
  })
})
