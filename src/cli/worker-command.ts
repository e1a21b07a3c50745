/**
 * `baton worker <agent-module>[#export]… --database <url>`: serves durable runs of those agents
 * until it is stopped (Ctrl-C or SIGTERM: its runs under way are taken over by the other workers
 * at once). Exit codes: 0 stopped, 1 declared dead by the other workers, 2 usage error.
 */
import type { Agent } from '../agent/index.js'
import type { WorkerArgs } from './args.js'
import { loadAgentModule } from './load-agent.js'

export const WORKER_HELP = `baton worker — serve durable runs from PostgreSQL

Usage:
  baton worker <agent-module>[#export]… --database <postgresql-url> [--concurrency n] [--id name]
               [--otel]

Runs the durable runs of these agents that are queued in the database (submitted with
baton run … --database or durableRuns().submit), up to --concurrency of each at once
(default 8); runs of other agents are left to the workers that serve them. A run whose worker
dies is taken over by a living worker from its last completed step. Stop it with Ctrl-C or
SIGTERM: the runs it had under way go on in another worker.

Flags:
  --database <url>     postgresql://user:password@host:port/database (or BATON_DATABASE_URL)
  --concurrency <n>    runs of each agent at once in this worker (default 8)
  --id <name>          this worker's id, unique among the workers (default a new one)
  --otel               send each run this worker ends as one OpenTelemetry trace over OTLP/HTTP
                       (sub-agents on other workers and steps of dead workers included), where
                       OTEL_EXPORTER_OTLP_ENDPOINT says (default http://localhost:4318)

Example:
  baton worker agents/research-lead.ts --database postgresql://baton@127.0.0.1/baton --concurrency 4

Exit codes: 0 stopped, 1 declared dead by the other workers (it stalled), 2 usage error.
`

export async function workerCommand(
  args: WorkerArgs,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream; signal: AbortSignal },
): Promise<number> {
  const agents: Agent[] = []
  const modules: Record<string, unknown>[] = []
  for (const target of args.targets) {
    const loaded = await loadAgentModule(target.module, target.exportName)
    agents.push(loaded.agent)
    modules.push(loaded.module)
  }
  // The OpenTelemetry packages load only with --otel.
  const otel = args.otel ? await (await import('../otel/setup.js')).setupTracing() : undefined
  if (otel) io.err.write(`baton worker: traces of the runs it ends go to ${otel.destination}\n`)
  const { durableRuns } = await import('../durable/index.js')
  const runs = await durableRuns({ database: args.database, agents })
  let exitCode = 0
  let stop: () => void = () => {}
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  io.signal.addEventListener('abort', () => stop(), { once: true })
  process.once('SIGTERM', () => stop())
  const serving = runs.serve({
    ...(args.concurrency ? { concurrency: args.concurrency } : {}),
    ...(args.id ? { executorId: args.id } : {}),
    ...(otel ? { tracer: otel.tracer } : {}),
    // Declared dead by the other workers (it stalled): its runs are theirs now, so it leaves.
    onDeclaredDead: (error) => {
      io.err.write(`baton: ${error.message}\n`)
      exitCode = 1
      stop()
    },
  })
  const { executorId } = await serving
  const names = agents.map((agent) => agent.name).join(', ')
  io.out.write(
    `baton worker ${executorId} (pid ${process.pid}): serving ${names} (up to ${args.concurrency ?? 8} runs${agents.length > 1 ? ' of each' : ''} at once); Ctrl-C stops it\n`,
  )
  await stopped
  try {
    await runs.close()
  } finally {
    // The spans still waiting for their batch go now, or never; then a line says where they went.
    if (otel) await (await import('./otel-flag.js')).endOtel(otel, io.err)
  }
  for (const module of modules) {
    if (typeof module.close === 'function') await (module.close as () => unknown)()
  }
  return exitCode
}
