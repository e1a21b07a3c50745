import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { EVAL_HELP, REPLAY_HELP, RUN_HELP } from '../src/cli/help.js'

const root = new URL('../', import.meta.url)
const pages = ['README.md', ...readdirSync(new URL('docs/', root)).map((name) => `docs/${name}`)].filter(
  (page) => page.endsWith('.md'),
)

/** Each command's `--help`, as `baton <command> --help` prints it. */
async function helpTexts(): Promise<Record<string, string>> {
  return {
    run: RUN_HELP,
    replay: REPLAY_HELP,
    eval: EVAL_HELP,
    view: (await import('../src/cli/view-command.js')).VIEW_HELP,
    worker: (await import('../src/cli/worker-command.js')).WORKER_HELP,
    runs: (await import('../src/cli/runs-command.js')).RUNS_HELP,
    'export-otel': (await import('../src/cli/export-otel-command.js')).EXPORT_OTEL_HELP,
    verify: (await import('../src/cli/verify-command.js')).VERIFY_HELP,
    mcp: (await import('../src/cli/mcp-command.js')).MCP_HELP,
  }
}

/** The code of a page, by line: whole lines in code blocks, code spans elsewhere. */
function codeOf(markdown: string): { code: string; line: number }[] {
  const code: { code: string; line: number }[] = []
  let inBlock = false
  markdown.split('\n').forEach((text, index) => {
    if (/^\s*```/.test(text)) inBlock = !inBlock
    else if (inBlock) code.push({ code: text, line: index + 1 })
    else for (const [, span] of text.matchAll(/`([^`]+)`/g)) code.push({ code: span!, line: index + 1 })
  })
  return code
}

/** Each `baton <command> …` the pages write as code, with its flags (up to the next command). */
function documentedUses(): { command: string; flags: string[]; at: string }[] {
  const uses: { command: string; flags: string[]; at: string }[] = []
  for (const page of pages)
    for (const { code, line } of codeOf(readFileSync(new URL(page, root), 'utf8'))) {
      // Every "baton <word>" bounds the flags of the one before. Only those where a command
      // starts (the code's start, after npx, a prompt, && or ;) are commands, not prose in a message.
      const found = [...code.matchAll(/\bbaton ([a-z][a-z-]*)/g)]
      found.forEach((match, i) => {
        if (!/(^\s*|npx |\$ |&& |; )$/.test(code.slice(0, match.index))) return
        const use = code.slice(match.index, found[i + 1]?.index)
        const flags = [...use.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)].map((m) => m[1]!)
        uses.push({ command: match[1]!, flags, at: `${page}:${line}` })
      })
    }
  return uses
}

describe('the commands and flags the README and docs/ use', () => {
  it('exist: each flag is one its command documents in --help', async () => {
    const help = await helpTexts()
    const uses = documentedUses()
    expect(uses.filter((use) => use.flags.length).length).toBeGreaterThan(40)
    const wrong = uses.flatMap(({ command, flags, at }) =>
      flags
        .filter((flag) => flag !== '--help' && !help[command]?.includes(flag))
        .map((flag) => `${at}: baton ${command} ${flag}`),
    )
    expect(wrong).toEqual([])
  })

  it('name only commands that exist', () => {
    const commands = new Set([
      'run',
      'replay',
      'eval',
      'view',
      'worker',
      'runs',
      'export-otel',
      'verify',
      'mcp',
      'help',
    ])
    const unknown = documentedUses().filter(({ command }) => !commands.has(command))
    expect(unknown.map(({ command, at }) => `${at}: baton ${command}`)).toEqual([])
  })
})

describe('the help texts', () => {
  it('name only flags that some command lists under its flags', async () => {
    const help = await helpTexts()
    // A flag a command offers is in its usage lines, or starts a line of its flag list.
    const offered = new Set(['--help', '--version'])
    for (const text of Object.values(help)) {
      const usage = /Usage:\n([\s\S]*?)\n\n/.exec(text)?.[1] ?? ''
      for (const [, flag] of usage.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)) offered.add(flag!)
      for (const [, flag] of text.matchAll(/^\s+(--[a-z][a-z-]*)/gm)) offered.add(flag!)
    }
    const unknown = Object.entries(help).flatMap(([command, text]) =>
      [...text.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)]
        .map((m) => m[1]!)
        .filter((flag) => !offered.has(flag))
        .map((flag) => `baton ${command} --help: ${flag}`),
    )
    expect(unknown).toEqual([])
  })
})
