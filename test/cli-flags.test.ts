/**
 * The CLI's flags, run as a user runs them (the built CLI in a child process): model prices
 * (--prices, --price), --model checked and refused in flag terms, replays of every transcript
 * Baton writes with the plain documented command, and the command that resumes a run that
 * stopped short, runnable as printed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inFlags } from '../src/cli/flag-wording.js'
import { count, resumeCommand, shellWord } from '../src/cli/resume-hint.js'
import { type RunResult, readTranscript } from '../src/index.js'

const root = new URL('..', import.meta.url).pathname
const temp = mkdtempSync(join(tmpdir(), 'baton-cli-flags-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))
const NO_KEYS = { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', OPENAI_BASE_URL: '' }

function baton(args: string[], cwd = root) {
  const child = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...NO_KEYS },
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

const oneLine = (stderr: string) => expect(stderr.trim().split('\n')).toHaveLength(1)

const write = (name: string, text: string) => {
  const file = join(temp, name)
  writeFileSync(file, text)
  return file
}

/**
 * `worker` on model `local:tiny` (no known price) calls `work` three times, one call per step,
 * then answers: 4 model calls, 3 tool calls.
 */
const agent = join(temp, 'worker.mjs')
beforeAll(() => {
  const dist = (file: string) => JSON.stringify(pathToFileURL(join(root, 'dist', file)).href)
  writeFileSync(
    agent,
    `import { defineAgent, defineTool } from ${dist('index.js')}
import { scriptedModel } from ${dist('testing/index.js')}
const work = defineTool({
  name: 'work',
  description: 'Does one unit of work',
  input: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  run: ({ n }) => 'done ' + n,
})
const policy = (request) => {
  const results = request.messages.filter((m) => m.role === 'tool')
  return results.length < 3
    ? { toolCalls: [{ name: 'work', args: { n: results.length + 1 }, id: 'w' + (results.length + 1) }], usage: { inputTokens: 1000, outputTokens: 100 } }
    : { text: 'worked ' + results.length, usage: { inputTokens: 1000, outputTokens: 100 } }
}
export default defineAgent({
  name: 'worker',
  instructions: 'Work in units.',
  model: scriptedModel(Array.from({ length: 10 }, () => policy), { id: 'local:tiny' }),
  tools: [work],
})
`,
  )
})

describe('--record', () => {
  it('naming a directory is refused before the run, for run and replay, on one line, exit 2', () => {
    for (const args of [
      ['run', agent, 'Work', '--record', temp],
      ['replay', join(root, 'agents/recordings/research-lead.jsonl'), '--record', temp],
    ]) {
      const { code, stdout, stderr } = baton(args)
      expect(code).toBe(2)
      expect(stdout).toBe('')
      oneLine(stderr)
      expect(stderr).toContain(`--record ${temp}: it is a directory; give the transcript's file path`)
    }
  })
})

describe('--record refuses, before the run, a path the transcript cannot go to', () => {
  it.each([
    ['an empty path', () => '', /--record needs a file path/],
    [
      'a path under a file',
      () => join(write('in-the-way.txt', 'notes'), 'run.jsonl'),
      /in-the-way\.txt is a file, not a directory/,
    ],
    [
      'an existing file that is not a transcript',
      () => write('notes.txt', 'my notes'),
      /notes\.txt: the file exists and is not a Baton transcript, so it would be overwritten/,
    ],
  ])('%s, on one line, exit 2, with nothing run or overwritten', (_, path, message) => {
    const target = path()
    const before = existsSync(target) ? readFileSync(target, 'utf8') : undefined
    const { code, stdout, stderr } = baton(['run', agent, 'Work', '--record', target])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    oneLine(stderr)
    expect(stderr).toMatch(message)
    if (before === undefined) expect(existsSync(target)).toBe(false)
    else expect(readFileSync(target, 'utf8')).toBe(before)
  })

  it('an existing transcript is written over, as running again with the same --record expects', () => {
    const file = join(temp, 'again.jsonl')
    expect(baton(['run', agent, 'Work', '--record', file]).code).toBe(0)
    const again = baton(['run', agent, 'Work again', '--record', file])
    expect(again.code, again.stderr).toBe(0)
    expect(readTranscript(file).header.task).toBe('Work again')
  })
})

describe('flags a user gets wrong', () => {
  it.each([
    [['run', agent, 'Work', '--modle', 'x'], '--model'],
    [['run', agent, 'Work', '--max-cost', '1'], '--max-cost-usd'],
    [['run', agent, 'Work', '--max-step', '3'], '--max-steps'],
    [['replay', 'x.jsonl', '--agnet', agent], '--agent'],
    [['view', 'x.jsonl', '--outt', 'x.html'], '--out'],
    [['verify', 'x.jsonl', '--jsn'], '--json'],
    [['runs', 'list', '--limt', '3'], '--limit'],
    [['rnu', agent, 'Work'], 'run'],
  ])('%j says which flag or command it most likely means, on one line, exit 2', (args, meant) => {
    const { code, stdout, stderr } = baton(args)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    oneLine(stderr)
    expect(stderr.trim()).toMatch(new RegExp(`did you mean ${meant}\\?$`))
  })

  it('a task that starts with "-" goes after --, and without it the error says so', () => {
    const refused = baton(['run', agent, '-5 degrees: how cold?', '--no-record'])
    expect(refused.code).toBe(2)
    oneLine(refused.stderr)
    expect(refused.stderr).toContain('put -- before it')
    const { code, stdout, stderr } = baton([
      'run',
      agent,
      '--no-record',
      '--json',
      '--',
      '-5 degrees: how cold?',
    ])
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout).status).toBe('done')
  })

  it('a flag given twice with different values is refused; the same value twice, or --price twice, is not', () => {
    const twice = baton(['run', agent, 'Work', '--no-record', '--max-steps=2', '--max-steps', '50'])
    expect(twice.code).toBe(2)
    expect(twice.stdout).toBe('')
    oneLine(twice.stderr)
    expect(twice.stderr).toContain('--max-steps is given twice, as "2" and "50"; keep one')
    const replay = baton(['replay', 'x.jsonl', '--model', 'openai:a', '--model', 'openai:b'])
    expect(replay.code).toBe(2)
    expect(replay.stderr).toContain('--model is given twice')
    const same = baton(['run', agent, 'Work', '--no-record', '--json', '--max-steps', '50', '--max-steps=50'])
    expect(same.code, same.stderr).toBe(0)
    const prices = baton([
      'run',
      agent,
      'Work',
      '--no-record',
      '--json',
      '--price',
      'local:tiny=1,0',
      '--price',
      'other:x=2,2',
    ])
    expect(prices.code, prices.stderr).toBe(0)
    expect(JSON.parse(prices.stdout).usage.costUsd).toBeCloseTo(0.004, 10)
  })
})

describe('text from a run or a module never reaches the terminal as escape sequences', () => {
  const ESC = '\u001b'
  it('the answer, in a run and in the replay of its transcript, keeps its lines but not its escapes', () => {
    const module = join(temp, 'escapes.mjs')
    const dist = (file: string) => JSON.stringify(pathToFileURL(join(root, 'dist', file)).href)
    writeFileSync(
      module,
      `import { defineAgent } from ${dist('index.js')}
import { scriptedModel } from ${dist('testing/index.js')}
export default defineAgent({
  name: 'escapes',
  instructions: 'x',
  model: scriptedModel([{ text: 'hello\\u001b]0;title\\u0007\\u001b[2J world\\r\\nline two' }], { id: 'local:tiny' }),
})
`,
    )
    const transcript = join(temp, 'escapes.jsonl')
    const run = baton(['run', module, 'Say hello', '--record', transcript])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('hello world\nline two')
    expect(run.stdout).not.toContain(ESC)
    const replay = baton(['replay', transcript, '--agent', module])
    expect(replay.code, replay.stderr).toBe(0)
    expect(replay.stdout).toContain('hello world\nline two')
    expect(replay.stdout).not.toContain(ESC)
    // --json is data: the answer is kept as it was, escaped by JSON.
    const json = baton(['replay', transcript, '--agent', module, '--json'])
    expect(JSON.parse(json.stdout).output).toContain(`${ESC}[2J`)
  })

  it('an error a module throws is one line with no escape sequence', () => {
    const module = write('throws.mjs', `throw new Error('bad\\u001b[2J\\u001b]0;title\\u0007 module')\n`)
    const { code, stderr } = baton(['run', module, 'Work'])
    expect(code).toBe(2)
    oneLine(stderr)
    expect(stderr).not.toContain(ESC)
    expect(stderr).toContain('bad module')
  })
})

describe('model prices from the command line', () => {
  it('warns about a model with no price, naming the flags that give it one', () => {
    const { code, stdout } = baton(['run', agent, 'Work', '--no-record', '--max-cost-usd', '1'])
    expect(code).toBe(0)
    const warning = stdout.split('\n').find((line) => line.includes('has no known price'))
    expect(warning).toContain('local:tiny')
    expect(warning).toContain('--price')
    expect(warning).not.toContain('option')
  })

  it('--price <model>=<input>,<output> prices the calls, and the warning goes', () => {
    const { code, stdout, stderr } = baton([
      'run',
      agent,
      'Work',
      '--no-record',
      '--json',
      '--max-cost-usd',
      '1',
      '--price',
      'local:tiny=2,10',
    ])
    expect(code, stderr).toBe(0)
    // 4 calls of 1000 input and 100 output tokens: 4 × (1000 × 2 + 100 × 10) / 1e6.
    expect(JSON.parse(stdout).usage.costUsd).toBeCloseTo(0.012, 10)
    expect(stderr).not.toContain('has no known price')
  })

  it('--prices <file.json> takes the prices option shape; each --price wins over it', () => {
    const file = join(temp, 'prices.json')
    writeFileSync(file, JSON.stringify({ 'local:tiny': { input: 1, output: 0, cachedInput: 0.5 } }))
    const fromFile = baton(['run', agent, 'Work', '--no-record', '--json', '--prices', file])
    expect(fromFile.code, fromFile.stderr).toBe(0)
    expect(JSON.parse(fromFile.stdout).usage.costUsd).toBeCloseTo(0.004, 10)
    const both = baton([
      'run',
      agent,
      'Work',
      '--no-record',
      '--json',
      '--price',
      'local:tiny=0,1',
      '--prices',
      file,
    ])
    expect(JSON.parse(both.stdout).usage.costUsd).toBeCloseTo(0.0004, 10)
  })

  it.each([
    [
      'a missing file',
      () => ['--prices', join(temp, 'none.json')],
      /--prices .*none\.json: cannot read it \(no such file\)/,
    ],
    [
      'a device, never read',
      () => ['--prices', '/dev/zero'],
      /--prices \/dev\/zero: cannot read it \(it is a device, not a file\)/,
    ],
    [
      'a file that is not JSON',
      () => ['--prices', write('bad.json', '{ nope')],
      /--prices .*bad\.json: not JSON/,
    ],
    ['an array', () => ['--prices', write('array.json', '[]')], /expected an object of model prices/],
    [
      'a price with no output',
      () => ['--prices', write('no-output.json', '{"m:x":{"input":1}}')],
      /"m:x" has no "output"/,
    ],
    [
      'a negative price',
      () => ['--prices', write('negative.json', '{"m:x":{"input":-1,"output":1}}')],
      /"m:x" has "input": -1, not a non-negative number/,
    ],
    [
      'an unknown field',
      () => ['--prices', write('field.json', '{"m:x":{"input":1,"output":1,"inptu":2}}')],
      /unknown field "inptu"/,
    ],
    ['--price with no =', () => ['--price', 'local:tiny'], /--price must be <model>=<input>,<output>/],
    [
      '--price with one number',
      () => ['--price', 'local:tiny=1'],
      /--price must be <model>=<input>,<output>/,
    ],
    ['--price with a word', () => ['--price', 'local:tiny=1,cheap'], /"cheap" is not a non-negative number/],
    ['--price with no model', () => ['--price', '=1,2'], /--price must be/],
  ])('refuses %s on one line, exit 2', (_, flags, message) => {
    const { code, stdout, stderr } = baton(['run', agent, 'Work', '--no-record', ...flags()])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    oneLine(stderr)
    expect(stderr).toMatch(message)
  })
})

describe('replays of the transcripts Baton writes', () => {
  const recordings = readdirSync(join(root, 'agents/recordings')).filter((name) => name.endsWith('.jsonl'))

  it.each(recordings)('baton replay agents/recordings/%s replays as the docs say, exit 0', (name) => {
    const { code, stdout, stderr } = baton(['replay', `agents/recordings/${name}`])
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/status: done/)
    expect(stdout).toContain('live: 0 model calls, 0 tool calls')
    // A recording made with one model replays when --model names it. (A workflow's recording was
    // made with two: its own code and its writer's model.)
    const models = new Set(
      readTranscript(join(root, 'agents/recordings', name)).events.flatMap((e) =>
        e.type === 'model.request' ? [e.model] : [],
      ),
    )
    if (models.size !== 1) return
    const named = baton(['replay', `agents/recordings/${name}`, '--model', [...models][0]!])
    expect(named.code, named.stderr).toBe(0)
  })

  it('replays the transcript an offline first run leaves (itself a replay of the recording)', () => {
    const file = join(temp, 'first-run.jsonl')
    const run = baton([
      'run',
      'agents/research-lead.ts',
      'How much bigger is Lisbon than Porto?',
      '--record',
      file,
    ])
    expect(run.code, run.stderr).toBe(0)
    const again = baton(['replay', file])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/status: done/)
  })

  it('checks the recording against a --model that differs from it', () => {
    const { code, stdout } = baton([
      'replay',
      'agents/recordings/research-lead.jsonl',
      '--model',
      'scripted:another',
    ])
    expect(code).toBe(1)
    expect(stdout).toContain(
      'the model changed: the recording used scripted:offline-demo, this run scripted:another',
    )
  })

  it.each([
    [['replay', 'agents/recordings/research-lead.jsonl', '--model', 'gpt-4o']],
    [['replay', 'agents/recordings/research-lead.jsonl', '--model', 'scripted:offline-demo', '--lenient']],
    [['run', 'agents/research-lead.ts', 'task', '--model', 'scripted:offline-demo']],
    [['run', 'agents/research-lead.ts', 'task', '--model', 'llama3']],
    [['eval', '--model', 'llama3']],
    [['eval', '--mode', 'live', '--model', 'scripted:x']],
  ])('refuses a --model it cannot use in flag terms: %j', (args) => {
    const { code, stderr } = baton(args)
    expect(code).toBe(2)
    oneLine(stderr)
    expect(stderr).toMatch(/^baton: --model/)
    expect(stderr).not.toMatch(/options\.|run: /)
  })
})

describe('a run that stops short ends with the command that resumes it', () => {
  it('prints the --resume command with a bigger budget, and that command, run as printed, finishes the run', () => {
    const dir = join(temp, 'my runs')
    mkdirSync(dir)
    const file = join(dir, "worker's run.jsonl")
    const { code, stdout } = baton(['run', agent, 'Work', '--record', file, '--max-steps', '2'], temp)
    expect(code).toBe(1)
    expect(stdout).toContain('status: budget_exceeded (maxSteps)')
    expect(stdout).toContain('usage: 2 model calls, 2 tool calls,')
    const last = stdout.trim().split('\n').at(-1)!
    expect(last).toMatch(/^to go on: baton run .*--resume .* --max-steps 4$/)
    const command = last.slice('to go on: '.length)
    expect(command).toContain(`'my runs/worker'\\''s run.jsonl'`)
    const resumed = spawnSync(
      'sh',
      ['-c', command.replace(/^baton /, `"${process.execPath}" "${join(root, 'dist/cli/main.js')}" `)],
      {
        cwd: temp,
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
    expect(resumed.status, resumed.stderr).toBe(0)
    expect(resumed.stdout).toContain('status: done')
    expect(resumed.stdout).toContain('live: 2 model calls, 1 tool call (')
    expect(resumed.stdout).not.toContain('to go on:')
  })

  it('a run that is done prints no resume command', () => {
    const { code, stdout } = baton(['run', agent, 'Work', '--no-record'])
    expect(code).toBe(0)
    expect(stdout).toContain('usage: 4 model calls, 3 tool calls,')
    expect(stdout).not.toContain('--resume')
  })
})

describe('resumeCommand', () => {
  const base = { output: undefined, usage: {}, runId: 'r' } as unknown as RunResult
  const target = { module: 'agents/x.ts', exportName: undefined }

  it('resumes a crashed run (status error) with no budget flag, quoting what the shell would split', () => {
    const crashed = {
      ...base,
      status: 'error',
      stopReason: 'MODEL_ERROR',
      transcript: 'runs/a b.jsonl',
    } as RunResult
    expect(resumeCommand(crashed, { module: 'my agents/x.ts', exportName: 'triage' })).toBe(
      `baton run 'my agents/x.ts#triage' --resume 'runs/a b.jsonl'`,
    )
  })

  it('raises the limit that was reached', () => {
    const over = (stopReason: string, max: number) =>
      resumeCommand(
        {
          ...base,
          status: 'budget_exceeded',
          stopReason,
          transcript: 'runs/x.jsonl',
          error: { code: 'BUDGET_EXCEEDED', message: '', details: { max } },
        } as RunResult,
        target,
      )
    expect(over('maxSteps', 20)).toBe('baton run agents/x.ts --resume runs/x.jsonl --max-steps 40')
    expect(over('maxCostUsd', 0.05)).toBe('baton run agents/x.ts --resume runs/x.jsonl --max-cost-usd 0.1')
    expect(over('maxDepth', 2)).toBe('baton run agents/x.ts --resume runs/x.jsonl --max-depth 3')
    expect(over('maxToolCalls', 0)).toBe('baton run agents/x.ts --resume runs/x.jsonl --max-tool-calls 1')
  })

  it('has nothing to offer for a run that is done, aborted, diverged or left no transcript', () => {
    const cases = [
      { status: 'done', stopReason: 'goal', transcript: 'runs/x.jsonl' },
      { status: 'aborted', stopReason: 'ABORTED', transcript: 'runs/x.jsonl' },
      { status: 'error', stopReason: 'REPLAY_DIVERGENCE', transcript: 'runs/x.jsonl' },
      { status: 'error', stopReason: 'MODEL_ERROR' },
    ]
    for (const result of cases)
      expect(resumeCommand({ ...base, ...result } as RunResult, target)).toBeUndefined()
  })

  it('quotes a word only when the shell would change it', () => {
    expect(shellWord('runs/x-1.jsonl')).toBe('runs/x-1.jsonl')
    expect(shellWord("it's")).toBe(`'it'\\''s'`)
    expect(shellWord('#x')).toBe(`'#x'`)
    expect(shellWord('$HOME')).toBe(`'$HOME'`)
  })

  it('counts in the singular for one', () => {
    expect(count(1, 'model call')).toBe('1 model call')
    expect(count(0, 'model call')).toBe('0 model calls')
    expect(count(2, 'step')).toBe('2 steps')
  })
})

describe('inFlags', () => {
  it('rewords library option names as the flags that set them', () => {
    expect(inFlags('run: options.model: expected "<provider>:<model>"')).toBe(
      '--model: expected "<provider>:<model>"',
    )
    expect(inFlags('run: options.budget.maxSteps must be a whole number')).toBe(
      '--max-steps must be a whole number',
    )
    expect(inFlags('no price is known for model "m:x" (add it with the prices option)')).toBe(
      'no price is known for model "m:x" (add it with --price <model>=<input>,<output> or --prices <file.json>)',
    )
    expect(inFlags('tool "x" failed')).toBe('tool "x" failed')
  })
})
