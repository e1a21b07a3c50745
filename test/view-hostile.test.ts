/**
 * `baton view` against hostile or unlucky input, in Node: the viewer's index (the page's own
 * code) survives any JSON in any field, an event type named like an Object.prototype member
 * and agents nested absurdly deep; the reader of `baton view` takes a byte-order mark; the
 * command never overwrites a file that is not a page it wrote. The page itself, under the same
 * input, is tested in Chromium in view-hostile-browser.test.ts.
 */
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { UsageError } from '../src/cli/args.js'
import { viewCommand } from '../src/cli/view-command.js'
import { type EvalReport, renderHtml } from '../src/eval/index.js'
import type { BatonEvent } from '../src/events/index.js'
import { parseTranscript, type Transcript } from '../src/transcript/index.js'
import { parseViewInput, renderTranscriptHtml, renderViewHtml, VIEWER_CORE } from '../src/view/index.js'
import { everyEventTranscript, toJsonl } from './fixtures/view-transcripts.js'

const temp = mkdtempSync(join(tmpdir(), 'baton-view-hostile-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const fixture = everyEventTranscript()

/** Names an object may inherit: a lookup by a transcript's text must not find them. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'valueOf', 'toString', 'hasOwnProperty', 'isPrototypeOf']
/**
 * Values a field may hold in a transcript written by hand: an object whose own toString and
 * valueOf are not functions cannot be turned into text or a number by `String()` or `+`.
 */
const POISONS: unknown[] = [
  { toString: 1, valueOf: 1, toJSON: 1 },
  [{ toString: 1 }],
  '__proto__',
  'valueOf',
  -1,
  1e308,
  null,
  true,
  [],
  {},
]

/** Every event (and the header) with one field, at any depth, replaced by each poison in turn. */
function* poisonedVariants(
  header: object,
  events: readonly object[],
): Generator<{ where: string; header: unknown; events: unknown[] }> {
  const paths = (value: unknown, at: string[] = []): string[][] => {
    if (typeof value !== 'object' || value === null) return []
    return Object.entries(value).flatMap(([key, inner]) => [[...at, key], ...paths(inner, [...at, key])])
  }
  const replaced = (value: unknown, path: string[], poison: unknown): unknown => {
    if (path.length === 0) return poison
    const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string, unknown>
    copy[path[0]!] = replaced(copy[path[0]!], path.slice(1), poison)
    return copy
  }
  for (const path of paths(header))
    for (const poison of POISONS)
      yield { where: `header.${path.join('.')}`, header: replaced(header, path, poison), events: [...events] }
  for (let i = 0; i < events.length; i++)
    for (const path of paths(events[i]))
      for (const poison of POISONS) {
        const copy = [...events]
        copy[i] = replaced(events[i], path, poison) as object
        yield { where: `event ${i} ${path.join('.')} = ${JSON.stringify(poison)}`, header, events: copy }
      }
}

interface Index {
  rows: { kind: string; title: string; type: string }[]
  agents: { path: string; depth: number }[]
}
const core = new Function(`${VIEWER_CORE}; return { createIndex, addEvent, finishIndex, buildIndex }`)() as {
  createIndex(header: unknown): Index
  addEvent(ix: Index, line: number, event: unknown): void
  finishIndex(ix: Index): Index
  buildIndex(text: string): Index
}

/** Indexes events as the page does, one by one (no catch around them: a throw fails the test). */
function index(header: unknown, events: readonly unknown[]): Index {
  const ix = core.createIndex(header)
  events.forEach((event, i) => {
    core.addEvent(ix, i + 1, event)
  })
  return core.finishIndex(ix)
}

describe('the viewer index under hostile JSON', () => {
  it('indexes every event with any value in any field, at any depth (objects with a toString key included)', () => {
    let tried = 0
    for (const variant of poisonedVariants(fixture.header, fixture.events)) {
      expect(() => index(variant.header, variant.events), variant.where).not.toThrow()
      tried++
    }
    expect(tried).toBeGreaterThan(1000)
  })

  it('gives an event type named like an Object.prototype member a row of its own', () => {
    const events = PROTOTYPE_NAMES.map((type, seq) => ({ seq, t: seq, type, path: 'root' }))
    const ix = index(fixture.header, events)
    expect(ix.rows.map((row) => [row.kind, row.title])).toEqual(
      PROTOTYPE_NAMES.map((type) => ['other', type]),
    )
  })

  it('indexes an agent nested 20,000 sub-agents deep without running out of stack', () => {
    const path = `root${'/1/agent:a#0'.repeat(20_000)}/1/model`
    const started = performance.now()
    const ix = index(fixture.header, [{ seq: 0, t: 0, type: 'x.custom', path }])
    expect(ix.agents).toHaveLength(20_001)
    expect(ix.agents.at(-1)!.depth).toBe(20_000)
    expect(performance.now() - started).toBeLessThan(10_000)
  })
})

describe('the page of a hostile transcript', () => {
  it('refuses step keys nested deeper than a transcript may be, naming the line', () => {
    const deep: BatonEvent = {
      ...fixture.events[3]!,
      path: `root${'/1/agent:a#0'.repeat(201)}/1/tools`,
    } as BatonEvent
    const transcript: Transcript = {
      ...parseTranscript(fixture.text, 'deep.jsonl'),
      events: [...fixture.events.slice(0, 3), deep],
    }
    expect(() => renderTranscriptHtml(transcript, { source: 'deep.jsonl' })).toThrow(
      /^deep\.jsonl:5: the step key nests 201 sub-agents deep, more than the 200 a transcript may have/,
    )
    const ok = { ...deep, path: `root${'/1/agent:a#0'.repeat(200)}/1/tools` } as BatonEvent
    expect(renderTranscriptHtml({ ...transcript, events: [ok] })).toContain('<html')
  })

  it('refuses a transcript too big for one page, saying so, instead of failing to make the string', () => {
    const write = {
      seq: 99,
      t: 1,
      type: 'memory.write',
      path: 'root',
      key: 'k',
      by: 'root',
      value: '<'.repeat(200_000),
    }
    const text = toJsonl(fixture.header, [...fixture.events, write as BatonEvent])
    const transcript = parseTranscript(text, 'big.jsonl')
    // 200,000 "<" take 1.2 million characters in the page.
    expect(() => renderTranscriptHtml(transcript, { maxLength: 2 ** 20 })).toThrow(
      `big.jsonl: too big for one page: by line ${fixture.events.length + 2} the page is past 1 MB`,
    )
    expect(renderTranscriptHtml(transcript, { maxLength: 2 ** 21 })).toContain('<html')
  })

  it('escapes every value the poisoned variants put in the title and header', () => {
    for (const poison of POISONS) {
      const header = {
        ...fixture.header,
        task: poison,
        agent: { ...fixture.header.agent, name: '</title><b>' },
      }
      const page = renderTranscriptHtml({ path: 'p', header, events: [], truncated: false } as Transcript)
      expect(page.match(/<script\b/g)).toHaveLength(3)
      expect(page).not.toContain('</title><b>')
    }
  })
})

describe('what baton view reads', () => {
  it('takes a transcript and a report that start with a byte-order mark', () => {
    expect(parseViewInput(`\uFEFF${fixture.text}`, 'bom.jsonl').kind).toBe('transcript')
    expect(parseViewInput(`\uFEFF${JSON.stringify(report())}`, 'bom.json').kind).toBe('report')
  })

  it('takes CRLF line ends', () => {
    const crlf = fixture.text.replaceAll('\n', '\r\n')
    const input = parseViewInput(crlf, 'crlf.jsonl')
    expect(input.kind === 'transcript' && input.transcript.events).toHaveLength(fixture.events.length)
  })
})

describe('the page of an eval report', () => {
  it('says it was written by baton view and carries a policy that allows no script', () => {
    const page = renderViewHtml({ kind: 'report', report: report() })
    expect(page).toMatch(/<meta name="generator" content="baton view [^"]+">/)
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*">/)
    expect(page).not.toMatch(/script-src/)
  })
})

describe('where baton view writes', () => {
  const sink = { write: () => true }
  const run = (input: string, out?: string) => viewCommand({ input, out, debug: false }, { out: sink })
  const transcriptAt = (name: string) => {
    const path = join(temp, name)
    writeFileSync(path, fixture.text)
    return path
  }

  it('does not overwrite a file it did not write, next to the input or at --out', () => {
    const input = transcriptAt('notes.jsonl')
    writeFileSync(join(temp, 'notes.html'), 'my own notes')
    expect(() => run(input)).toThrow(UsageError)
    expect(() => run(input)).toThrow(
      `${join(temp, 'notes.html')} already exists and is not a page baton view wrote; remove it or choose another path with --out <file.html>`,
    )
    expect(readFileSync(join(temp, 'notes.html'), 'utf8')).toBe('my own notes')
    const other = transcriptAt('other.jsonl')
    expect(() => run(input, other)).toThrow('already exists and is not a page baton view wrote')
    expect(readFileSync(other, 'utf8')).toBe(fixture.text)
  })

  it('does not write the page over the transcript it shows, even through another name', () => {
    const input = transcriptAt('linked.jsonl')
    linkSync(input, join(temp, 'linked-too.html'))
    expect(() => run(input, join(temp, 'linked-too.html'))).toThrow(UsageError)
    expect(readFileSync(input, 'utf8')).toBe(fixture.text)
  })

  it('replaces a page it wrote before, whole', () => {
    const input = transcriptAt('again.jsonl')
    const out = join(temp, 'again.html')
    expect(run(input)).toBe(0)
    const first = statSync(out)
    writeFileSync(input, toJsonl(fixture.header, fixture.events.slice(0, 5)))
    expect(run(input)).toBe(0)
    expect(statSync(out).size).toBeLessThan(first.size)
    const reportPath = join(temp, 'report.json')
    writeFileSync(reportPath, JSON.stringify(report()))
    expect(run(reportPath)).toBe(0)
    expect(run(reportPath)).toBe(0)
    // Written beside the page and renamed over it: nothing is left behind.
    expect(readdirSync(temp).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  it('replaces the page baton eval --html wrote for the same report', () => {
    const reportPath = join(temp, 'evals.json')
    writeFileSync(reportPath, JSON.stringify(report()))
    writeFileSync(join(temp, 'evals.html'), renderHtml(report()))
    expect(run(reportPath)).toBe(0)
  })
})

function report(): EvalReport {
  const summary = {
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
  }
  return {
    version: 1,
    baton: '0.1.0',
    createdAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    summary,
    evals: [{ name: 'e', mode: 'replay', trials: 1, summary, cases: [], results: [] }],
  }
}
