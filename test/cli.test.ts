import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = new URL('..', import.meta.url).pathname
const temp = mkdtempSync(join(tmpdir(), 'baton-cli-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

// The built CLI, as a user runs it (`npm test` builds first).
function baton(...args: string[]) {
  return batonWith({}, ...args)
}

function batonWith(options: { input?: string }, ...args: string[]) {
  const child = spawnSync(process.execPath, ['dist/cli/main.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    input: options.input ?? '',
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

describe('baton run', () => {
  it('runs the example agent offline and exits 0', () => {
    const transcript = join(temp, 'demo.jsonl')
    const { code, stdout } = baton(
      'run',
      'agents/trip-planner.ts',
      'Plan a two-day trip to Lisbon',
      '--record',
      transcript,
    )
    expect(code).toBe(0)
    expect(stdout).toContain('trip-planner (scripted:offline-demo)')
    expect(stdout).toContain('→ delegate_researcher')
    expect(stdout).toContain('status: done (goal)')
    expect(stdout).toContain('"estimatedCostEur": 290')
    expect(readFileSync(transcript, 'utf8').split('\n')[0]).toContain('"type":"header"')
  })

  it('prints the RunResult as JSON with --json, and exits 1 when the run ends without success', () => {
    const { code, stdout } = baton(
      'run',
      'agents/trip-planner.ts',
      'Plan a trip',
      '--json',
      '--max-steps',
      '1',
      '--no-record',
    )
    expect(code).toBe(1)
    const result = JSON.parse(stdout)
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxSteps')
  })

  it('answers --help with the usage and exit 0', () => {
    const { code, stdout } = baton('--help')
    expect(code).toBe(0)
    expect(stdout).toContain('baton run <agent-module>[#export] "<task>"')
    expect(baton('run', '--help').stdout).toContain('--max-cost-usd')
  })

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['run', 'agents/trip-planner.ts', 'task', '--fast'], 'unknown flag --fast'],
    [['run', 'agents/trip-planner.ts'], 'missing the task'],
    [['run'], 'missing the agent module'],
    [['run', 'agents/nope.ts', 'task'], 'agent module not found: agents/nope.ts'],
    [['run', 'test/fixtures/no-agent.mjs', 'task'], 'exports no agent'],
    [['run', 'agents/trip-planner.ts#planner', 'task'], 'no agent export named "planner"'],
    [['run', 'agents/trip-planner.ts', 'task', '--json=yes'], '--json takes no value; remove "=yes"'],
    [
      ['run', 'agents/trip-planner.ts', 'task', '--record', 'x.jsonl', '--no-record'],
      '--record and --no-record contradict each other',
    ],
    [
      ['run', 'agents/trip-planner.ts', 'task', '--max-steps', 'many'],
      '--max-steps must be a non-negative number, got "many"',
    ],
  ])('refuses %j with one line and exit 2', (args, message) => {
    const { code, stderr } = baton(...args)
    expect(code).toBe(2)
    expect(stderr).toContain(message)
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })
})

describe('the HTML trace beside the transcript', () => {
  it('is written over a trace Baton wrote, and never over a file of someone else', () => {
    const transcript = join(temp, 'mine.jsonl')
    const page = join(temp, 'mine.html')
    expect(baton('run', 'agents/trip-planner.ts', 'Plan a trip', '--record', transcript).code).toBe(0)
    expect(readFileSync(page, 'utf8')).toContain('<meta name="generator" content="baton view')
    // A second run replaces the trace the first one wrote.
    rmSync(transcript)
    expect(baton('run', 'agents/trip-planner.ts', 'Plan a trip', '--record', transcript).code).toBe(0)
    expect(readFileSync(page, 'utf8')).toContain('<meta name="generator" content="baton view')
    writeFileSync(page, 'my own notes')
    rmSync(transcript)
    const { code, stderr } = baton('run', 'agents/trip-planner.ts', 'Plan a trip', '--record', transcript)
    expect(code).toBe(0)
    expect(stderr).toContain('the HTML trace was not written:')
    expect(stderr).toContain('exists and is not a page Baton wrote')
    expect(readFileSync(page, 'utf8')).toBe('my own notes')
    expect(readFileSync(transcript, 'utf8')).toContain('"type":"run.end"')
  })
})

describe('the task from standard input, and --version', () => {
  it('takes the task "-" from standard input, without its final newline', () => {
    const transcript = join(temp, 'stdin.jsonl')
    const { code, stdout, stderr } = batonWith(
      { input: 'Plan a two-day trip to Lisbon\n' },
      'run',
      'agents/trip-planner.ts',
      '-',
      '--record',
      transcript,
    )
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('status: done (goal)')
    const header = JSON.parse(readFileSync(transcript, 'utf8').split('\n')[0]!)
    expect(header.task).toBe('Plan a two-day trip to Lisbon')
  })

  it.each([
    ['', 'the task on standard input ("-") is empty'],
    [' \n\n', 'the task on standard input ("-") is empty'],
    ['x'.repeat(1_100_000), 'the task on standard input is over 1048576 bytes'],
  ])('refuses a task on standard input that is empty or too long (%#), with exit 2', (input, message) => {
    const { code, stderr } = batonWith({ input }, 'run', 'agents/trip-planner.ts', '-', '--no-record')
    expect(code).toBe(2)
    expect(stderr).toContain(message)
  })

  it('prints the version with --version and -v', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    for (const flag of ['--version', '-v']) {
      const { code, stdout } = baton(flag)
      expect(code).toBe(0)
      expect(stdout).toBe(`baton ${version}\n`)
    }
  })
})
