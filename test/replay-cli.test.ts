/**
 * `baton replay <transcript>` and `baton run <module> --resume <transcript>`, run as a user runs
 * them: the built CLI in a child process (`npm test` builds first), on agent modules written to
 * a temp directory. The agents log every model call and tool run to a file, so a test can tell
 * what a replay really called.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTranscript, TRANSCRIPT_VERSION } from '../src/index.js'

const root = new URL('..', import.meta.url).pathname
const temp = mkdtempSync(join(tmpdir(), 'baton-replay-cli-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))
let files = 0
const path = (name: string) => join(temp, `${files++}-${name}`)

const TASK = 'Do three units of work'

/** The built CLI, as a user runs it; `log` receives the agent's model calls and tool runs. */
function baton(args: string[], log?: string, cwd = root) {
  const child = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, BATON_TEST_LOG: log ?? '' },
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

/** What the agent did in one CLI run: `model <agent path> step <n>` and `work <n>` lines. */
function calls(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []
}

interface Variant {
  instructions?: string
  description?: string
  /** A suffix the work tool adds to its result. */
  suffix?: string
}

/**
 * Writes an agent module: `worker` (the default export) calls `work` three times, one call per
 * step, then answers with what it got (4 model calls); `other` is another agent.
 */
function agentModule(variant: Variant = {}): string {
  const dist = (file: string) => JSON.stringify(pathToFileURL(join(root, 'dist', file)).href)
  const file = path('agent.mjs')
  writeFileSync(
    file,
    `import { appendFileSync } from 'node:fs'
import { defineAgent, defineTool } from ${dist('index.js')}
import { scriptedModel } from ${dist('testing/index.js')}

const log = (line) => { if (process.env.BATON_TEST_LOG) appendFileSync(process.env.BATON_TEST_LOG, line + '\\n') }

const work = defineTool({
  name: 'work',
  description: ${JSON.stringify(variant.description ?? 'Does one unit of work')},
  input: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  run: ({ n }, ctx) => {
    log('work ' + n)
    ctx.memory.write('work/' + n, { n })
    return 'done ' + n + ${JSON.stringify(variant.suffix ?? '')}
  },
})

// A policy, played at every call: it reads the request, so a resumed run can start anywhere.
const policy = (request) => {
  const results = request.messages.filter((m) => m.role === 'tool')
  // Each step adds one tool result: the step number follows from them.
  log('model ' + request.path + ' step ' + (results.length + 1))
  return results.length < 3
    ? { toolCalls: [{ name: 'work', args: { n: results.length + 1 }, id: 'w' + (results.length + 1) }], usage: { inputTokens: 100, outputTokens: 10 } }
    : { text: 'worked: ' + results.map((m) => m.content).join(', '), usage: { inputTokens: 400, outputTokens: 20 } }
}

export default defineAgent({
  name: 'worker',
  instructions: ${JSON.stringify(variant.instructions ?? 'Work in units.')},
  model: scriptedModel(Array.from({ length: 10 }, () => policy), { id: 'scripted:worker' }),
  tools: [work],
})

export const other = defineAgent({ name: 'other', instructions: 'Other.', model: scriptedModel([]) })
`,
  )
  return file
}

let agent: string
let recorded: string
/** The same transcript without the module in its header (as a library run writes it). */
let unsourced: string
let recordedResult: { status: string; output: unknown; usage: Record<string, number> }

beforeAll(() => {
  agent = agentModule()
  recorded = path('recorded.jsonl')
  const log = path('record.log')
  const { code, stdout, stderr } = baton(['run', agent, TASK, '--record', recorded, '--json'], log)
  expect(code, stderr).toBe(0)
  recordedResult = JSON.parse(stdout)
  const [header, ...events] = readFileSync(recorded, 'utf8').split('\n')
  const { source, ...rest } = JSON.parse(header!) as { source?: unknown }
  expect(source).toEqual({ module: relative(root, agent).split(sep).join('/') })
  unsourced = path('unsourced.jsonl')
  writeFileSync(unsourced, [JSON.stringify(rest), ...events].join('\n'))
  expect(calls(log)).toEqual([
    'model root step 1',
    'work 1',
    'model root step 2',
    'work 2',
    'model root step 3',
    'work 3',
    'model root step 4',
  ])
})

describe('baton replay', () => {
  it('replays a transcript with the live log and the result, calling no model and no tool, exit 0', () => {
    const log = path('replay.log')
    const { code, stdout, stderr } = baton(['replay', recorded, '--agent', agent], log)
    expect(code, stderr).toBe(0)
    expect(stderr).toBe('')
    expect(calls(log)).toEqual([])
    // The same live log as baton run.
    expect(stdout).toContain('▸ worker (scripted:worker)')
    expect(stdout).toContain('→ work {"n":1}')
    expect(stdout).toContain('← work: done 3')
    expect(stdout).toContain('status: done (goal)')
    expect(stdout).toContain('live: 0 model calls, 0 tool calls (the rest came from the recording)')
    expect(stdout).toContain('worked: done 1, done 2, done 3')
  })

  it('prints the result as JSON with --json: the recorded result, no divergence, nothing live', () => {
    const { code, stdout } = baton(['replay', recorded, '--agent', agent, '--json'])
    expect(code).toBe(0)
    const result = JSON.parse(stdout)
    expect(result).toMatchObject({
      status: 'done',
      output: recordedResult.output,
      divergences: [],
      live: { model: 0, tool: 0 },
    })
    const { wallMs: _a, ...usage } = result.usage
    const { wallMs: _b, ...expected } = recordedResult.usage
    expect(usage).toEqual(expected)
  })

  it('runs the tools for real with --live-tools, still calling no model', () => {
    const log = path('live-tools.log')
    const { code, stdout } = baton(['replay', recorded, '--agent', agent, '--live-tools'], log)
    expect(code).toBe(0)
    expect(calls(log)).toEqual(['work 1', 'work 2', 'work 3'])
    expect(stdout).toContain('live: 0 model calls, 3 tool calls')
  })

  it('writes its own transcript with --record', () => {
    const record = path('replayed.jsonl')
    const { code } = baton(['replay', recorded, '--agent', agent, '--record', record])
    expect(code).toBe(0)
    const { header, events } = readTranscript(record)
    expect(header.from).toMatchObject({ mode: 'replay', runId: readTranscript(recorded).header.runId })
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
  })

  it.each([
    {
      what: 'changed instructions',
      variant: { instructions: 'Work in big units.' },
      step: 'root/1/model',
      lines: [
        'divergence at root/1/model: the request differs from the recording:',
        '  new message 1 (system) differs:',
        '  -   "content": "Work in units."',
        '  +   "content": "Work in big units."',
      ],
    },
    {
      what: 'a changed tool description',
      variant: { description: 'Does one unit of work, slowly' },
      step: 'root/1/model',
      lines: [
        '  tool "work": description changed',
        '  - Does one unit of work',
        '  + Does one unit of work, slowly',
      ],
    },
    {
      what: 'a different tool result under --live-tools',
      variant: { suffix: '!' },
      flags: ['--live-tools'],
      step: 'root/2/model',
      lines: ['  new message 2 (tool) differs:', '  -   "content": "done 1"', '  +   "content": "done 1!"'],
    },
  ])('shows the step key and the diff of $what, exit 1', ({ variant, flags, step, lines }) => {
    const log = path('diverged.log')
    const { code, stdout, stderr } = baton(
      ['replay', recorded, '--agent', agentModule(variant), ...(flags ?? [])],
      log,
    )
    expect(code, stderr).toBe(1)
    expect(stdout).toContain('status: error (REPLAY_DIVERGENCE)')
    expect(stdout).toContain(`divergence at ${step}: the request differs from the recording:`)
    const printed = stdout.split('\n')
    for (const line of lines) expect(printed).toContain(line)
    expect(stderr).toBe('')
    expect(calls(log).filter((c) => c.startsWith('model'))).toEqual([])
  })

  it('goes on live with --lenient, listing the divergence, exit 0', () => {
    const log = path('lenient.log')
    const changed = agentModule({ instructions: 'Work in big units.' })
    const { code, stdout } = baton(['replay', recorded, '--agent', changed, '--lenient'], log)
    expect(code).toBe(0)
    expect(stdout).toContain(
      'divergence at root/1/model (went on live): the request differs from the recording:',
    )
    expect(stdout).toContain('  +   "content": "Work in big units."')
    expect(stdout).toContain('status: done (goal)')
    expect(stdout).toContain('live: 4 model calls, 3 tool calls')
    expect(calls(log).filter((c) => c.startsWith('model'))).toHaveLength(4)
  })

  it('finds the agent module that baton run recorded in the header, inside the working directory, and says so', () => {
    const log = path('sourced.log')
    const file = path('recorded-here.jsonl')
    const module = basename(agent)
    expect(baton(['run', module, TASK, '--record', file], undefined, temp).code).toBe(0)
    const { code, stdout, stderr } = baton(['replay', basename(file)], log, temp)
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('status: done (goal)')
    expect(stderr.trim()).toBe(
      `baton: loading agent module ${module} named by the transcript (--agent <module> to choose another)`,
    )
    expect(calls(log)).toEqual([])
  })

  it('does not load a header module outside the working directory; --agent does', () => {
    // Recorded in the repository, of a module in the temp directory: `../…` from there.
    const refused = baton(['replay', recorded])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^baton: .*outside the working directory.*--agent <agent-module>/)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(baton(['replay', recorded, '--agent', agent]).code).toBe(0)
  })

  it('finds the agent module and export named in the header when --agent is not given', () => {
    const lines = readFileSync(recorded, 'utf8').split('\n')
    for (const source of [
      { module: basename(agent) },
      { module: `./${basename(agent)}`, export: 'default' },
    ]) {
      const file = path('with-source.jsonl')
      writeFileSync(
        file,
        [lines[0]!.replace(/}$/, `,"source":${JSON.stringify(source)}}`), ...lines.slice(1)].join('\n'),
      )
      const { code, stdout, stderr } = baton(['replay', file], undefined, temp)
      expect(code, stderr).toBe(0)
      expect(stdout).toContain('status: done (goal)')
    }
  })

  it('lists the new commands in --help', () => {
    for (const args of [['--help'], ['run', '--help']]) {
      const { code, stdout } = baton(args)
      expect(code).toBe(0)
      expect(stdout).toContain('baton run <agent-module>[#export] --resume <transcript>')
    }
    for (const args of [
      ['replay', '--help'],
      ['help', 'replay'],
    ]) {
      const { code, stdout } = baton(args)
      expect(code).toBe(0)
      expect(stdout).toContain('baton replay <transcript>')
      expect(stdout).toContain('--live-tools')
      expect(stdout).toContain('--lenient')
    }
  })

  describe('refuses with one line and exit 2', () => {
    const write = (name: string, text: string) => {
      const file = path(name)
      writeFileSync(file, text)
      return file
    }
    const cases: [string, () => string[], string | RegExp][] = [
      ['no transcript', () => ['replay'], 'missing the transcript'],
      ['two transcripts', () => ['replay', recorded, recorded], 'too many arguments'],
      ['an unknown flag', () => ['replay', recorded, '--fast'], 'unknown flag --fast for "baton replay"'],
      [
        'a missing file',
        () => ['replay', join(temp, 'nope.jsonl'), '--agent', agent],
        join(temp, 'nope.jsonl'),
      ],
      [
        'a file that is not a transcript',
        () => ['replay', write('notes.txt', 'some notes\n'), '--agent', agent],
        /notes\.txt:1: not JSON/,
      ],
      [
        'a transcript of a newer schema version',
        () => {
          const text = readFileSync(recorded, 'utf8').replace(
            `"version":${TRANSCRIPT_VERSION}`,
            `"version":${TRANSCRIPT_VERSION + 1}`,
          )
          return ['replay', write('newer.jsonl', text), '--agent', agent]
        },
        /newer\.jsonl:1: transcript schema version \d+ is newer/,
      ],
      [
        'no --agent and no module in the header',
        () => ['replay', unsourced],
        /does not name the module.*--agent/,
      ],
      [
        'an agent module that does not exist',
        () => ['replay', recorded, '--agent', 'agents/nope.mjs'],
        'agent module not found: agents/nope.mjs',
      ],
      [
        'a module without that export',
        () => ['replay', recorded, '--agent', `${agent}#planner`],
        'no agent export named "planner"',
      ],
      [
        "another agent's transcript",
        () => ['replay', recorded, '--agent', `${agent}#other`],
        /:1: this transcript was recorded for agent "worker", not "other"/,
      ],
    ]
    it.each(cases)('%s', (_, args, message) => {
      const { code, stdout, stderr } = baton(args())
      expect(code, stdout + stderr).toBe(2)
      if (typeof message === 'string') expect(stderr).toContain(message)
      else expect(stderr).toMatch(message)
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toMatch(/^baton: /)
    })

    it('shows the stack trace with --debug', () => {
      const { code, stderr } = baton(['replay', unsourced, '--debug'])
      expect(code).toBe(2)
      expect(stderr.trim().split('\n').length).toBeGreaterThan(1)
      expect(stderr).toContain('    at ')
    })
  })
})

describe('baton run --resume', () => {
  it('goes on with a run that ran out of budget, with a bigger budget, paying only for the new calls', () => {
    const file = path('budget.jsonl')
    const stopped = baton(['run', agent, TASK, '--record', file, '--max-steps', '2'])
    expect(stopped.code).toBe(1)
    expect(stopped.stdout).toContain('status: budget_exceeded (maxSteps)')

    const log = path('resume.log')
    const { code, stdout, stderr } = baton(['run', agent, '--resume', file, '--max-steps', '10'], log)
    expect(code, stderr).toBe(0)
    expect(calls(log)).toEqual(['model root step 3', 'work 3', 'model root step 4'])
    expect(stdout).toContain('status: done (goal)')
    expect(stdout).toContain('live: 2 model calls, 1 tool call')
    expect(stdout).toContain(`transcript: ${file}`)
    expect(stdout).toContain('worked: done 1, done 2, done 3')

    // The transcript is rewritten, complete, and replays with no call at all.
    const { header, events } = readTranscript(file)
    expect(header.from).toMatchObject({ mode: 'resume' })
    expect(header.budget).toMatchObject({ maxSteps: 10 })
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
    const replayLog = path('replay-resumed.log')
    const replayed = baton(['replay', file, '--agent', agent, '--json'], replayLog)
    expect(replayed.code).toBe(0)
    expect(calls(replayLog)).toEqual([])
    expect(JSON.parse(replayed.stdout)).toMatchObject({ status: 'done', output: recordedResult.output })
  })

  it('goes on with a run that crashed (its transcript cut after a completed step)', () => {
    const lines = readFileSync(recorded, 'utf8').split('\n')
    const at = lines.findIndex(
      (line) => line.includes('"type":"tool.result"') && line.includes('root/1/tool/w1'),
    )
    const file = path('crashed.jsonl')
    writeFileSync(file, `${lines.slice(0, at + 1).join('\n')}\n${lines[at + 1]!.slice(0, 15)}`)
    const log = path('crashed.log')
    const { code, stdout } = baton(['run', agent, '--resume', file, '--json'], log)
    expect(code).toBe(0)
    expect(calls(log)).toEqual([
      'model root step 2',
      'work 2',
      'model root step 3',
      'work 3',
      'model root step 4',
    ])
    const result = JSON.parse(stdout)
    expect(result).toMatchObject({
      status: 'done',
      output: recordedResult.output,
      live: { model: 3, tool: 2 },
    })
    expect(result.usage.steps).toBe(4)
    expect(result.usage.inputTokens).toBe(recordedResult.usage.inputTokens)
  })

  it('writes the resumed transcript to --record, leaving the old one as it was', () => {
    const file = path('kept.jsonl')
    baton(['run', agent, TASK, '--record', file, '--max-steps', '1'])
    const before = readFileSync(file, 'utf8')
    const record = path('resumed.jsonl')
    const { code } = baton(['run', agent, '--resume', file, '--record', record, '--max-steps', '10'])
    expect(code).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(readTranscript(record).events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
  })

  it('ends with exit 1 when the agent no longer matches the recording', () => {
    const file = path('changed.jsonl')
    baton(['run', agent, TASK, '--record', file, '--max-steps', '2'])
    const changed = agentModule({ instructions: 'Work in big units.' })
    const { code, stdout } = baton([
      'run',
      changed,
      '--resume',
      file,
      '--max-steps',
      '10',
      '--record',
      path('x.jsonl'),
    ])
    expect(code).toBe(1)
    expect(stdout).toContain('status: error (REPLAY_DIVERGENCE)')
    expect(stdout).toContain('divergence at root/1/model: the request differs from the recording:')
  })

  it.each([
    ['a resumed run takes its task from the transcript', () => ['run', agent, TASK, '--resume', recorded]],
    ['missing the agent module', () => ['run', '--resume', recorded]],
    ['--resume needs a value', () => ['run', agent, '--resume']],
    ['nope.jsonl: cannot read the transcript', () => ['run', agent, '--resume', join(temp, 'nope.jsonl')]],
    ['recorded for agent "worker", not "other"', () => ['run', `${agent}#other`, '--resume', recorded]],
  ])('refuses with one line and exit 2: %s', (message, args) => {
    const { code, stderr } = baton(args())
    expect(code).toBe(2)
    expect(stderr).toContain(message)
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })
})
