/**
 * `baton eval`, run as a user runs it: the built CLI in a child process (`npm test` builds
 * first), on the shipped suites and their committed cassettes (evals/).
 */
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finishedLine, Progress, progressLine } from '../src/cli/eval-command.js'
import type { CaseResult, EvalReport } from '../src/eval/index.js'

const root = new URL('..', import.meta.url).pathname
const main = join(root, 'dist/cli/main.js')
const temp = mkdtempSync(join(tmpdir(), 'baton-eval-cli-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The built CLI, as a user runs it (from the repository unless `cwd` says otherwise). Async, so
 * that the tests of a `describe.concurrent` run at once.
 */
function baton(args: string[], cwd = root): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [main, ...args], { cwd, timeout: 60_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

const CASES = [
  'city-stepper/lisbon-porto',
  'city-stepper/porto-braga-faro',
  'city-stepper/all-five',
  'city-planner/lisbon-porto',
  'city-planner/porto-braga-faro',
  'city-planner/all-five',
  'support-desk/late-order',
  'support-desk/lost-order',
  'support-desk/refund',
  'support-desk/asap-order',
  'support-desk/password-reset',
  'support-desk/vague',
  'trip-planner/lisbon-2-days',
  'trip-planner/porto-3-days-2-people',
  'trip-planner/lisbon-1-day',
]

describe.concurrent('baton eval (replay, the default)', () => {
  const json = join(temp, 'reports', 'report.json')
  const html = join(temp, 'reports', 'report.html')
  let run: Ran

  beforeAll(async () => {
    run = await baton(['eval', '--json', json, '--html', html])
  })

  it('runs every evals/*.eval.ts from its cassettes and passes', async () => {
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(
      'baton eval: 4 evals, 15 cases, replay mode (offline, cassettes from evals/cassettes)',
    )
    // Without a TTY, one line per finished case.
    for (const name of CASES)
      expect(run.stdout).toMatch(new RegExp(`^\\[\\d+/15\\] ✓ ${name} \\(score 1\\.00`, 'm'))
  })

  it('prints the summary table, the totals, the pass rate and pass@k', async () => {
    const lines = run.stdout.split('\n')
    const head = lines.findIndex((l) => l.startsWith('eval '))
    expect(lines[head]).toMatch(/^eval\s+case\s+pass\s+score\s+tokens\s+cost\s+latency\s+steps$/)
    const rows = lines.slice(head + 2, head + 2 + CASES.length)
    expect(rows.map((row) => row.split(/\s+/).slice(0, 2).join('/'))).toEqual(CASES)
    expect(rows[0]).toMatch(
      /^city-stepper\s+lisbon-porto\s+✓ pass\s+1\.00\s+2387\+116\s+\$0\.0000\s+\d+ ms\s+6$/,
    )
    expect(rows[3]).toMatch(
      /^city-planner\s+lisbon-porto\s+✓ pass\s+1\.00\s+1312\+178\s+\$0\.0000\s+\d+ ms\s+2$/,
    )
    expect(rows[6]).toMatch(/^support-desk\s+late-order\s+✓ pass\s+1\.00\s+500\+88\s+\$0\.0000\s+\d+ ms\s+2$/)
    expect(rows[12]).toMatch(
      /^trip-planner\s+lisbon-2-days\s+✓ pass\s+1\.00\s+1670\+435\s+\$0\.0000\s+\d+ ms\s+6$/,
    )
    expect(run.stdout).not.toContain('Failures')
    expect(run.stdout).toMatch(
      /^Totals: 15 runs of 15 cases · 15 passed · 0 failed · tokens 28929\+3296 · cost/m,
    )
    expect(run.stdout).toContain('Pass rate: 100% (15/15 runs) · pass@1: 100% (15/15 cases)')
  })

  it('writes the JSON report and a self-contained HTML report, and says where', async () => {
    expect(run.stdout).toContain(`JSON report: ${json}`)
    expect(run.stdout).toContain(`HTML report: ${html}`)
    const report = JSON.parse(readFileSync(json, 'utf8')) as EvalReport
    expect(report.version).toBe(1)
    expect(report.evals.map((e) => [e.name, e.mode, e.results.length])).toEqual([
      ['city-stepper', 'replay', 3],
      ['city-planner', 'replay', 3],
      ['support-desk', 'replay', 6],
      ['trip-planner', 'replay', 3],
    ])
    expect(report.summary).toMatchObject({ cases: 15, runs: 15, passed: 15, passRate: 1, passAtK: 1 })
    const page = readFileSync(html, 'utf8')
    expect(page.startsWith('<!doctype html>')).toBe(true)
    expect(page).toContain('<style>')
    expect(page).not.toMatch(/<script|<link|\bsrc=|href="http/i)
    for (const name of CASES) expect(page).toContain(name.split('/')[1])
  })

  it('exits 0 against a baseline it matches', async () => {
    const { code, stdout } = await baton(['eval', '--baseline', json])
    expect(code).toBe(0)
    expect(stdout).toContain(`No regression against the baseline ${json}`)
  })

  it('exits 1 and names each regression when steps or cost rose past the threshold', async () => {
    const doctored = JSON.parse(readFileSync(json, 'utf8')) as EvalReport
    const trip = doctored.evals.find((e) => e.name === 'trip-planner')!
    trip.cases.find((c) => c.case === 'lisbon-2-days')!.steps = 3
    const desk = doctored.evals.find((e) => e.name === 'support-desk')!
    desk.cases.find((c) => c.case === 'refund')!.steps = 1.9
    const baseline = join(temp, 'fewer-steps.json')
    writeFileSync(baseline, JSON.stringify(doctored))

    const [strict, tight, loose] = await Promise.all([
      baton(['eval', '--baseline', baseline]),
      baton(['eval', '--baseline', baseline, '--steps-increase', '0.01']),
      baton(['eval', '--baseline', baseline, '--steps-increase', '1']),
    ])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toContain(`Regressions against the baseline ${baseline}: 1`)
    expect(strict.stdout).toContain(
      '✗ trip-planner/lisbon-2-days: steps rose from 3 to 6 (+100%), more than the 20% allowed',
    )
    // 1.9 → 2 is +5%: within the default 20%, past a 1% threshold.
    expect(tight.code).toBe(1)
    expect(tight.stdout).toContain(
      '✗ support-desk/refund: steps rose from 1.9 to 2 (+5%), more than the 1% allowed',
    )
    expect(loose.code).toBe(0)
    expect(loose.stdout).toContain(`No regression against the baseline ${baseline}`)
  })

  it('exits 1 when a case that passed in the baseline fails now (a missing cassette)', async () => {
    const cassettes = join(temp, 'missing')
    cpSync(join(root, 'evals/cassettes'), cassettes, { recursive: true })
    rmSync(join(cassettes, 'support-desk', 'vague.jsonl'))
    const { code, stdout } = await baton(['eval', '--cassettes', cassettes, '--baseline', json])
    expect(code).toBe(1)
    const missing = join(cassettes, 'support-desk', 'vague.jsonl')
    expect(stdout).toMatch(/^\[\d+\/15\] ✗ support-desk\/vague \(no cassette at /m)
    expect(stdout).toMatch(/^support-desk\s+vague\s+✗ FAIL\s+0\.00/m)
    expect(stdout).toContain(
      `Failures (1):\n✗ support-desk/vague: no cassette at ${missing}; record it with \`baton eval --mode record\``,
    )
    expect(stdout).toContain('Pass rate: 93.3% (14/15 runs)')
    expect(stdout).toContain('✗ support-desk/vague: passed in the baseline, fails now')
    expect(existsSync(missing)).toBe(false)
  })
})

describe.concurrent('baton eval --mode record', async () => {
  it('runs the models and writes the cassettes, which then replay', async () => {
    const cassettes = join(temp, 'recorded')
    const recorded = await baton([
      'eval',
      'evals/support-desk.eval.ts',
      '--mode',
      'record',
      '--cassettes',
      cassettes,
    ])
    expect(recorded.code).toBe(0)
    expect(recorded.stdout).toContain(`record mode (calls the models, writes cassettes to ${cassettes})`)
    expect(recorded.stdout).toContain(`Cassettes written under ${cassettes}/`)
    expect(readdirSync(join(cassettes, 'support-desk')).sort()).toEqual(
      readdirSync(join(root, 'evals/cassettes/support-desk')).sort(),
    )
    const header = JSON.parse(
      readFileSync(join(cassettes, 'support-desk', 'refund.jsonl'), 'utf8').split('\n')[0]!,
    )
    expect(header).toMatchObject({ type: 'header', task: expect.stringContaining('refund') })

    const replayed = await baton([
      'eval',
      'evals/support-desk.eval.ts',
      '--cassettes',
      cassettes,
      '--trials',
      '1',
    ])
    expect(replayed.code).toBe(0)
    expect(replayed.stdout).toContain('Pass rate: 100% (6/6 runs)')
  })

  it('with --trials, runs each case k times and reports pass@k and pass^k', async () => {
    const cassettes = join(temp, 'trials')
    const { code, stdout } = await baton([
      'eval',
      'evals/support-desk.eval.ts',
      '--mode',
      'live',
      '--trials',
      '2',
      '--concurrency',
      '6',
      '--cassettes',
      cassettes,
    ])
    expect(code).toBe(0)
    expect(stdout).toContain(
      'baton eval: 1 eval, 6 cases (12 runs), live mode (calls the models, no cassettes)',
    )
    expect(stdout).toMatch(/^support-desk\s+vague #2\s+✓ pass/m)
    expect(stdout).toContain(
      'Pass rate: 100% (12/12 runs) · pass@2: 100% (6/6 cases) · pass^2: 100% (6/6 cases)',
    )
    expect(existsSync(cassettes)).toBe(false)
  })
})

describe('baton eval --model', () => {
  it('puts every agent on the given model (here one with no key, so every case fails saying so)', async () => {
    const saved = process.env.OPENAI_API_KEY
    delete process.env.OPENAI_API_KEY
    try {
      const { code, stdout } = await baton([
        'eval',
        'evals/support-desk.eval.ts',
        '--mode',
        'live',
        '--model',
        'openai:gpt-4o-mini',
      ])
      expect(code).toBe(1)
      const failed = stdout.split('\n').filter((line) => line.startsWith('✗ support-desk/'))
      expect(failed).toHaveLength(6)
      for (const line of failed) expect(line).toContain('openai:gpt-4o-mini: no API key')
      expect(stdout).toContain('Pass rate: 0% (0/6 runs)')
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved
    }
  })
})

describe.concurrent('baton eval usage', async () => {
  it('answers --help with its flags, and baton --help lists it', async () => {
    const help = await baton(['eval', '--help'])
    expect(help.code).toBe(0)
    for (const flag of [
      '--mode',
      '--concurrency',
      '--trials',
      '--json',
      '--html',
      '--baseline',
      '--cassettes',
    ])
      expect(help.stdout).toContain(flag)
    expect((await baton(['--help'])).stdout).toContain('baton eval [files…]')
  })

  const empty = mkdtempSync(join(tmpdir(), 'baton-eval-empty-'))
  afterAll(() => rmSync(empty, { recursive: true, force: true }))
  const badEval = join(empty, 'bad.eval.mjs')
  writeFileSync(
    badEval,
    `import { defineEval } from ${JSON.stringify(pathToFileURL(join(root, 'dist/eval/index.js')).href)}
export default defineEval({ name: 'bad name', agent: () => null, cases: [] })
`,
  )

  it.each([
    [['eval', '--fast'], 'unknown flag --fast for "baton eval"'],
    [['eval', '--mode', 'fast'], '--mode must be replay, record or live, got "fast"'],
    [['eval', '--concurrency', '0'], '--concurrency must be a whole number of 1 or more, got "0"'],
    [['eval', '--trials', 'many'], '--trials must be a whole number of 1 or more, got "many"'],
    [['eval', '--cost-increase', '-1'], '--cost-increase must be a non-negative fraction'],
    [['eval', '--json'], '--json needs a value'],
    [['eval', 'evals/nope.eval.ts'], 'eval file not found: evals/nope.eval.ts'],
    [['eval', 'test/fixtures/no-agent.mjs'], 'test/fixtures/no-agent.mjs exports no eval'],
    [['eval', badEval], `cannot load ${badEval}: defineEval: name must be 1-100 letters`],
    [['eval', '--baseline', 'nope.json'], '--baseline: nope.json: cannot read the eval report'],
    [['eval', '--baseline', 'package.json'], '--baseline: package.json: not an eval report'],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const { code, stdout, stderr } = await baton(args)
    expect(stderr).toContain(message)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(code).toBe(2)
    expect(stdout).toBe('')
  })

  it('exits 2 when there are no eval files to run', async () => {
    // `empty` has an eval file, but no evals/ folder: nothing is picked up by default.
    const { code, stdout, stderr } = await baton(['eval'], empty)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trim().split('\n')).toEqual([
      `baton: no eval files found: looked for evals/*.eval.ts, .js and .mjs in ${empty}; name the files: baton eval <file.eval.ts>`,
    ])
  })
})

describe.concurrent('baton eval on eval files that misbehave', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-eval-misbehave-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const from = (path: string) => JSON.stringify(pathToFileURL(join(root, path)).href)
  const header = `import { defineEval } from ${from('dist/eval/index.js')}
import { defineAgent, defineScorer } from ${from('dist/index.js')}
import { scriptedModel } from ${from('dist/testing/index.js')}
const agent = () => defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'hi' }]) })
`
  const evalFile = (name: string, body: string) => {
    const file = join(dir, `${name}.eval.mjs`)
    writeFileSync(file, header + body)
    return file
  }

  it('fails a case whose scorer never settles, naming it, instead of exiting 0 with no report', async () => {
    const file = evalFile(
      'stuck',
      `export default defineEval({ name: 'stuck', agent, cases: [
  { name: 'fine', input: 'go', scorers: [defineScorer('ok', () => true)] },
  { name: 'hangs', input: 'go', scorers: [defineScorer('forever', () => new Promise(() => {}))] },
] })
`,
    )
    const json = join(dir, 'stuck.json')
    const { code, stdout, stderr } = await baton(['eval', file, '--mode', 'live', '--json', json])
    expect(stderr).toBe('')
    expect(code).toBe(1)
    expect(stdout).toContain(
      '✗ stuck/hangs: scorer "forever" never finished: it waits on a promise that nothing is left to settle (no timer, request or process is pending)',
    )
    expect(stdout).toContain('Pass rate: 50% (1/2 runs)')
    const report = JSON.parse(readFileSync(json, 'utf8')) as EvalReport
    expect(report.evals[0]!.results.map((r) => [r.case, r.pass])).toEqual([
      ['fine', true],
      ['hangs', false],
    ])
  })

  it('refuses an eval file whose import never settles, with one line and exit 2', async () => {
    const file = join(dir, 'never.eval.mjs')
    writeFileSync(file, 'await new Promise(() => {})\n')
    const { code, stdout, stderr } = await baton(['eval', file])
    expect(stderr.trim().split('\n')).toEqual([
      `baton: cannot load ${file}: its import never finished: it waits on a promise that nothing is left to settle (no timer, request or process is pending)`,
    ])
    expect(code).toBe(2)
    expect(stdout).toBe('')
  })

  it("calls an eval module's close() when it is done, so that what it started does not hold the CLI", async () => {
    const closed = join(dir, 'closed.txt')
    const file = evalFile(
      'server',
      `import { createServer } from 'node:http'
import { writeFileSync } from 'node:fs'
const server = createServer(() => {}).listen(0)
export function close() {
  server.close()
  writeFileSync(${JSON.stringify(closed)}, 'closed')
}
export default defineEval({ name: 'server', agent, cases: [{ name: 'one', input: 'go' }] })
`,
    )
    const { code, stdout } = await baton(['eval', file, '--mode', 'live'])
    expect(code).toBe(0)
    expect(stdout).toContain('Pass rate: 100% (1/1 runs)')
    expect(readFileSync(closed, 'utf8')).toBe('closed')
  })

  it('refuses a baseline with a malformed field before running anything, naming the field', async () => {
    const baseline = join(dir, 'no-cases.json')
    writeFileSync(
      baseline,
      JSON.stringify({
        version: 1,
        baton: '0.1.0',
        createdAt: '2025-01-01T00:00:00.000Z',
        durationMs: 1,
        summary: {
          cases: 0,
          runs: 0,
          passed: 0,
          passRate: 0,
          passedAtK: 0,
          passAtK: 0,
          score: 0,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
          meanLatencyMs: 0,
        },
        evals: [{ name: 'support-desk', mode: 'replay', trials: 1, summary: {}, results: [] }],
      }),
    )
    const { code, stdout, stderr } = await baton([
      'eval',
      'evals/support-desk.eval.ts',
      '--baseline',
      baseline,
    ])
    expect(stderr.trim().split('\n')).toEqual([
      `baton: --baseline: ${baseline}: not a well-formed eval report: evals[0].cases must be an array, got undefined`,
    ])
    expect(code).toBe(2)
    expect(stdout).toBe('')
  })
})

describe('progress', async () => {
  const row = (pass: boolean, name = 'late-order'): CaseResult => ({
    case: name,
    trial: 1,
    pass,
    score: pass ? 1 : 0,
    scores: [],
    status: pass ? 'done' : 'error',
    stopReason: pass ? 'goal' : 'REPLAY_MISSING',
    ...(pass ? {} : { failure: `case "${name}": no cassette at x.jsonl; record it\nsecond line` }),
    inputTokens: 500,
    outputTokens: 88,
    costUsd: 0,
    latencyMs: 4,
    steps: 2,
    toolCalls: 1,
  })

  it('draws a bar redrawn in place on a TTY', async () => {
    let written = ''
    const progress = new Progress({ isTTY: true, write: (text: string) => (written += text) }, 3)
    progress.update({ type: 'case.start', eval: 'desk', case: 'a', trial: 1 })
    progress.update({ type: 'case.start', eval: 'desk', case: 'b', trial: 1 })
    progress.update({ type: 'case.end', eval: 'desk', result: row(true) })
    progress.update({ type: 'case.end', eval: 'desk', result: row(false) })
    progress.end()
    const frames = written.split('\r\x1b[2K')
    expect(frames[0]).toBe('')
    expect(frames.slice(1)).toEqual([
      `[${'░'.repeat(24)}] 0/3 · 0 passed · 0 failed · 1 running`,
      `[${'░'.repeat(24)}] 0/3 · 0 passed · 0 failed · 2 running`,
      `[${'█'.repeat(8)}${'░'.repeat(16)}] 1/3 · 1 passed · 0 failed · 1 running`,
      `[${'█'.repeat(16)}${'░'.repeat(8)}] 2/3 · 1 passed · 1 failed\n`,
    ])
    expect(progressLine(3, 3, 3, 0)).toBe(`[${'█'.repeat(24)}] 3/3 · 3 passed · 0 failed`)
  })

  it('writes one plain line per finished case without a TTY', async () => {
    let written = ''
    const progress = new Progress({ isTTY: false, write: (text: string) => (written += text) }, 2)
    progress.update({ type: 'case.start', eval: 'desk', case: 'late-order', trial: 1 })
    progress.update({ type: 'case.end', eval: 'desk', result: row(true) })
    progress.update({ type: 'case.end', eval: 'desk', result: row(false, 'vague') })
    progress.end()
    expect(written).toBe(
      '[1/2] ✓ desk/late-order (score 1.00, 2 steps, 4 ms)\n[2/2] ✗ desk/vague (no cassette at x.jsonl; record it)\n',
    )
    expect(finishedLine('desk', { ...row(true), trial: 2 }, 1, 4)).toBe(
      '[1/4] ✓ desk/late-order #2 (score 1.00, 2 steps, 4 ms)',
    )
  })

  it.skipIf(process.platform !== 'linux' || spawnSync('script', ['--version']).status !== 0)(
    'uses the bar when the CLI runs on a terminal',
    () => {
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(main)} eval evals/support-desk.eval.ts`
      const child = spawnSync('script', ['-qec', command, '/dev/null'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      })
      expect(child.status).toBe(0)
      expect(child.stdout).toContain('\r\x1b[2K[')
      expect(child.stdout).toContain(`[${'█'.repeat(24)}] 6/6 · 6 passed · 0 failed`)
      expect(child.stdout).not.toContain('[1/6] ✓')
      expect(child.stdout).toContain('Pass rate: 100% (6/6 runs)')
    },
  )
})
