import { createHash } from 'node:crypto'
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
}

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
  const root = header.agent?.name ?? 'run'
  const task = typeof header.task === 'string' ? header.task : safeStringify(header.task)
  const title = `${root}: ${oneLine(task, 80)} · Baton`
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
<header id="hdr" class="hdr" data-testid="run-header"><h1>${escapeHtml(root)}</h1><div class="loading">Loading ${events.length} events…</div></header>
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
  for (const event of events) parts.push('\n', dataLine(event))
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

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
