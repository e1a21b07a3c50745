/**
 * The `baton view` page in headless Chromium under hostile transcripts: values that cannot be
 * turned into text in every field, event types and task ids named like Object.prototype
 * members, bidirectional controls in names, and agents nested as deep as a transcript may be.
 * Each page must finish loading, open every row and every agent, and raise no script error.
 * The pages are rendered in-process from src (no build needed).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BatonEvent } from '../src/events/index.js'
import type { Transcript, TranscriptHeader } from '../src/transcript/index.js'
import { renderTranscriptHtml } from '../src/view/index.js'
import { everyEventTranscript } from './fixtures/view-transcripts.js'

const CHROMIUM = '/usr/bin/chromium'
const temp = mkdtempSync(join(tmpdir(), 'baton-view-hostile-browser-'))
const fixture = everyEventTranscript()

/** An object String() and + cannot turn into text: its own toString and valueOf are not functions. */
const POISON = { toString: 1, valueOf: 1, toJSON: 1 }
const STRUCTURE = new Set(['seq', 't', 'type', 'path'])

/** Every value below the event's own fields replaced with POISON; arrays and objects kept. */
function poisonLeaves(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(poisonLeaves)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poisonLeaves(v)]))
  return POISON
}
const keepStructure = (event: object, map: (key: string, value: unknown) => unknown) =>
  Object.fromEntries(Object.entries(event).map(([k, v]) => [k, STRUCTURE.has(k) ? v : map(k, v)]))

/** Events named like what every object inherits, and a plan whose task ids are such names. */
const prototypeEvents = (): object[] => [
  ...['valueOf', '__proto__', 'constructor', 'toString'].map((type) => ({ type, path: 'root/9' })),
  {
    type: 'plan.start',
    path: 'root/9/tool/p',
    callId: 'p',
    tasks: ['__proto__', 'constructor', 'valueOf'].map((id, i) => ({
      id,
      kind: 'tool',
      name: 'lookup',
      needs: i ? ['__proto__'] : [],
    })),
  },
  { type: 'tool.call', path: 'root/9/tool/p.__proto__', callId: 'p.__proto__', name: 'lookup', args: {} },
]

function transcript(header: object, events: readonly object[]): Transcript {
  return {
    path: 'hostile.jsonl',
    header: header as TranscriptHeader,
    events: events.map((e, seq) => ({ seq, t: seq * 10, ...e }) as BatonEvent),
    truncated: false,
  }
}

function pageFile(name: string, t: Transcript): string {
  const file = join(temp, `${name}.html`)
  writeFileSync(file, renderTranscriptHtml(t, { source: `${name}.jsonl` }))
  return file
}

async function open(browser: Browser, file: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.setDefaultTimeout(60_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  await page.goto(pathToFileURL(file).href)
  const ready = await page
    .waitForSelector('[data-testid=viewer][data-ready=true]', { state: 'attached', timeout: 30_000 })
    .then(
      () => true,
      () => false,
    )
  return { page, errors, ready }
}

/** Opens every row (and everything inside its detail), then every agent of the tree. */
async function exerciseEverything(page: Page): Promise<number> {
  const rows = Number(
    (await page.locator('[data-testid=row-count]').innerText()).split(' ')[0]!.replaceAll(',', ''),
  )
  await page.locator('[data-testid=timeline-row]').first().click()
  for (let i = 0; i < rows; i++) {
    await page.evaluate(() => {
      const detail = document.getElementById('detail')!
      for (const summary of detail.querySelectorAll('summary')) (summary as HTMLElement).click()
      for (const button of detail.querySelectorAll('button.more')) (button as HTMLElement).click()
    })
    await page.keyboard.press('ArrowDown')
  }
  for (let round = 0; round < 20; round++) {
    const closed = page.locator('[data-testid=agent-toggle][aria-expanded=false]')
    if ((await closed.count()) === 0) break
    await closed.first().click()
  }
  return rows
}

describe.skipIf(!existsSync(CHROMIUM))(`hostile transcripts in headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    })
  })
  afterAll(async () => {
    await browser?.close()
    rmSync(temp, { recursive: true, force: true })
  })

  it.each([
    [
      'every value below the fields an object that cannot be text',
      () =>
        transcript(fixture.header, [
          ...fixture.events.map((e) => keepStructure(e, (_, v) => poisonLeaves(v))),
          ...prototypeEvents(),
        ]),
    ],
    [
      'every field an object that cannot be text',
      () =>
        transcript(fixture.header, [
          ...fixture.events.map((e) => keepStructure(e, () => POISON)),
          ...prototypeEvents(),
        ]),
    ],
    [
      'a header whose every field is such an object',
      () =>
        transcript(
          { ...keepStructure(fixture.header, () => POISON), type: 'header', version: 1 },
          fixture.events,
        ),
    ],
  ])('a transcript with %s loads, opens every row and agent, with no script error', async (name, make) => {
    const { page, errors, ready } = await open(browser, pageFile(name.replaceAll(' ', '-'), make()))
    expect(errors).toEqual([])
    expect(ready).toBe(true)
    expect(await exerciseEverything(page)).toBeGreaterThan(fixture.events.length / 2)
    expect(errors).toEqual([])
    expect(await page.locator('[data-testid=viewer-error]').count()).toBe(0)
    await page.close()
  })

  it('shows bidirectional controls as code points, in the page and its title', async () => {
    const RLO = '\u202e'
    const header = { ...fixture.header, agent: { ...fixture.header.agent, name: `lead${RLO}gnp.exe` } }
    const events = fixture.events.map((e) =>
      e.type === 'tool.call' ? { ...e, name: `lookup${RLO}txt.exe`, args: { q: `a${RLO}b` } } : e,
    )
    const { page, errors, ready } = await open(browser, pageFile('bidi', transcript(header, events)))
    expect(ready).toBe(true)
    expect(await page.title()).toContain('lead\u27e8U+202E\u27e9gnp.exe')
    const body = await page.locator('body').innerText()
    expect(body).toContain('lookup\u27e8U+202E\u27e9txt.exe')
    expect(body).not.toContain(RLO)
    await page.locator('[data-testid=timeline-row][data-kind=tool]').first().click()
    expect(await page.locator('[data-testid=tool-args]').first().innerText()).toContain(
      'a\u27e8U+202E\u27e9b',
    )
    expect(errors).toEqual([])
    await page.close()
  })

  it('shows an agent nested 200 sub-agents deep (as deep as a transcript may), and reveals it in the tree', async () => {
    const deep = `root${'/1/agent:a#0'.repeat(200)}`
    const events = [
      ...fixture.events.slice(0, 3),
      { type: 'agent.start', path: deep, agent: 'a', model: 'm', depth: 200, task: 'deep' },
    ]
    const { page, errors, ready } = await open(browser, pageFile('deep', transcript(fixture.header, events)))
    expect(ready).toBe(true)
    await page.locator('[data-testid=timeline-row][data-kind=agent]').last().click()
    await page.locator('[data-testid=detail] [data-testid=reveal-agent]').first().click()
    await page.locator(`[data-testid=agent-node][data-path="${deep}"]`).waitFor({ state: 'attached' })
    expect(errors).toEqual([])
    await page.close()
  })
})
