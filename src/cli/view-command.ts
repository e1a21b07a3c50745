/**
 * `baton view <transcript | report.json> [--out <file.html>]`: writes one self-contained HTML
 * page for a transcript or an eval report and prints its path.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { BatonError } from '../errors/index.js'
import { readViewInput, renderViewHtml } from '../view/index.js'
import { didYouMean, UsageError } from './args.js'
import { isViewPage, replaceFile, sameFile } from './page-file.js'

export interface ViewArgs {
  /** The transcript (JSONL) or eval report (JSON) to show. */
  input: string
  /** Where to write the page; undefined: next to the input, with the extension `.html`. */
  out: string | undefined
  debug: boolean
}

/** Parses `baton view <file> [--out <file.html>] [--debug]`. */
export function parseViewArgs(argv: readonly string[]): ViewArgs {
  let out: string | undefined
  let debug = false
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    if (flag === '--debug') debug = true
    else if (flag === '--out' || flag === '-o') {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
      if (value === undefined || value.trim() === '' || (eq < 0 && value.startsWith('--')))
        throw new UsageError(`${flag} needs a file path: baton view <transcript> --out <file.html>`)
      out = value
    } else if (flag.startsWith('-') && flag !== '-')
      throw new UsageError(
        `unknown flag ${flag} for "baton view"; expected --out <file.html> or --debug${didYouMean(flag, ['--out', '--debug']) ?? ''}`,
      )
    else positional.push(arg)
  }
  if (positional.length === 0)
    throw new UsageError(
      'missing the file to show: baton view <transcript.jsonl | report.json> [--out <file.html>]',
    )
  if (positional.length > 1)
    throw new UsageError(
      `too many arguments (${positional.length}); baton view shows one file: baton view ${positional[0]} [--out <file.html>]`,
    )
  return { input: positional[0]!, out, debug }
}

/** Where the page goes by default: next to the input, `.jsonl`/`.json` replaced by `.html`. */
export function defaultOutPath(input: string): string {
  return /\.(jsonl|ndjson|json)$/i.test(input)
    ? input.replace(/\.(jsonl|ndjson|json)$/i, '.html')
    : `${input}.html`
}

/** Runs `baton view`; returns the exit code. Bad input throws `UsageError` (exit 2, one line). */
export function viewCommand(args: ViewArgs, io: { out: { write(text: string): unknown } }): number {
  const out = args.out ?? defaultOutPath(args.input)
  const existing = statSync(out, { throwIfNoEntry: false })
  if (resolve(out) === resolve(args.input) || (existing && sameFile(existing, args.input)))
    throw new UsageError(
      `--out ${out} is the file being shown; write the page elsewhere, e.g. --out ${out}.html`,
    )
  if (existing?.isFile() && !isViewPage(out))
    throw new UsageError(
      `${out} already exists and is not a page baton view wrote; remove it or choose another path with --out <file.html>`,
    )
  let html: string
  try {
    html = renderViewHtml(readViewInput(args.input), { source: basename(args.input) })
  } catch (error) {
    if (error instanceof BatonError) throw new UsageError(error.message, { cause: error })
    throw error
  }
  try {
    mkdirSync(dirname(resolve(out)), { recursive: true })
    // A device or a pipe (--out /dev/stdout) is written as it is; a file is replaced whole.
    if (existing && !existing.isFile()) writeFileSync(out, html)
    else replaceFile(out, html)
  } catch (error) {
    throw new UsageError(
      `cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; choose another path with --out <file.html>`,
      { cause: error },
    )
  }
  io.out.write(`${out}\n`)
  return 0
}

export const VIEW_HELP = `baton view — a transcript or an eval report as one HTML page

Usage:
  baton view <transcript.jsonl | report.json> [--out <file.html>]

Writes one self-contained HTML file (it fetches nothing when opened) and prints its path.
For a transcript: the run's status, stop reason and error at the top; the budget used against
its limits; the agent tree (expand a sub-agent to see its steps, tool calls and results); a
timeline of every model call, tool call, memory write and check; and, for the row you select,
the messages sent, the response (text, tool calls, reasoning), tool arguments and results, and
memory writes with who wrote them. Large transcripts stay quick: rows are drawn as they
scroll into view and details are read when asked for.
For an eval report (baton eval --json <file>): the report's tables.

Flags:
  --out <file.html>  where to write the page (default: the input with .html for .jsonl/.json)
  --debug            show stack traces

It replaces only a page baton view wrote before: any other file at that path is left alone.

Exit codes: 0 the page was written, 2 usage error (a missing file, a file that is not a
transcript or an eval report, a bad flag, another file where the page would go).
`
