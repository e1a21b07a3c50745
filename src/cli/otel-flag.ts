/**
 * `--otel`: Baton's own tracing set-up for one command (the OTel packages load only then), and
 * the line that says where the spans went, or why they did not.
 */
import type { TracingSetup } from '../otel/setup.js'

interface Output {
  write(text: string): unknown
}

/** Sets up tracing; a missing package or a bad variable is the command's error. */
export async function startOtel(env: Readonly<Record<string, string | undefined>>): Promise<TracingSetup> {
  const { setupTracing } = await import('../otel/setup.js')
  return setupTracing({ env })
}

/** Sends what is left, then says on `err` how many spans went where (or what failed). */
export async function endOtel(setup: TracingSetup, err: Output): Promise<boolean> {
  await setup.shutdown()
  const { spans, failed, error } = setup.sent
  if (setup.destination === 'none')
    err.write('trace: not sent (OpenTelemetry is turned off by OTEL_* variables)\n')
  else if (failed > 0)
    err.write(`trace: ${failed} spans could not be sent to ${setup.destination}: ${error}\n`)
  else err.write(`trace: ${spans} spans sent to ${setup.destination}\n`)
  return failed === 0
}
