/**
 * @module view
 * `baton view`: a transcript or an eval report as one self-contained HTML file. A transcript
 * page embeds the transcript's lines and a small viewer (agent tree, timeline, model calls,
 * tool calls, memory writes, budget); it fetches nothing when opened.
 */
import { renderHtml } from '../eval/index.js'
import type { ViewInput } from './input.js'
import { renderTranscriptHtml } from './render-transcript.js'

export { REPORT_CONTENT_SECURITY_POLICY } from '../eval/html-report.js'
export { parseViewInput, readViewInput, VIEW_INPUT_HINT, type ViewInput } from './input.js'
export {
  CONTENT_SECURITY_POLICY,
  escapeHtml,
  type RenderTranscriptOptions,
  renderTranscriptHtml,
  VIEWER_SCRIPT,
} from './render-transcript.js'
export { VIEWER_CORE } from './viewer-core.js'

/**
 * The page for a transcript or an eval report (the eval report's own renderer). Both say they
 * were written by Baton (a `generator` meta tag): `baton view` replaces only such a page.
 */
export function renderViewHtml(input: ViewInput, options: { source?: string } = {}): string {
  if (input.kind === 'transcript')
    return renderTranscriptHtml(
      input.transcript,
      input.verification ? { ...options, verification: input.verification } : options,
    )
  return renderHtml(input.report)
}
