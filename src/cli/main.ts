#!/usr/bin/env node
/**
 * @module cli
 * `baton run <agent-module>[#export] "<task>"`. Exit codes: 0 done, 1 the run ended without
 * success, 2 usage error.
 */
import { BatonError } from '../errors/index.js'
import { stream } from '../run/index.js'
import { HELP, parseRunArgs, UsageError } from './args.js'
import { loadAgent } from './load-agent.js'
import { formatEvent, formatResult } from './print-events.js'

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP)
    return command === undefined ? 2 : 0
  }
  if (command !== 'run')
    throw new UsageError(`unknown command "${command}"; expected "run" (see baton --help)`)
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP)
    return 0
  }
  const args = parseRunArgs(rest)
  const agent = await loadAgent(args.module, args.exportName)
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  const events = stream(agent, args.task, {
    signal: controller.signal,
    budget: args.budget,
    ...(args.record ? { record: args.record } : {}),
    ...(args.model ? { model: args.model } : {}),
  })
  for await (const event of events) {
    if (args.json) continue
    const line = formatEvent(event)
    if (line !== undefined) process.stdout.write(`${line}\n`)
  }
  const result = await events.result
  process.stdout.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatResult(result)}\n`)
  return result.status === 'done' ? 0 : 1
}

const debug = process.argv.includes('--debug')
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const usage = error instanceof UsageError || (error instanceof BatonError && error.code !== 'INTERNAL')
    process.stderr.write(`baton: ${(error as Error).message}\n`)
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`)
    process.exitCode = usage ? 2 : 1
  },
)
