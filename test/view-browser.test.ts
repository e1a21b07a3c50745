/**
 * `baton view` pages in headless Chromium (Debian's chromium, driven by playwright-core): a
 * recorded run of the example trip planner, a transcript with every event type and hostile
 * text, and a ~50 MB transcript. The built CLI writes the pages (`npm test` builds first).
 * A screenshot of the trip planner's page is kept in test-output/view.png.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, chromium, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, defineTool, run } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { VIEWER_CORE } from '../src/view/index.js'
import { everyEventTranscript, writeBigTranscript } from './fixtures/view-transcripts.js'

const CHROMIUM = '/usr/bin/chromium'
const root = new URL('..', import.meta.url).pathname
const artifacts = join(root, 'test-output')

function baton(...args: string[]) {
  const child = spawnSync(process.execPath, ['dist/cli/main.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    // No key: `baton run` on an example agent replays its shipped recording.
    env: { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', OPENAI_BASE_URL: '' },
  })
  if (child.status !== 0) throw new Error(`baton ${args.join(' ')} exited ${child.status}: ${child.stderr}`)
  return child.stdout.trim()
}

/** A page that records what it fetched and every script error. */
async function open(browser: Browser, file: string, timeout = 60_000) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  // Every click and read waits as long as loading may: on a loaded machine Chromium is slow to
  // paint, and Playwright's own 30 s default has run out before the page did.
  page.setDefaultTimeout(timeout)
  const errors: string[] = []
  const requests: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('request', (request) => requests.push(request.url()))
  const started = performance.now()
  await page.goto(pathToFileURL(file).href, { timeout })
  await page.waitForSelector('[data-testid=viewer][data-ready=true]', { state: 'attached', timeout })
  return { page, errors, requests, readyMs: performance.now() - started }
}

/**
 * Clicks a timeline row and waits until the detail shows that row. The timeline is virtualised:
 * on a busy machine it may redraw under the click, which then selects nothing; click again.
 */
async function openRow(page: Page, row: Locator): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const id = await row.first().getAttribute('data-row')
    await row.first().click()
    try {
      await page.locator(`[data-testid=detail][data-row="${id}"]`).waitFor({ timeout: 15_000 })
      return
    } catch (error) {
      if (attempt === 3) throw error
    }
  }
}

const text = (page: Page, selector: string) => page.locator(selector).first().innerText()

describe.skipIf(!existsSync(CHROMIUM))(
  `baton view in headless Chromium (skipped when ${CHROMIUM} is missing: apt-get install -y chromium)`,
  () => {
    let browser: Browser
    const temp = mkdtempSync(join(tmpdir(), 'baton-view-browser-'))

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true })
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
          '--disable-sync',
        ],
      })
    })
    afterAll(async () => {
      await browser?.close()
      rmSync(temp, { recursive: true, force: true })
    })

    it('shows the trace the first run writes (the research lead, replayed offline), analyst expanded', async () => {
      const transcript = join(temp, 'first-run.jsonl')
      const out = baton(
        'run',
        'agents/research-lead.ts',
        'How much bigger is Lisbon than Porto, by population and by area?',
        '--record',
        transcript,
      )
      expect(out).toContain('So this is a replay of the recorded run')
      const trace = join(temp, 'first-run.html')
      expect(out).toContain(`trace:      ${trace}`)
      const { page, errors, requests } = await open(browser, trace)
      expect(await text(page, '[data-testid=run-status]')).toBe('done')
      expect(await text(page, '[data-testid=run-task]')).toContain('Lisbon than Porto')
      const analyst = page.locator('[data-testid=agent-node][data-agent=analyst]')
      expect(await analyst.getAttribute('data-expanded')).toBe('false')
      await analyst.locator('[data-testid=agent-toggle]').first().click()
      const tools = page.locator(
        '[data-testid=agent-node][data-agent=analyst] [data-testid=agent-step][data-kind=tool]',
      )
      expect(await tools.count()).toBe(3)
      expect(await tools.first().innerText()).toContain('calculate({"expression":"545796 / 231962"})')
      await tools.first().click()
      expect(await text(page, '[data-testid=tool-result]')).toContain('2.352954')
      await page.screenshot({ path: join(artifacts, 'first-run.png'), fullPage: true })
      expect(statSync(join(artifacts, 'first-run.png')).size).toBeGreaterThan(10_000)
      expect(errors).toEqual([])
      expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([])
      await page.close()
    })

    describe('a recorded run of the trip planner', () => {
      let page: Page
      let errors: string[]
      let requests: string[]
      let html: string

      beforeAll(async () => {
        const transcript = join(temp, 'lisbon.jsonl')
        baton(
          'run',
          'agents/trip-planner.ts',
          'Plan a two-day trip to Lisbon',
          '--record',
          transcript,
          '--json',
        )
        html = baton('view', transcript)
        expect(html).toBe(join(temp, 'lisbon.html'))
        ;({ page, errors, requests } = await open(browser, html))
      })

      it('shows the status, the stop reason and the totals at the top', async () => {
        expect(await text(page, '[data-testid=run-status]')).toBe('done')
        expect(await text(page, '[data-testid=stop-reason]')).toBe('goal')
        expect(await page.locator('[data-testid=run-error]').count()).toBe(0)
        expect(await text(page, '[data-testid=run-task]')).toContain('Plan a two-day trip to Lisbon')
        const totals = await text(page, '[data-testid=run-totals]')
        expect(totals).toContain('1,670 / 435')
        expect(totals).toMatch(/6\s+model calls/)
        expect(totals).toMatch(/3\s+agents/)
      })

      it('shows the budget burning down against the limits of the header', async () => {
        expect(await text(page, '[data-testid=budget-steps] [data-testid=budget-used]')).toBe('6 / 12 (50%)')
        expect(await text(page, '[data-testid=budget-cost] [data-testid=budget-used]')).toBe(
          '$0.0000 / $0.5000 (0%)',
        )
        expect(await text(page, '[data-testid=budget-tokens] [data-testid=budget-used]')).toBe(
          '2,105 · no limit',
        )
        expect(await page.locator('[data-testid=budget-tokens] svg polyline').count()).toBe(1)
      })

      it('expands the researcher in the agent tree to show its tool call and result', async () => {
        const lead = page.locator('[data-testid=agent-node][data-agent=trip-planner]')
        expect(await lead.getAttribute('data-expanded')).toBe('true')
        const researcher = page.locator('[data-testid=agent-node][data-agent=researcher]')
        expect(await researcher.getAttribute('data-expanded')).toBe('false')
        expect(await researcher.locator('[data-testid=agent-status]').innerText()).toBe('done')
        expect(await researcher.locator('[data-testid=agent-steps]').count()).toBe(0)

        await researcher.locator('[data-testid=agent-toggle]').first().click()
        const expanded = page.locator('[data-testid=agent-node][data-agent=researcher]')
        expect(await expanded.getAttribute('data-expanded')).toBe('true')
        const tool = expanded.locator('[data-testid=agent-step][data-kind=tool]')
        expect(await tool.count()).toBe(1)
        expect(await tool.isVisible()).toBe(true)
        const step = await tool.innerText()
        expect(step).toContain('city_guide({"city":"Lisbon"})')
        expect(step).toContain('Belém Tower')
        expect(await expanded.locator('[data-testid=agent-step][data-kind=model]').count()).toBe(2)

        // A step opens its detail: the arguments and the whole result.
        await tool.click()
        const detail = page.locator('[data-testid=detail]')
        expect(await detail.getAttribute('data-kind')).toBe('tool')
        expect(await text(page, '[data-testid=tool-args]')).toBe('{\n  "city": "Lisbon"\n}')
        const result = page.locator('[data-testid=tool-result]')
        expect(await result.getAttribute('data-error')).toBe('false')
        expect(await result.innerText()).toContain('Jerónimos Monastery')
        expect(await page.locator('[data-testid=timeline-row].sel').innerText()).toContain('city_guide')
      })

      it('shows a model call’s new messages and response when its row is clicked', async () => {
        const row = page
          .locator('[data-testid=timeline-row][data-kind=model]')
          .filter({ hasText: 'researcher#0 · 2' })
        await openRow(page, row)
        expect(await page.locator('[data-testid=detail]').getAttribute('data-kind')).toBe('model')
        const messages = page.locator('[data-testid=request-messages] > [data-testid=message]')
        expect(await messages.evaluateAll((els) => els.map((el) => el.getAttribute('data-role')))).toEqual([
          'assistant',
          'tool',
        ])
        expect(await messages.nth(0).innerText()).toContain('city_guide')
        expect(await messages.nth(1).innerText()).toContain('Belém Tower')
        const response = await text(page, '[data-testid=response]')
        expect(response).toContain('"sights"')
        expect(response).toMatch(/in 320 · out 120/)

        // The whole history: the system message and the brief came with the first request.
        await page.locator('[data-testid=full-history]').click()
        const history = page.locator('[data-testid=history] [data-testid=message]')
        expect(await history.evaluateAll((els) => els.map((el) => el.getAttribute('data-role')))).toEqual([
          'system',
          'user',
          'assistant',
          'tool',
        ])
        await page.screenshot({ path: join(artifacts, 'view.png'), fullPage: true })
        expect(statSync(join(artifacts, 'view.png')).size).toBeGreaterThan(10_000)
      })

      it('filters the timeline by agent and by kind', async () => {
        await page
          .locator('[data-testid=agent-node][data-agent=budgeter] [data-testid=agent-label]')
          .first()
          .click()
        expect(await text(page, '[data-testid=filter-agent]')).toContain('budgeter#0')
        expect(await text(page, '[data-testid=row-count]')).toBe('5 of 22 rows')
        const agents = await page
          .locator('[data-testid=timeline-row] .c-agent')
          .evaluateAll((els) => els.map((el) => el.textContent))
        expect(agents.every((name) => name?.startsWith('budgeter#0'))).toBe(true)
        await page.locator('[data-testid=filter-agent] button').click()
        await page.selectOption('[data-testid=filter-kind]', 'memory')
        expect(await text(page, '[data-testid=row-count]')).toBe('2 of 22 rows')
        // The two sub-agents ran at once: their writes are in either order.
        await page.locator('[data-testid=timeline-row]', { hasText: 'agents/budgeter/0' }).click()
        const provenance = await text(page, '[data-testid=memory-provenance]')
        expect(provenance).toContain('agents/budgeter/0')
        expect(provenance).toContain('root/1/agent:budgeter#0')
        // Back to every row: the selected row is still in view.
        await page.selectOption('[data-testid=filter-kind]', 'all')
        expect(await text(page, '[data-testid=row-count]')).toBe('22 rows · 32 events')
        expect(await page.locator('[data-testid=timeline-row].sel').innerText()).toContain(
          'agents/budgeter/0',
        )
      })

      it('fetches nothing and raises no script error', () => {
        expect(errors).toEqual([])
        expect(requests).toEqual([pathToFileURL(html).href])
      })
    })

    describe('a transcript with every event type and hostile text', () => {
      let page: Page
      let errors: string[]
      let requests: string[]
      const fixture = everyEventTranscript()
      const rows = (
        new Function(`${VIEWER_CORE}; return buildIndex`)() as (t: string) => { rows: unknown[] }
      )(fixture.text).rows.length

      beforeAll(async () => {
        const file = join(temp, 'every.jsonl')
        writeFileSync(file, fixture.text)
        ;({ page, errors, requests } = await open(browser, baton('view', file)))
      })

      it('shows how the run ended, with its error', async () => {
        expect(await text(page, '[data-testid=run-status]')).toBe('budget_exceeded')
        expect(await text(page, '[data-testid=stop-reason]')).toBe('maxSteps')
        expect(await text(page, '[data-testid=run-error]')).toContain(
          'BUDGET_EXCEEDED: maxSteps: used 20 of 20',
        )
        expect(await text(page, '[data-testid=row-count]')).toBe(
          `${rows} rows · ${fixture.events.length} events`,
        )
        expect(await page.title()).toContain('</script><script>window.__pwned = 1</script>')
      })

      it('opens every row, moving with the arrow keys, without a script error', async () => {
        await page.locator('[data-testid=timeline-row]').first().click()
        const seen = new Set<string>()
        for (let i = 0; i < rows; i++) {
          const detail = page.locator('[data-testid=detail]')
          seen.add((await detail.getAttribute('data-kind'))!)
          expect(await detail.getAttribute('data-row')).toBe(String(i))
          expect((await detail.innerText()).length).toBeGreaterThan(20)
          await page.keyboard.press('ArrowDown')
        }
        expect([...seen].sort()).toEqual([
          'agent',
          'budget',
          'context',
          'goal',
          'input',
          'memory',
          'model',
          'run',
          'sampling',
          'stall',
          'tool',
          'tools',
        ])
        expect(await page.locator('[data-testid=timeline-row]').count()).toBeLessThan(rows + 1)
        expect(errors).toEqual([])
      })

      it('shows hostile text as text', async () => {
        expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined()
        await openRow(
          page,
          page.locator('[data-testid=timeline-row]').filter({ hasText: 'lookup, delegate_researcher' }),
        )
        expect(await text(page, '[data-testid=reasoning]')).toContain(
          'Thinking about </script><script>window.__pwned',
        )
        expect(await text(page, '[data-testid=request-messages]')).toContain('<!-- <b>bold</b>')
        expect(await page.locator('[data-testid=detail] b:text("bold")').count()).toBe(0)
        expect(await text(page, '[data-testid=retries]')).toContain('attempt 1 failed: HTTP_429 (HTTP 429)')
        expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined()
      })

      it('shows a compaction: its numbers, the stubbed result, the summary call and the history after it', async () => {
        const row = page.locator('[data-testid=timeline-row][data-kind=context]')
        expect(await row.innerText()).toContain(
          'compacted 2,430 → 1,012 tokens · 1 result stubbed · 3 messages summarised',
        )
        await openRow(page, row)
        const fields = await text(page, '[data-testid=compaction-fields]')
        expect(fields).toContain('threshold: the request would have passed the limit')
        expect(fields).toContain('2,430 → 1,012 (estimated)')
        expect(fields).toContain('2,000 tokens')
        expect(fields).toContain('1 tool result (kept whole in memory)')
        expect(fields).toContain('600/80 tok')
        const history = page.locator('[data-testid=compaction-messages] > [data-testid=message]')
        expect(await history.evaluateAll((els) => els.map((el) => el.getAttribute('data-role')))).toEqual([
          'system',
          'user',
          'user',
        ])
        expect(await history.nth(2).innerText()).toContain(
          'Summary of the earlier steps, written to save context]\nLooked up the facts',
        )
        expect(await history.nth(2).innerText()).toContain('</script><script>window.__pwned')
        // The stubbed result opens the memory write that keeps it.
        await page.locator('[data-testid=stubbed-key]').click()
        await page.locator('[data-testid=detail][data-kind=memory]').waitFor()
        expect(await text(page, '[data-testid=memory-provenance]')).toContain('root/2/compact')
        // The summary is a side call: its whole request, no history button, a link back.
        await openRow(page, row)
        await page.locator('[data-testid=open-summary-call]').click()
        await page.locator('[data-testid=detail][data-kind=model]').waitFor()
        expect(await text(page, '[data-testid=detail-title]')).toBe('summary call')
        expect(await text(page, '[data-testid=request-messages] h3')).toBe('Request (2 messages)')
        expect(await page.locator('[data-testid=full-history]').count()).toBe(0)
        await page.locator('[data-testid=open-compaction]').click()
        await page.locator('[data-testid=detail][data-kind=context]').waitFor()
        // The lead's next call was sent the compacted history, and nothing before it.
        await openRow(
          page,
          page.locator('[data-testid=timeline-row][data-kind=model]').filter({ hasText: '0 new messages' }),
        )
        await page.locator('[data-testid=full-history]').click()
        const sent = page.locator('[data-testid=history] [data-testid=message]')
        expect(await sent.evaluateAll((els) => els.map((el) => el.getAttribute('data-role')))).toEqual([
          'system',
          'user',
          'user',
        ])
        await page.selectOption('[data-testid=filter-kind]', 'context')
        expect(await text(page, '[data-testid=row-count]')).toBe(`1 of ${rows} rows`)
        await page.selectOption('[data-testid=filter-kind]', 'all')
        expect(await text(page, '[data-testid=run-totals]')).toMatch(/1\s+compactions/)
        expect(errors).toEqual([])
      })

      it('highlights failed tool calls with their error', async () => {
        await openRow(
          page,
          page.locator('[data-testid=timeline-row]').filter({ hasText: 'invalid arguments' }),
        )
        const result = page.locator('[data-testid=tool-result]')
        expect(await result.getAttribute('data-error')).toBe('true')
        expect(await result.innerText()).toContain('INVALID_ARGUMENTS: invalid arguments')
        expect(await result.innerText()).toContain('Required')
        expect(await page.locator('[data-testid=timeline-row].is-error').count()).toBeGreaterThan(3)
        await page.selectOption('[data-testid=filter-kind]', 'problems')
        expect(await text(page, '[data-testid=row-count]')).toMatch(/^\d+ of \d+ rows$/)
        await page.selectOption('[data-testid=filter-kind]', 'all')
      })

      it('fetches nothing', () => {
        expect(requests).toHaveLength(1)
        expect(errors).toEqual([])
      })
    })

    it('shows a plan’s tasks with their states and timing, and its critical path', async () => {
      const slow = defineTool({
        name: 'lookup',
        description: 'Looks up',
        input: z.object({ q: z.string(), ms: z.number() }),
        run: async ({ q, ms }) => {
          await new Promise((resolve) => setTimeout(resolve, ms))
          if (q === 'broken') throw new Error('no such entry')
          return { q, n: q.length }
        },
      })
      const planner = defineAgent({
        name: 'planner',
        instructions: 'Plan.',
        model: scriptedModel([
          {
            toolCalls: [
              {
                name: 'plan',
                args: {
                  tasks: [
                    { id: 'far', tool: 'lookup', args: { q: 'far', ms: 150 } },
                    { id: 'near', tool: 'lookup', args: { q: 'near', ms: 1 } },
                    // biome-ignore lint/suspicious/noTemplateCurlyInString: a plan's reference, not a template
                    { id: 'both', tool: 'lookup', args: { q: '${far.q}${near.q}', ms: 1 } },
                    { id: 'bad', tool: 'lookup', args: { q: 'broken', ms: 1 } },
                    // biome-ignore lint/suspicious/noTemplateCurlyInString: a plan's reference, not a template
                    { id: 'after', tool: 'lookup', args: { q: '${bad.q}', ms: 1 } },
                  ],
                },
              },
            ],
          },
          { text: 'done' },
        ]),
        tools: [slow],
        plan: true,
      })
      const file = join(temp, 'plan.jsonl')
      expect((await run(planner, 'Look things up', { record: file })).status).toBe('done')
      const { page, errors } = await open(browser, baton('view', file))
      await openRow(
        page,
        page.locator('[data-testid=timeline-row][data-kind=tool]').filter({ hasText: 'plan of 5 tasks' }),
      )
      const rows = page.locator('[data-testid=plan-tasks] tr[data-state]')
      expect(
        await rows.evaluateAll((els) =>
          els.map((el) => [el.children[0]!.textContent, el.getAttribute('data-state')]),
        ),
      ).toEqual([
        ['far', 'done'],
        ['near', 'done'],
        ['both', 'done'],
        ['bad', 'failed'],
        ['after', 'skipped'],
      ])
      expect(await text(page, '[data-testid=critical-path]')).toBe('critical path: far → both')
      // A task's name opens its own call.
      await page.locator('[data-testid=plan-task]').filter({ hasText: 'both' }).click()
      await page
        .locator('[data-testid=detail] [data-testid=tool-args]')
        .filter({ hasText: 'farnear' })
        .waitFor()
      expect(errors).toEqual([])
      await page.close()
    })

    it('shows a crashed run as unfinished, saying so', async () => {
      const fixture = everyEventTranscript()
      const lines = fixture.text.split('\n').slice(0, 20)
      const file = join(temp, 'crashed.jsonl')
      writeFileSync(file, `${lines.join('\n')}\n{"seq":19,"t":1900,"type":"model.req`)
      const { page, errors } = await open(browser, baton('view', file))
      expect(await text(page, '[data-testid=run-status]')).toBe('unfinished')
      const warnings = await page.locator('[data-testid=run-warning]').allInnerTexts()
      expect(warnings.join('\n')).toContain('The last line of the transcript was cut off')
      expect(warnings.join('\n')).toContain('No run.end')
      expect(
        await text(page, '[data-testid=agent-node][data-agent=researcher] [data-testid=agent-status]'),
      ).toBe('unfinished')
      expect(errors).toEqual([])
      await page.close()
    })

    describe('a 50 MB transcript', () => {
      let page: Page
      let errors: string[]
      let readyMs: number
      let big: ReturnType<typeof writeBigTranscript>
      let htmlBytes: number
      let viewMs: number

      beforeAll(async () => {
        const file = join(temp, 'big.jsonl')
        big = writeBigTranscript(file, 50 * 1024 * 1024)
        const started = performance.now()
        const html = baton('view', file)
        viewMs = performance.now() - started
        htmlBytes = statSync(html).size
        ;({ page, errors, readyMs } = await open(browser, html, 120_000))
        console.log(
          `50 MB transcript: ${big.events} events, ${(big.bytes / 2 ** 20).toFixed(1)} MB; page ${(htmlBytes / 2 ** 20).toFixed(1)} MB (+${Math.round((htmlBytes - big.bytes) / 1024)} KB); baton view ${Math.round(viewMs)} ms; ready in Chromium ${Math.round(readyMs)} ms`,
        )
      }, 300_000)

      it('is the transcript plus a small constant', () => {
        expect(big.bytes).toBeGreaterThan(49 * 2 ** 20)
        expect(htmlBytes - big.bytes).toBeGreaterThan(0)
        expect(htmlBytes - big.bytes).toBeLessThan(150_000)
      })

      it('opens in a generous time, drawing only a window of the rows', async () => {
        expect(readyMs).toBeLessThan(60_000)
        expect(await text(page, '[data-testid=run-status]')).toBe('done')
        const count = await text(page, '[data-testid=row-count]')
        const total = Number(count.split(' rows')[0]!.replaceAll(',', ''))
        expect(total).toBeGreaterThan(50_000)
        expect(await page.locator('[data-testid=timeline-row]').count()).toBeLessThan(80)
        // The tree draws the first sub-agents and offers the rest.
        expect(await page.locator('[data-testid=agent-node]').count()).toBeLessThanOrEqual(51)
        expect(await page.locator('[data-testid=agent-children] > button.more').innerText()).toMatch(
          /more sub-agents/,
        )
      })

      it('scrolls to the end and opens a late row, still drawing only a window', async () => {
        await page.evaluate(() => {
          const timeline = document.querySelector('[data-testid=timeline]')!
          timeline.scrollTop = timeline.scrollHeight
        })
        await page.waitForSelector('[data-testid=timeline-row][data-kind=run] >> text=run end')
        expect(await page.locator('[data-testid=timeline-row]').count()).toBeLessThan(80)
        const late = page.locator('[data-testid=timeline-row]').filter({ hasText: 'LATE-MARKER' })
        expect(Number(await late.getAttribute('data-seq'))).toBeGreaterThan(big.events - 20)
        await late.click()
        expect(await text(page, '[data-testid=tool-result]')).toContain('LATE-MARKER')
        // Scrolling back and forth keeps the DOM small.
        for (const to of [0.25, 0.5, 0.75]) {
          await page.evaluate((at) => {
            const timeline = document.querySelector('[data-testid=timeline]')!
            timeline.scrollTop = timeline.scrollHeight * at
          }, to)
          await page.waitForFunction(() => document.querySelectorAll('[data-testid=timeline-row]').length > 0)
          expect(await page.locator('[data-testid=timeline-row]').count()).toBeLessThan(80)
        }
        await page.screenshot({ path: join(artifacts, 'view-50mb.png') })
      })

      it('searches every event', async () => {
        await page.fill('[data-testid=filter-search]', 'late-marker')
        await page.press('[data-testid=filter-search]', 'Enter')
        await page.waitForFunction(() =>
          document.querySelector('[data-testid=row-count]')!.textContent!.startsWith('1 of'),
        )
        expect(await text(page, '[data-testid=timeline-row]')).toContain('LATE-MARKER')
        expect(errors).toEqual([])
      })
    })
  },
)
