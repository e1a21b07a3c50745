/** The links of a Markdown file that stay inside its package, and the anchors its headings make. */

export interface MarkdownLink {
  /** As written: `docs/cli.md`, `#evals`, `transcript.md#secrets`. */
  target: string
  line: number
}

const FENCE = /^\s*(```|~~~)/

/** Lines outside fenced code blocks, with inline code taken out (code is not a link). */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = []
  let inFence = false
  markdown.split('\n').forEach((text, index) => {
    if (FENCE.test(text)) inFence = !inFence
    else if (!inFence) lines.push({ text: text.replace(/`[^`]*`/g, ''), line: index + 1 })
  })
  return lines
}

/** Inline links, images and reference definitions whose target has no scheme (not http:, mailto:, …). */
export function relativeLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = []
  for (const { text, line } of proseLines(markdown)) {
    const targets = [
      ...[...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
      ...[...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]!),
    ]
    for (const target of targets) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('//')) links.push({ target, line })
    }
  }
  return links
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor the file's headings make (a repeated heading gets `-1`, `-2`, … as on GitHub). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const found = new Set<string>()
  let inFence = false
  for (const text of markdown.split('\n')) {
    if (FENCE.test(text)) inFence = !inFence
    const heading = inFence ? undefined : /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1]
    if (heading === undefined) continue
    const base = slug(heading)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    found.add(count === 0 ? base : `${base}-${count}`)
  }
  return found
}
