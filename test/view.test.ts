/**
 * `baton view`: the page is self-contained, escapes everything and carries the transcript
 * without duplicating it; the viewer's indexing (run here in Node, the same text the page runs)
 * handles every event type; bad input is one line, exit 2. The browser tests are
 * view-browser.test.ts.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { EvalReport } from '../src/eval/index.js'
import { parseTranscript } from '../src/transcript/index.js'
import {
  CONTENT_SECURITY_POLICY,
  parseViewInput,
  renderTranscriptHtml,
  renderViewHtml,
  VIEWER_CORE,
  VIEWER_SCRIPT,
} from '../src/view/index.js'
import { ALL_EVENT_TYPES, everyEventTranscript, HOSTILE, toJsonl } from './fixtures/view-transcripts.js'

const root = new URL('..', import.meta.url).pathname
const temp = mkdtempSync(join(tmpdir(), 'baton-view-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const fixture = everyEventTranscript()
const transcript = parseTranscript(fixture.text, 'every.jsonl')
const html = renderTranscriptHtml(transcript, { source: 'every.jsonl' })

/** The text of the data block, as the page reads it. */
function dataBlock(page: string): string {
  const match = /<script type="application\/x-ndjson" id="baton-data">([\s\S]*?)<\/script>/.exec(page)
  if (!match) throw new Error('no data block')
  return match[1]!
}

interface Row {
  kind: string
  type: string
  title: string
  text: string
  meta: string
  flag: number
  lines: number[]
  agent: number
  step: number | null
  path: string
  goal: boolean
  side: boolean
}
interface Agent {
  path: string
  name: string
  k: string
  parent: number
  depth: number
  status: string | null
  rows: number[]
  children: number[]
  compactions: number
  total: { steps: number; inputTokens: number }
}
interface Index {
  rows: Row[]
  agents: Agent[]
  events: number
  counts: Record<string, number>
  totals: { inputTokens: number; outputTokens: number; costUsd: number; steps: number; toolCalls: number }
  series: { x: number[]; tokens: number[]; cost: number[]; steps: number[]; tools: number[] }
  memoryWrites: number
  compactions: number
  problems: number
  runEnd: { status: string } | null
}
const core = new Function(`${VIEWER_CORE}; return { buildIndex, EVENT_TYPES, agentPathOf, stepOf }`)() as {
  buildIndex(text: string): Index
  EVENT_TYPES: string[]
  agentPathOf(path: string): string
  stepOf(path: string, agent: string): number | null
}

describe('the transcript page', () => {
  it('is self-contained: nothing is fetched, and the policy forbids fetching', () => {
    const page = html.replace(dataBlock(html), '')
    // The SVG namespace is a name, not a fetch.
    const outside = page.replaceAll('http://www.w3.org/2000/svg', '')
    expect(outside).not.toMatch(/https?:\/\//)
    expect(outside).not.toMatch(/<link\b|<img\b|<iframe\b|\ssrc\s*=|@import|url\(/i)
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`)
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'")
    // The only script that may run is the viewer, by hash.
    const hash = createHash('sha256').update(VIEWER_SCRIPT).digest('base64')
    expect(CONTENT_SECURITY_POLICY).toContain(`script-src 'sha256-${hash}'`)
    expect(html).toContain(`<script>${VIEWER_SCRIPT}</script>`)
  })

  it('escapes everything: hostile text cannot end the data block or become markup', () => {
    expect(html.match(/<script\b/g)).toHaveLength(3)
    expect(html.match(/<\/script>/g)).toHaveLength(3)
    expect(html).not.toContain('window.__pwned = 1</script>')
    expect(html).not.toContain('<!-- <b>')
    expect(dataBlock(html)).not.toContain('<')
    // The title is escaped HTML.
    expect(html).toMatch(
      /<title>lead: Find facts &lt;\/script&gt;&lt;script&gt;window.__pwned = 1&lt;\/script&gt;/,
    )
    expect(VIEWER_SCRIPT).not.toMatch(/<\/script|<!--/i)
    // The viewer builds the DOM from text nodes and attributes only.
    expect(VIEWER_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/)
  })

  it('carries the transcript once: the data block is the transcript, line for line', () => {
    const lines = dataBlock(html).split('\n')
    expect(lines).toHaveLength(fixture.events.length + 1)
    expect(JSON.parse(lines[0]!)).toEqual(JSON.parse(JSON.stringify(fixture.header)))
    expect(lines.slice(1).map((line) => JSON.parse(line))).toEqual(JSON.parse(JSON.stringify(fixture.events)))
    // The page is the transcript plus a constant: the viewer, its style and the frame.
    const overhead = Buffer.byteLength(html) - Buffer.byteLength(fixture.text)
    expect(overhead).toBeLessThan(100_000)
    const bigger = renderTranscriptHtml(
      parseTranscript(toJsonl(fixture.header, [...fixture.events, ...fixture.events]), 'x'),
    )
    const perTranscriptByte =
      (Buffer.byteLength(bigger) - Buffer.byteLength(html)) /
      (Buffer.byteLength(toJsonl(fixture.header, fixture.events)) -
        Buffer.byteLength(JSON.stringify(fixture.header)) -
        1)
    expect(perTranscriptByte).toBeGreaterThan(0.99)
    expect(perTranscriptByte).toBeLessThan(1.05)
  })

  it('records a cut-off transcript as such for the page', () => {
    const cut = parseTranscript(`${fixture.text}{"seq":99,"t":1,"ty`, 'cut.jsonl')
    expect(cut.truncated).toBe(true)
    expect(renderTranscriptHtml(cut)).toContain('"truncated":true')
  })

  it('ships a viewer script that parses', () => {
    expect(() => new Function(VIEWER_SCRIPT)).not.toThrow()
  })
})

describe('the viewer index (the page’s own code, run in Node)', () => {
  const ix = core.buildIndex(fixture.text)
  const rowOf = (type: string) =>
    ix.rows.find((row) => row.lines.some((line) => fixture.events[line - 1]!.type === type))!

  it('knows every event type', () => {
    expect([...core.EVENT_TYPES].sort()).toEqual([...ALL_EVENT_TYPES].sort())
    for (const type of ALL_EVENT_TYPES) expect(ix.counts[type], type).toBeGreaterThan(0)
  })

  it('puts every event in exactly one row: a model call and a tool call are one row each', () => {
    const lines = ix.rows.flatMap((row) => row.lines).sort((a, b) => a - b)
    expect(lines).toEqual(fixture.events.map((_, i) => i + 1))
    expect(ix.events).toBe(fixture.events.length)
    const call = rowOf('model.retry')
    expect(call.lines.map((line) => fixture.events[line - 1]!.type)).toEqual([
      'model.request',
      'model.retry',
      'model.response',
    ])
    const tool = rowOf('approval.request')
    expect(tool.lines.map((line) => fixture.events[line - 1]!.type)).toEqual([
      'tool.call',
      'approval.request',
      'approval.decision',
      'tool.result',
    ])
    expect((tool as { note?: string }).note).toBe(`refused by reviewer ${HOSTILE}`)
    expect(rowOf('tool.progress').lines).toHaveLength(4)
    expect(rowOf('plan.start')).toBe(rowOf('tool.progress'))
  })

  it('summarizes each kind of row', () => {
    const text = (type: string) => rowOf(type).text
    expect(rowOf('run.start').kind).toBe('run')
    expect(text('model.response')).toContain('2 new messages → lookup, delegate_researcher')
    expect(rowOf('model.response').meta).toContain('1,000/200 tok')
    expect(rowOf('model.retry').flag).toBe(1)
    expect(text('model.error')).toContain('MODEL_ERROR: HTTP 500 from the provider')
    expect(rowOf('model.error').flag).toBe(2)
    expect(text('tool.progress')).toContain('lookup({"q":"<img src=x>"}) → fact fact')
    expect(rowOf('tool.progress').meta).toContain('truncated')
    expect(text('approval.request')).toContain(
      'fetch_page({"url":"https://example.com/a"}) → ✗ approval was refused',
    )
    expect(rowOf('approval.request').flag).toBe(2)
    const memory = ix.rows.filter((row) => row.kind === 'memory')
    expect(memory).toHaveLength(4)
    expect(memory[0]!.text).toContain('agents/researcher/0 = {"failed":true')
    expect(memory[0]!.meta).toBe('by root/1/agent:researcher#0')
    expect(text('goal.check')).toBe('judge: failed (attempt 1) — Missing sources')
    expect(rowOf('goal.check').meta).toBe('score 0.40')
    expect(text('budget.exceeded')).toBe('maxSteps: used 20 of 20 (at root)')
    expect(text('budget.warning')).toContain('no known price')
    expect(text('stall.warning')).toContain('noProgress: Every call of this step failed')
    expect(text('agent.end')).toContain('researcher#0: error (MODEL_ERROR)')
    expect(text('run.end')).toContain('budget_exceeded (maxSteps) — BUDGET_EXCEEDED')
    const judge = ix.rows.find((row) => row.goal && row.kind === 'model')!
    expect(judge.title).toBe('judge call')
    expect(judge.side).toBe(true)
    expect(ix.problems).toBeGreaterThanOrEqual(8)
  })

  it('shows a compaction as a row of its agent’s step, and its summary as a side call', () => {
    const compaction = rowOf('context.compact')
    expect(compaction).toMatchObject({
      kind: 'context',
      title: 'compaction',
      path: 'root/2/compact',
      agent: 0,
      step: 2,
      flag: 0,
      text: 'compacted 2,430 → 1,012 tokens · 1 result stubbed · 3 messages summarised',
      meta: 'limit 2,000',
    })
    expect(compaction.lines).toHaveLength(1)
    expect(ix.compactions).toBe(1)
    expect(ix.agents[0]!.compactions).toBe(1)
    expect(ix.agents[1]!.compactions).toBe(0)
    // The summary is a model call of the lead's step 2, beside its own call of that step.
    const [summary, own] = ix.rows.filter((row) => row.kind === 'model' && row.step === 2 && row.agent === 0)
    expect(summary).toMatchObject({
      path: 'root/2/compact/model',
      title: 'summary call',
      side: true,
      goal: false,
    })
    expect(summary!.text).toContain('2 messages → “Looked up the facts')
    expect(summary!.meta).toContain('600/80 tok')
    expect(own).toMatchObject({ path: 'root/2/model', title: 'model call', side: false })
    // The stubbed result, kept in memory, is written at the compaction's step key.
    const kept = ix.rows.find((row) => row.kind === 'memory' && row.path === 'root/2/compact')!
    expect(kept.text).toContain('context/root/c1 = fact fact')
    expect(kept.step).toBe(2)
  })

  it('marks a compaction on overflow, its own policy, its window and a failed summary', () => {
    const base = { seq: 99, t: 1, type: 'context.compact', tokensBefore: 16_958, limit: 12_000, hash: 'h' }
    const lines = [
      {
        ...base,
        path: 'root/1/agent:researcher#0/3/compact',
        reason: 'overflow',
        tokensAfter: 4721,
        window: 16_000,
      },
      { ...base, path: 'root/4/compact', reason: 'threshold', tokensAfter: 9000, custom: true },
      {
        ...base,
        path: 'root/5/compact',
        reason: 'threshold',
        tokensAfter: 11_000,
        stubbed: ['context/root/a', 'context/root/b'],
        summarized: 0,
        summaryError: { code: 'MODEL_ERROR', message: 'HTTP 500' },
      },
    ].map((line) => ({ stubbed: [], summarized: 12, messages: [], ...line }))
    const more = core.buildIndex(`${fixture.text}${lines.map((line) => JSON.stringify(line)).join('\n')}\n`)
    const [overflow, custom, failed] = more.rows.slice(-3)
    expect(overflow).toMatchObject({
      kind: 'context',
      agent: 1,
      step: 3,
      flag: 1,
      text: 'compacted 16,958 → 4,721 tokens (overflow: the provider refused the request) · 12 messages summarised',
      meta: 'limit 12,000 · window 16,000',
    })
    expect(custom).toMatchObject({
      flag: 0,
      text: 'compacted 16,958 → 9,000 tokens · by the agent’s own policy · 12 messages summarised',
    })
    expect(failed).toMatchObject({
      flag: 1,
      text: 'compacted 16,958 → 11,000 tokens · 2 results stubbed · summary failed: MODEL_ERROR: HTTP 500',
    })
    expect(more.compactions).toBe(4)
  })

  it('builds the agent tree from the step keys', () => {
    expect(ix.agents.map((a) => [a.path, a.name, a.k, a.parent, a.depth, a.status])).toEqual([
      ['root', 'lead', '', -1, 0, 'budget_exceeded'],
      ['root/1/agent:researcher#0', 'researcher', '0', 0, 1, 'error'],
    ])
    expect(ix.agents[0]!.children).toEqual([1])
    expect(ix.agents[1]!.total).toMatchObject({ steps: 2, inputTokens: 300 })
    // The lead's own calls, its judge's and its compaction's summary, and the researcher's.
    expect(ix.agents[0]!.total).toMatchObject({ steps: 6, inputTokens: 3600 })
    expect(core.agentPathOf('root/1/agent:a#0/2/agent:b#1/3/tool/c')).toBe('root/1/agent:a#0/2/agent:b#1')
    expect(core.agentPathOf('root/2/goal/0/1/model')).toBe('root')
    expect(core.agentPathOf('root/1/agent:a#0/6/compact/model')).toBe('root/1/agent:a#0')
    expect(core.stepOf('root/1/agent:a#0/6/compact', 'root/1/agent:a#0')).toBe(6)
    expect(core.stepOf('root/1/agent:a#0/2/model', 'root/1/agent:a#0')).toBe(2)
    expect(core.stepOf('root', 'root')).toBeNull()
  })

  it('adds up the budget as the run goes', () => {
    expect(ix.totals).toMatchObject({ inputTokens: 3600, outputTokens: 440, steps: 6, toolCalls: 4 })
    expect(ix.totals.costUsd).toBeCloseTo(0.0383, 6)
    const tokens = ix.series.tokens
    expect(tokens.at(-1)).toBe(4040)
    expect(tokens.every((value, i) => i === 0 || value >= tokens[i - 1]!)).toBe(true)
    expect(ix.series.x).toHaveLength(tokens.length)
  })

  it('gives an unknown event type a row of its own', () => {
    const text = `${fixture.text}${JSON.stringify({ seq: 99, t: 1, type: 'future.thing', path: 'root', x: 1 })}\n`
    const more = core.buildIndex(text)
    expect(more.rows.at(-1)).toMatchObject({ kind: 'other', title: 'future.thing' })
  })
})

const FIX = 'baton view takes a transcript'

describe('what baton view accepts', () => {
  it('tells a transcript from an eval report', () => {
    expect(parseViewInput(fixture.text, 'a.jsonl').kind).toBe('transcript')
    expect(parseViewInput(JSON.stringify(report(), null, 2), 'r.json').kind).toBe('report')
    expect(parseViewInput(JSON.stringify(report()), 'r.json').kind).toBe('report')
  })

  it.each([
    ['', 'the file is empty'],
    ['hello world\n', 'line 1 is not JSON'],
    ['{"name":"x"}\n', 'a JSON object without the "evals" list'],
    ['[1,2]', 'JSON, but not an object'],
    [`${JSON.stringify(fixture.events[0])}\n`, 'line 1 is an event (run.start), not the header line'],
    ['{"a":1}\n{"b":2}\n', 'line 1 is JSON but not a transcript header'],
  ])('refuses %j naming the problem and the fix, in one line', (text, problem) => {
    const error = catchError(() => parseViewInput(text, 'in.txt'))
    expect(error.message).toContain(`in.txt: not a Baton transcript or eval report (${problem}`)
    expect(error.message).toContain(FIX)
    expect(error.message).not.toContain('\n')
  })

  it('says where a transcript is damaged and what to do', () => {
    const lines = fixture.text.split('\n')
    lines[5] = '{"seq":4,"t":400,"type":"model.ret'
    const error = catchError(() => parseViewInput(lines.join('\n'), 'damaged.jsonl'))
    expect(error.message).toMatch(
      /^damaged\.jsonl:6: not JSON .*; the transcript is damaged at line 6: repair that line or record the run again$/,
    )
    const newer = catchError(() =>
      parseViewInput(fixture.text.replace('"version":1', '"version":99'), 'new.jsonl'),
    )
    expect(newer.message).toContain('upgrade Baton')
    const oldReport = catchError(() =>
      parseViewInput(JSON.stringify({ ...report(), version: 7 }), 'old.json'),
    )
    expect(oldReport.message).toContain('eval report version 7 is not supported')
  })

  it('renders a report with the eval report renderer', () => {
    const page = renderViewHtml({ kind: 'report', report: report() })
    expect(page).toContain('<title>Eval: trip-planner</title>')
    expect(page).toContain('lisbon-&lt;2&gt;-days')
  })
})

// ---- the CLI, as a user runs it (`npm test` builds first) ----

function baton(...args: string[]) {
  const child = spawnSync(process.execPath, ['dist/cli/main.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

describe('baton view', () => {
  it('writes the page next to a transcript and prints its path', () => {
    const input = join(temp, 'every.jsonl')
    writeFileSync(input, fixture.text)
    const { code, stdout, stderr } = baton('view', input)
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toBe(`${join(temp, 'every.html')}\n`)
    const page = readFileSync(join(temp, 'every.html'), 'utf8')
    expect(page).toContain('id="baton-data"')
    expect(dataBlock(page).split('\n')).toHaveLength(fixture.events.length + 1)
  })

  it('writes where --out says, making the folder', () => {
    const input = join(temp, 'every2.jsonl')
    writeFileSync(input, fixture.text)
    const out = join(temp, 'pages', 'deep', 'run.html')
    const { code, stdout } = baton('view', input, '--out', out)
    expect(code).toBe(0)
    expect(stdout.trim()).toBe(out)
    expect(existsSync(out)).toBe(true)
  })

  it('renders an eval report', () => {
    const input = join(temp, 'report.json')
    writeFileSync(input, JSON.stringify(report(), null, 2))
    const { code, stdout } = baton('view', input)
    expect(code).toBe(0)
    expect(stdout.trim()).toBe(join(temp, 'report.html'))
    expect(readFileSync(join(temp, 'report.html'), 'utf8')).toContain('Eval: trip-planner')
  })

  it('answers --help', () => {
    const { code, stdout } = baton('view', '--help')
    expect(code).toBe(0)
    expect(stdout).toContain('baton view <transcript.jsonl | report.json> [--out <file.html>]')
    expect(baton('--help').stdout).toContain('baton view <transcript.jsonl | report.json>')
  })

  it.each([
    [
      'a file that is not a transcript',
      'notes.txt',
      'hello\nworld\n',
      'not a Baton transcript or eval report (line 1 is not JSON)',
    ],
    ['an empty file', 'empty.jsonl', '', 'the file is empty'],
    [
      'a damaged transcript',
      'damaged.jsonl',
      fixture.text.replace('"type":"tool.call"', '"type":"tool.call'),
      'the transcript is damaged at line',
    ],
  ])('refuses %s with one line and exit 2', (_what, name, text, message) => {
    const input = join(temp, name)
    writeFileSync(input, text)
    const { code, stdout, stderr } = baton('view', input)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain(message)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it.each([
    [
      ['view', 'runs/missing.jsonl'],
      'runs/missing.jsonl: cannot read it (no such file); baton view takes a transcript',
    ],
    [['view'], 'missing the file to show'],
    [['view', 'a.jsonl', 'b.jsonl'], 'too many arguments (2)'],
    [['view', 'a.jsonl', '--fast'], 'unknown flag --fast for "baton view"'],
    [['view', 'a.jsonl', '--out'], '--out needs a file path'],
    [['view', 'test', '--out', 'test'], 'is the file being shown'],
  ])('refuses %j with one line and exit 2', (args, message) => {
    const { code, stderr } = baton(...args)
    expect(code).toBe(2)
    expect(stderr).toContain(message)
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })

  it('refuses a folder, and shows the stack with --debug', () => {
    mkdirSync(join(temp, 'folder.jsonl'), { recursive: true })
    const plain = baton('view', join(temp, 'folder.jsonl'))
    expect(plain.code).toBe(2)
    expect(plain.stderr).toContain('cannot read it (it is a directory)')
    const debug = baton('view', join(temp, 'folder.jsonl'), '--debug')
    expect(debug.code).toBe(2)
    expect(debug.stderr).toMatch(/\n\s+at /)
  })
})

function catchError(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error')
}

function report(): EvalReport {
  const summary = {
    cases: 1,
    runs: 1,
    passed: 1,
    passRate: 1,
    passedAtK: 1,
    passAtK: 1,
    score: 1,
    inputTokens: 10,
    outputTokens: 5,
    costUsd: 0,
    meanLatencyMs: 12,
  }
  return {
    version: 1,
    baton: '0.1.0',
    createdAt: '2026-01-01T00:00:00.000Z',
    durationMs: 40,
    summary,
    evals: [
      {
        name: 'trip-planner',
        mode: 'replay',
        trials: 1,
        summary,
        cases: [
          {
            case: 'lisbon-<2>-days',
            trials: 1,
            passed: 1,
            passAtK: true,
            score: 1,
            costUsd: 0,
            steps: 6,
            latencyMs: 12,
          },
        ],
        results: [
          {
            case: 'lisbon-<2>-days',
            trial: 1,
            pass: true,
            score: 1,
            scores: [{ name: 'exact', pass: true, score: 1 }],
            status: 'done',
            stopReason: 'goal',
            inputTokens: 10,
            outputTokens: 5,
            costUsd: 0,
            latencyMs: 12,
            steps: 6,
            toolCalls: 4,
          },
        ],
      },
    ],
  }
}

describe('a line nested too deep to handle', () => {
  const lines = fixture.text.split('\n')
  const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`
  const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`
  // Line 3 replaced: whatever sits there, the file, the line and the fix are named.
  const withLine3 = (line: string) => [...lines.slice(0, 2), line, ...lines.slice(3)].join('\n')
  const cases: [string, string][] = [
    ['an unclosed array a million deep', withLine3('['.repeat(1e6))],
    ['an array a million deep', withLine3(deepArray(1e6))],
    ['an object 200,000 deep', withLine3(deepObject(2e5))],
    [
      'an event whose task is a million deep',
      withLine3(`{"seq":1,"t":0,"type":"run.start","path":"root","task":${deepArray(1e6)}}`),
    ],
    [
      'an event whose tool arguments are 1,001 deep',
      withLine3(`{"seq":1,"t":0,"type":"tool.call","path":"root/1/tool/c","args":${deepArray(1000)}}`),
    ],
  ]

  it.each(cases)(
    'baton view refuses %s: one line naming the file, the line and the fix, exit 2',
    (_, text) => {
      const input = join(temp, 'deep.jsonl')
      writeFileSync(input, text)
      const { code, stdout, stderr } = baton('view', input, '--out', join(temp, 'deep.html'))
      expect(code).toBe(2)
      expect(stdout).toBe('')
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toContain(`${input}:3:`)
      expect(stderr).toMatch(/repair|record the run again/)
      expect(stderr).not.toMatch(/stack size|RangeError/i)
      expect(existsSync(join(temp, 'deep.html'))).toBe(false)
    },
  )

  it.each(cases)('the transcript reader refuses %s with a TRANSCRIPT error naming file:line', (_, text) => {
    const error = catchError(() => parseTranscript(text, 'deep.jsonl'))
    expect(error).toMatchObject({ code: 'TRANSCRIPT', details: { path: 'deep.jsonl', line: 3 } })
    expect(error.message).toMatch(/^deep\.jsonl:3: /)
  })

  it('a report nested too deep is refused in one line as well', () => {
    const input = join(temp, 'deep-report.json')
    writeFileSync(input, `{"evals":[${deepArray(5000)}]}`)
    const { code, stderr } = baton('view', input, '--out', join(temp, 'deep-report.html'))
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toContain(`${input}:1:`)
  })

  it('a line nested as deep as a transcript may be (1,000 levels) is shown', () => {
    const text = withLine3(
      `{"seq":1,"t":0,"type":"tool.call","path":"root/1/tool/c","callId":"c","name":"deep","args":${deepArray(999)}}`,
    )
    const parsed = parseTranscript(text, 'deep-ok.jsonl')
    expect(renderTranscriptHtml(parsed, { source: 'deep-ok.jsonl' })).toContain('<html')
  })
})

describe.skipIf(!existsSync('/dev/zero'))('a device given as the file', () => {
  it('baton view refuses it at once, in one line, instead of reading forever', () => {
    const { code, stderr } = baton('view', '/dev/zero', '--out', join(temp, 'zero.html'))
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toContain('/dev/zero: cannot read it (it is a device, not a file)')
  })

  it('the transcript reader refuses it with a TRANSCRIPT error', async () => {
    const { readTranscript } = await import('../src/transcript/index.js')
    const error = catchError(() => readTranscript('/dev/zero'))
    expect(error).toMatchObject({ code: 'TRANSCRIPT' })
    expect(error.message).toContain('/dev/zero')
  })
})
