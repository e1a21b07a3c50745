import type { FileHandle } from 'node:fs/promises'

/** One line of a file, without its newline. `cut` when the line was longer than the limit. */
export interface Line {
  number: number
  text: string
  cut: boolean
}

const CHUNK = 64 * 1024

/**
 * The lines of an open file, read in chunks and handed over a chunk's worth at a time (a file of
 * millions of empty lines would otherwise cost one await per line), holding at most
 * `maxLineBytes` of any one line (the rest of a longer line is skipped), so a huge one-line file
 * cannot fill memory. Reading stops after `maxBytes` in all, whatever the file's size said (it
 * may grow as it is read).
 */
export async function* readLines(
  handle: FileHandle,
  maxLineBytes: number,
  maxBytes = Number.POSITIVE_INFINITY,
): AsyncGenerator<Line[]> {
  const buffer = Buffer.alloc(CHUNK)
  let pending: Buffer[] = []
  let pendingBytes = 0
  let cut = false
  let number = 1
  const line = (): Line => {
    const text = Buffer.concat(pending).toString('utf8')
    const done = { number: number++, text, cut }
    pending = []
    pendingBytes = 0
    cut = false
    return done
  }
  for (let left = maxBytes; left > 0; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, left), null)
    if (bytesRead === 0) break
    left -= bytesRead
    const lines: Line[] = []
    let start = 0
    while (start < bytesRead) {
      const newline = buffer.indexOf(10, start)
      const end = newline === -1 || newline >= bytesRead ? bytesRead : newline
      const room = maxLineBytes - pendingBytes
      const take = Math.min(room, end - start)
      if (end - start > room) cut = true
      if (end < bytesRead && pending.length === 0) {
        // A line whole within this chunk, the common case: decoded in place, nothing copied.
        lines.push({ number: number++, text: buffer.toString('utf8', start, start + take), cut })
        cut = false
        start = end + 1
        continue
      }
      if (take > 0) {
        // Copied: the buffer is reused for the next chunk.
        pending.push(Buffer.from(buffer.subarray(start, start + take)))
        pendingBytes += take
      }
      if (end === bytesRead) break
      lines.push(line())
      start = end + 1
    }
    if (lines.length) yield lines
  }
  if (pendingBytes > 0 || cut) yield [line()]
}
