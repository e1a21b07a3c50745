import { readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anchors, relativeLinks } from './markdown-links.js'
import { type Packed, packFreshCopy } from './package-pack.js'

// What `npm pack` makes from a fresh clone (no dist/): the package a new user installs.
let packed: Packed

beforeAll(async () => {
  packed = await packFreshCopy()
}, 300_000)

afterAll(() => packed?.dispose())

const read = (file: string) => readFileSync(join(packed.root, file), 'utf8')
const has = (file: string) => packed.files.includes(file)
const hasDir = (dir: string) => packed.files.some((file) => file.startsWith(`${dir}/`))

describe('the packed tarball', () => {
  it('is built by prepack from a clone with no dist/', () => {
    expect(packed.hadDist).toBe(false)
    for (const file of ['dist/index.js', 'dist/cli/main.js', 'dist/testing/index.js', 'dist/tools/index.js'])
      expect(packed.files, file).toContain(file)
  })

  it('holds every file package.json points at (exports, types, bin), and the bin is a Node script', () => {
    const pkg = JSON.parse(read('package.json'))
    const targets: string[] = [...Object.values<string>(pkg.bin)]
    for (const entry of Object.values<string | Record<string, string>>(pkg.exports))
      targets.push(...(typeof entry === 'string' ? [entry] : Object.values(entry)))
    expect(targets.length).toBeGreaterThan(6)
    for (const target of targets) expect(packed.files, target).toContain(posix.normalize(target))
    expect(read(posix.normalize(pkg.bin.baton)).startsWith('#!/usr/bin/env node')).toBe(true)
  })

  it('ships the MIT licence package.json declares', () => {
    expect(JSON.parse(read('package.json')).license).toBe('MIT')
    const licence = read('LICENSE')
    expect(licence).toMatch(/^MIT License/)
    expect(licence).toContain('Copyright (c) 2026 the Baton authors')
    expect(licence).toContain('THE SOFTWARE IS PROVIDED "AS IS"')
  })

  it('resolves every relative link and anchor of every Markdown file it ships', () => {
    const markdown = packed.files.filter((file) => file.endsWith('.md'))
    expect(markdown).toEqual(expect.arrayContaining(['README.md', 'docs/cli.md', 'docs/transcript.md']))
    const broken: string[] = []
    let checked = 0
    for (const file of markdown) {
      for (const { target, line } of relativeLinks(read(file))) {
        checked++
        const [path = '', hash] = target.split('#')
        const resolved = path ? posix.normalize(posix.join(posix.dirname(file), decodeURI(path))) : file
        const to = resolved.replace(/\/$/, '')
        if (to.startsWith('..') || !(has(to) || hasDir(to))) broken.push(`${file}:${line} ${target}`)
        else if (hash && to.endsWith('.md') && !anchors(read(to)).has(hash))
          broken.push(`${file}:${line} ${target} (no such heading)`)
      }
    }
    expect(checked).toBeGreaterThan(20)
    expect(broken).toEqual([])
  })

  it('ships the sources its source maps name, so stack traces and editors reach readable TypeScript', () => {
    const maps = packed.files.filter((file) => file.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(40)
    const missing: string[] = []
    for (const file of maps) {
      const map = JSON.parse(read(file)) as {
        sources: string[]
        sourceRoot?: string
        sourcesContent?: unknown[]
      }
      map.sources.forEach((source, i) => {
        if (typeof map.sourcesContent?.[i] === 'string') return
        const resolved = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source))
        if (!has(resolved)) missing.push(`${file} -> ${source}`)
      })
    }
    // A stale build file (its source deleted) would show up here too: prepack starts from a clean dist/.
    expect(missing).toEqual([])
    const scripts = packed.files.filter((file) => file.endsWith('.js'))
    const unmapped = scripts.filter((file) => !has(`${file}.map`))
    expect(unmapped).toEqual([])
  })

  it('leaves out tests, and keeps the examples, evals and docs the README talks about', () => {
    expect(packed.files.filter((file) => /\.test\.[cm]?[jt]s$/.test(file))).toEqual([])
    for (const dir of ['src', 'tools', 'docs', 'agents', 'agents/recordings', 'evals/cassettes', 'prompts'])
      expect(hasDir(dir), dir).toBe(true)
    // Size matters a little: everything above (sources, maps, docs, recordings) fits in a
    // megabyte and a quarter compressed; no test, fixture or build leftover is in it (above).
    expect(packed.size).toBeLessThan(1.25 * 1024 * 1024)
  })
})
