/**
 * Text for a terminal: text from the run made safe to print (no escape sequence, no control
 * character, on one line), widths counted in terminal cells (wide and combining characters), and
 * lines of styled segments cut to a width and painted with ANSI colors.
 */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan'
const CODES: Record<Style, string> = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' }

export interface Segment {
  text: string
  style?: Style
}

/** Terminal escape sequences (CSI, OSC) and control characters in text from the run. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const CSI = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const OSC = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\s]+/g

/**
 * Text from the run (names, briefs, tool results, errors) on one line, with no escape sequence or
 * control character left to move the cursor or change colors.
 */
export function oneLine(text: string): string {
  return text.replace(CSI, '').replace(OSC, '').replace(CONTROLS, ' ').trim()
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/**
 * Text that may span lines (a run's answer, an error message) made safe to print: escape
 * sequences and control characters are removed, line breaks and tabs are kept.
 */
export function terminalText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CSI, '').replace(OSC, '').replace(CONTROLS_BUT_LINES, '')
}

/** The text cut to `max` characters, with `…` where it was cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** Terminal cells of a code point: 0 for combining marks, 2 for wide (East Asian, emoji), else 1. */
export function cellWidth(code: number): number {
  if (
    (code >= 0x300 && code <= 0x36f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0x1ab0 && code <= 0x1aff) ||
    (code >= 0x20d0 && code <= 0x20ff)
  )
    return 0
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  )
    return 2
  return 1
}

/** Terminal cells of a string. */
export function textWidth(text: string): number {
  let width = 0
  for (const char of text) width += cellWidth(char.codePointAt(0)!)
  return width
}

/** The segments cut to `width` cells, with `…` where they were cut. */
export function cut(line: Segment[], width: number): Segment[] {
  if (line.reduce((sum, segment) => sum + textWidth(segment.text), 0) <= width) return line
  const out: Segment[] = []
  let left = width - 1
  for (const segment of line) {
    let text = ''
    for (const char of segment.text) {
      const w = cellWidth(char.codePointAt(0)!)
      if (w > left) break
      text += char
      left -= w
    }
    out.push({ ...segment, text })
    if (text.length < segment.text.length) break
  }
  out.push({ text: '…', style: 'dim' })
  return out
}

/** The segments as a string, with ANSI colors when `color`. */
export function paint(line: Segment[], color: boolean): string {
  return line
    .map(({ text, style }) => (color && style && text ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text))
    .join('')
}
