/**
 * The layers every model call, tool call and event of a run passes through build no object
 * literal that starts with a spread and goes on with fields (`{ ...event, seq }`): on Node 20
 * such a literal costs about 1.5 µs, ten times a copy made with `withFields` (src/objects.ts).
 * Conditional spreads of small literals (`...(x ? { x } : {})`) are left alone.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const LAYERS = [
  'loop',
  'run',
  'transcript',
  'routing',
  'budget',
  'tool',
  'replay',
  'limits',
  'plan',
  'context',
]

/** The places in `text` where a literal starts with a spread of a value and then has fields. */
function spreadThenFields(text: string): number[] {
  const lines: number[] = []
  const start = /(?:[({[,:=?>]|\breturn|\byield)\s*\{\s*\.\.\.(?!\()/g
  for (let match = start.exec(text); match; match = start.exec(text)) {
    let i = match.index + match[0].length
    let depth = 0
    for (; i < text.length; i++) {
      const c = text[i]!
      if ('([{'.includes(c)) depth++
      else if (')]}'.includes(c)) {
        if (depth === 0) break
        depth--
      } else if (c === ',' && depth === 0) break
    }
    if (text[i] !== ',') continue
    if (
      text
        .slice(i + 1)
        .trimStart()
        .startsWith('}')
    )
      continue
    lines.push(text.slice(0, match.index).split('\n').length)
  }
  return lines
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

describe('object literals on the run path', () => {
  it('finds the slow shape, and only it', () => {
    expect(spreadThenFields('const a = { ...event, seq: 1 }')).toEqual([1])
    expect(spreadThenFields('x\nreturn {\n  ...response,\n  usage,\n}')).toEqual([2])
    expect(spreadThenFields('f({ ...a.b, ...c })')).toEqual([1])
    expect(spreadThenFields('const a = { ...event }')).toEqual([])
    expect(spreadThenFields('const a = { seq: 1, ...event }')).toEqual([])
    expect(spreadThenFields('const a = { ...(x ? { x } : {}), y }')).toEqual([])
    expect(spreadThenFields('const a = withFields(event, { seq: 1 })')).toEqual([])
  })

  it('has none in the layers a run passes through', () => {
    const found = LAYERS.flatMap((layer) =>
      sources(join(ROOT, 'src', layer)).flatMap((file) =>
        spreadThenFields(readFileSync(file, 'utf8')).map((line) => `${relative(ROOT, file)}:${line}`),
      ),
    )
    expect(found, 'use withFields(base, { … }) from src/objects.ts').toEqual([])
  })
})
