/**
 * The suite's split: a test file that starts a process, a browser or a real server belongs to the
 * e2e project (long timeouts, run after the unit tests); under the unit project's timeouts it
 * would fail on a busy machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { describe, expect, it } from 'vitest'
import config, { E2E_TIMEOUT_MS, e2eFiles } from '../vitest.config.js'

const ROOTS = ['src', 'test', 'tools', 'agents']

/** What marks a test file as end-to-end. */
const MARKERS: [string, RegExp][] = [
  ['a child process', /['"]node:child_process['"]/],
  ['a browser', /['"]playwright(-core)?['"]/],
  ['a real server', /\bcreateServer\(|\.listen\(\s*0\b/],
  ['an MCP server process', /\bmcp(Tools|Agent)\(/],
]

/** The file's own text and that of the test helpers (files under test/) it imports, transitively. */
function sourceWithLocalImports(file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return ''
  seen.add(file)
  const text = readFileSync(file, 'utf8')
  const imported = [...text.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
    normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts'))),
  )
  return [
    text,
    ...imported
      .filter((dep) => dep.startsWith('test/') && existsSync(dep))
      .map((dep) => sourceWithLocalImports(dep, seen)),
  ].join('\n')
}

function testFiles(): string[] {
  return ROOTS.flatMap((root) =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => join(root, name).replaceAll('\\', '/')),
  ).sort()
}

describe('the unit and e2e projects', () => {
  it('put every test file that starts a process, a browser or a server in e2e', () => {
    const misplaced = testFiles()
      .filter((file) => !e2eFiles.includes(file))
      .flatMap((file) => {
        const text = sourceWithLocalImports(file)
        return MARKERS.filter(([, marker]) => marker.test(text)).map(([what]) => `${file} starts ${what}`)
      })
    expect(misplaced).toEqual([])
  })

  it('list only test files that exist', () => {
    expect(e2eFiles.filter((file) => !existsSync(file))).toEqual([])
  })

  it('run unit first, then e2e with the long timeouts', () => {
    const projects = (config.test?.projects ?? []) as { test: Record<string, unknown> }[]
    const byName = Object.fromEntries(projects.map((p) => [p.test.name, p.test]))
    expect(Object.keys(byName)).toEqual(['unit', 'e2e'])
    expect(byName.unit!.exclude).toEqual(e2eFiles)
    expect(byName.e2e!.include).toEqual(e2eFiles)
    expect(byName.e2e!.testTimeout).toBe(E2E_TIMEOUT_MS)
    expect(byName.e2e!.hookTimeout).toBe(E2E_TIMEOUT_MS)
    expect((byName.unit!.sequence as { groupOrder: number }).groupOrder).toBeLessThan(
      (byName.e2e!.sequence as { groupOrder: number }).groupOrder,
    )
  })
})
