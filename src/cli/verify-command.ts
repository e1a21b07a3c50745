/**
 * `baton verify <transcript> [--key <public key>] [--json]`: checks a transcript's hash chain,
 * and its signatures given the key, and says in one line that it is intact or where it was
 * changed. Exit 0 intact (a run cut short is intact up to its last whole line), 1 changed, not
 * chained, or not signed by the key; 2 not a transcript.
 */
import { fileProblem } from '../files/read-text.js'
import { didYouMean, UsageError } from './args.js'

export interface VerifyArgs {
  transcript: string
  /** A public key: a PEM file, PEM text, or the SPKI in base64 a transcript's header shows. */
  key: string | undefined
  json: boolean
}

/** Parses `baton verify <transcript> [--key <public key>] [--json]`. */
export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
  const files: string[] = []
  let key: string | undefined
  let json = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      files.push(...argv.slice(i + 1))
      break
    }
    if (arg === '--json') json = true
    else if (arg === '--key' || arg.startsWith('--key=')) {
      key = arg === '--key' ? argv[++i] : arg.slice('--key='.length)
      if (!key) throw new UsageError('--key needs a public key: a PEM file, e.g. --key signing.pub.pem')
    } else if (arg.startsWith('-'))
      throw new UsageError(
        `unknown flag ${arg} for "baton verify"; expected --key or --json${didYouMean(arg, ['--key', '--json']) ?? ''}`,
      )
    else files.push(arg)
  }
  if (files.length !== 1)
    throw new UsageError(
      files.length === 0
        ? 'missing the transcript to verify: baton verify <transcript.jsonl> [--key <public key>]'
        : `baton verify checks one transcript at a time, got ${files.length}`,
    )
  return { transcript: files[0]!, key, json }
}

interface Output {
  write(text: string): unknown
}

export async function verifyCommand(args: VerifyArgs, io: { out: Output }): Promise<number> {
  const { NotATranscript, TranscriptUnreadable, trustedKey, verifyTranscriptFile } = await import(
    '../transcript/verify.js'
  )
  let publicKey: ReturnType<typeof trustedKey>
  try {
    publicKey = trustedKey(args.key, '--key')
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  try {
    // Read a piece at a time: a long run's transcript can be larger than a string can hold.
    const report = verifyTranscriptFile(args.transcript, publicKey ? { publicKey } : {})
    io.out.write(args.json ? `${JSON.stringify(report)}\n` : `${args.transcript}: ${report.message}\n`)
    return report.intact && report.chained ? 0 : 1
  } catch (error) {
    if (error instanceof TranscriptUnreadable)
      throw new UsageError(`${args.transcript}: cannot read the transcript: ${fileProblem(error.cause)}`)
    if (error instanceof NotATranscript)
      throw new UsageError(`${args.transcript}: not a Baton transcript: ${error.message}`)
    throw error
  }
}

export const VERIFY_HELP = `baton verify — check that a transcript is the one its run wrote

Usage:
  baton verify <transcript.jsonl> [--key <public key>] [--json]

Every line of a transcript carries a digest chained over the line before it; the last line of a
finished run carries the digest of the whole run. verify recomputes the chain and prints one
line: intact (events, agents, the run's digest, who signed it), or the first line that was
edited, deleted, inserted, moved or appended after the run's end. A transcript cut short by a
crash is intact up to its last whole line, and said to be unfinished.

A run recorded with a signing key (the sign run option, or BATON_SIGNING_KEY for baton run and
baton worker) has its digest signed at each write. With --key, the signatures are checked against that Ed25519
public key (a PEM file, PEM text, or the base64 key a transcript's header shows).

Flags:
  --key <public key>  check the signatures with this key (a run not signed by it fails)
  --json              print the whole report as JSON

Exit codes: 0 intact, 1 changed, not chained (written before chains) or not signed by the key,
2 not a transcript.
`
