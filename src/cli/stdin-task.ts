import { UsageError } from './usage-error.js'

/** More than any task a model takes; past it the input is almost surely the wrong file. */
const MAX_TASK_BYTES = 1 << 20

/**
 * `baton run agent.ts -`: the task is standard input, read to its end (`echo "…" | baton run
 * agent.ts -`), without the newline that ends it.
 */
export async function taskFromStdin(input: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    bytes += buffer.length
    if (bytes > MAX_TASK_BYTES)
      throw new UsageError(`the task on standard input is over ${MAX_TASK_BYTES} bytes; give a shorter one`)
    chunks.push(buffer)
  }
  const task = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
  if (task.trim() === '') throw new UsageError('the task on standard input ("-") is empty')
  return task
}
