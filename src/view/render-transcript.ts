import { createHash } from 'node:crypto'
import { BatonError } from '../errors/index.js'
import type { Transcript } from '../transcript/index.js'
import { safeStringify } from '../transcript/safe-json.js'
import type { Verification } from '../transcript/verify.js'
import { VERSION } from '../version.js'
import { VIEWER_CORE } from './viewer-core.js'
import { VIEWER_CSS } from './viewer-style.js'
import { VIEWER_UI } from './viewer-ui.js'

export interface RenderTranscriptOptions {
  /** A name for the transcript, shown in the page (e.g. the file name). */
  source?: string
  /** What `verifyTranscript` said of the file: the page shows it (verified, tampered, not chained) and who signed it. */
  verification?: Verification
  /**
   * The most characters the page may have; a bigger one is refused with a `TRANSCRIPT` error.
   * Default: what one JavaScript string holds (about 512 MiB), in Node and in the browser alike.
   */
  maxLength?: number
}

/** Just under V8's longest string (2^29 - 24 characters): the page is one string, here and in the browser. */
const MAX_PAGE_LENGTH = 2 ** 29 - 2 ** 20

/** The viewer script, exactly as it is inlined (its hash is in the page's Content-Security-Policy). */
export const VIEWER_SCRIPT = `${VIEWER_CORE}\n${VIEWER_UI}`
if (/<\/script|<!--/i.test(VIEWER_SCRIPT))
  throw new Error('the viewer script must not contain </script or <!--')
const SCRIPT_HASH = createHash('sha256').update(VIEWER_SCRIPT).digest('base64')

/**
 * The page's policy: no network at all (no fetch, images, fonts or frames), inline styles, and
 * only the viewer's own script, by hash: even text that got out of the data block could not run.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'sha256-${SCRIPT_HASH}'`,
  "style-src 'unsafe-inline'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

/**
 * Renders a transcript as one self-contained HTML page: the transcript's own lines embedded as
 * data (header first, one event a line, every `<` written `\u003c` so nothing in them can end
 * the block), a stylesheet and a small viewer script. Nothing is fetched when the page is
 * viewed. The page is about as big as the transcript plus ~60 KB.
 *
 * @example
 * writeFileSync('runs/lisbon.html', renderTranscriptHtml(readTranscript('runs/lisbon.jsonl')))
 */
export function renderTranscriptHtml(transcript: Transcript, options: RenderTranscriptOptions = {}): string {
  const { header, events } = transcript
  const root = typeof header.agent?.name === 'string' ? header.agent.name : 'run'
  const task = typeof header.task === 'string' ? header.task : (safeStringify(header.task) ?? '')
  const title = shownText(`${root}: ${oneLine(task, 80)} · Baton`)
  const meta = {
    source: options.source,
    verification: options.verification,
    truncated: transcript.truncated,
    events: events.length,
    viewer: VERSION,
  }
  const parts: string[] = [
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="generator" content="baton view ${VERSION}">
<title>${escapeHtml(title)}</title>
<style>${VIEWER_CSS}</style>
</head>
<body>
<div id="app" data-testid="viewer" data-ready="false">
<header id="hdr" class="hdr" data-testid="run-header"><h1>${escapeHtml(shownText(root))}</h1><div class="loading">Loading ${events.length} events…</div></header>
<section id="budget" class="budget" data-testid="budget-chart"></section>
<main class="main">
<aside class="tree-pane"><h2>Agents</h2><div id="tree" data-testid="agent-tree"></div></aside>
<section class="tl-pane">
<div id="tl-bar" class="tl-bar"></div>
<div class="tl-head"><span>seq</span><span>t</span><span>when</span><span>agent · step</span><span>kind</span><span>what</span><span></span></div>
<div id="tl-scroll" class="tl-scroll" data-testid="timeline" tabindex="0"><div id="tl-spacer" class="tl-spacer"><div id="tl-win" class="tl-win"></div></div></div>
<section id="detail" class="detail" data-testid="detail"><p class="empty">Select a row of the timeline, or a step in the agent tree, to see its messages, arguments and results.</p></section>
</section>
</main>
</div>
<noscript><p>This page shows a Baton transcript with a small inline script; allow JavaScript to see it.</p></noscript>
<script type="application/x-ndjson" id="baton-data">`,
    dataLine(header),
  ]
  const file = transcript.path || options.source || '<transcript>'
  const maxLength = options.maxLength ?? MAX_PAGE_LENGTH
  let length = parts[0]!.length + parts[1]!.length + 4096
  events.forEach((event, i) => {
    checkNesting(event.path, file, i + 2)
    const tooBig = () =>
      new BatonError(
        'TRANSCRIPT',
        `${file}: too big for one page: by line ${i + 2} the page is past ${megabytes(maxLength)} (every "<" in it takes six characters, \\u003c), more than a browser can hold in one string; view a shorter transcript`,
        { details: { path: file, line: i + 2 } },
      )
    let line: string
    try {
      line = dataLine(event)
    } catch (error) {
      // One line too long for a string by itself.
      if (error instanceof RangeError && /string length/i.test(error.message)) throw tooBig()
      throw error
    }
    length += line.length + 1
    // Checked as it grows: a transcript too big for one string fails here, saying so, not with
    // "Invalid string length" after minutes of work.
    if (length > maxLength) throw tooBig()
    parts.push('\n', line)
  })
  parts.push(
    `</script>
<script type="application/json" id="baton-meta">${dataLine(meta)}</script>
<script>${VIEWER_SCRIPT}</script>
</body>
</html>
`,
  )
  return parts.join('')
}

/**
 * One JSON line that is safe inside a script element: `<` only occurs in JSON strings, and
 * `\u003c` is the same string to a JSON parser, so `</script>` and `<!--` cannot appear.
 */
function dataLine(value: unknown): string {
  return safeStringify(value).replace(/</g, '\\u003c')
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

/**
 * How many sub-agents deep a step key may nest. Baton's own are as deep as the agent tree (a
 * handful); the page nests a tree node per level, and Chromium's renderer crashes laying out an
 * agent about 1,000 deep (500 is fine): 200 leaves room.
 */
const MAX_AGENT_NESTING = 200

function checkNesting(path: unknown, file: string, line: number): void {
  if (typeof path !== 'string') return
  let agents = 0
  for (let at = path.indexOf('/agent:'); at >= 0; at = path.indexOf('/agent:', at + 7)) agents++
  if (agents > MAX_AGENT_NESTING)
    throw new BatonError(
      'TRANSCRIPT',
      `${file}:${line}: the step key nests ${agents.toLocaleString('en-US')} sub-agents deep, more than the ${MAX_AGENT_NESTING.toLocaleString('en-US')} a transcript may have; the transcript is damaged at line ${line}: repair that line or record the run again`,
      { details: { path: file, line } },
    )
}

function megabytes(chars: number): string {
  return `${Math.floor(chars / 2 ** 20).toLocaleString('en-US')} MB`
}

/** Bidirectional controls written out as their code points, as the viewer shows them. */
function shownText(text: string): string {
  return text.replace(
    /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\u27e8U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}\u27e9`,
  )
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim()
  if (line.length <= max) return line
  // Not between the two halves of a surrogate pair (an emoji): half of one is not a character.
  const cut = /[\ud800-\udbff]/.test(line.charAt(max - 2)) ? max - 2 : max - 1
  return `${line.slice(0, cut)}…`
}
