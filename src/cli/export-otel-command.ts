/**
 * `baton export-otel <transcript>…`: recorded runs (from CI, from an eval, exported from the
 * durable runs) sent as OpenTelemetry traces with their original timing, over OTLP/HTTP where
 * the `OTEL_EXPORTER_OTLP_*` variables say.
 */
import { BatonError } from '../errors/index.js'
import { UsageError } from './args.js'
import { endOtel, startOtel } from './otel-flag.js'

export interface ExportOtelArgs {
  transcripts: string[]
  /** `--content`: message contents on the spans, redacted as the transcript is. */
  content: boolean
  debug: boolean
}

/** Parses `baton export-otel <transcript>… [--content] [--debug]`. */
export function parseExportOtelArgs(argv: readonly string[]): ExportOtelArgs {
  const args: ExportOtelArgs = { transcripts: [], content: false, debug: false }
  for (const arg of argv) {
    if (arg === '--content') args.content = true
    else if (arg === '--debug') args.debug = true
    else if (arg.startsWith('-') && arg !== '-')
      throw new UsageError(`unknown flag ${arg} for "baton export-otel"; expected --content or --debug`)
    else args.transcripts.push(arg)
  }
  if (args.transcripts.length === 0)
    throw new UsageError('missing the transcript to send: baton export-otel <transcript.jsonl>…')
  return args
}

interface Output {
  write(text: string): unknown
}

/** Sends each transcript as a trace; 0 when every span was sent, 1 when some could not be. */
export async function exportOtelCommand(
  args: ExportOtelArgs,
  io: { out: Output; err: Output; env: Readonly<Record<string, string | undefined>> },
): Promise<number> {
  const [{ readTranscript }, { traceTranscript }] = await Promise.all([
    import('../transcript/index.js'),
    import('../otel/trace.js'),
  ])
  // Every file is read before anything is sent: a bad one is named, and nothing half-sent.
  const transcripts = args.transcripts.map((path) => {
    try {
      return readTranscript(path)
    } catch (error) {
      if (error instanceof BatonError) throw new UsageError(error.message, { cause: error })
      throw error
    }
  })
  const otel = await startOtel(io.env)
  for (const transcript of transcripts) {
    await traceTranscript(transcript, otel.tracer, { content: args.content || undefined })
    const { header, events } = transcript
    const end = events.findLast((event) => event.type === 'run.end')
    io.out.write(
      `${transcript.path}: run ${header.runId} (${header.agent.name}, ${end ? end.status : 'unfinished'})\n`,
    )
  }
  return (await endOtel(otel, io.err)) ? 0 : 1
}

export const EXPORT_OTEL_HELP = `baton export-otel — recorded runs as OpenTelemetry traces

Usage:
  baton export-otel <transcript.jsonl>… [--content]

Sends each transcript as one trace after the OpenTelemetry GenAI conventions (invoke_agent,
chat and execute_tool spans), with the timing the run had, to the OTLP/HTTP endpoint the
standard variables name: OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318),
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME. The spans
are those the run would have made live with a tracer. An unfinished transcript (a crashed
run) gives the spans of what it recorded, ended where it stops.

Flags:
  --content  put message contents on the spans (prompts, answers, tool arguments and results),
             redacted as the transcript is; also OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
  --debug    show stack traces

Examples:
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 baton export-otel runs/*.jsonl

Exit codes: 0 every span was sent, 1 some could not be, 2 usage error (a file that is not a
transcript).
`
