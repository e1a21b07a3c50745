import type { FileHandle } from 'node:fs/promises'

/** One line of a file, without its newline. `cut` when the line was longer than the limit. */
export interface Line {
  number: number
  text: string
  cut: boolean
}

const CHUNK = 64 * 1024

/**
 * The lines of an open file, read in chunks, holding at most `maxLineBytes` of any one line
 * (the rest of a longer line is skipped), so a huge one-line file cannot fill memory.
 */
export async function* readLines(handle: FileHandle, maxLineBytes: number): AsyncGenerator<Line> {
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
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, CHUNK, null)
    if (bytesRead === 0) break
    let start = 0
    while (start < bytesRead) {
      const newline = buffer.indexOf(10, start)
      const end = newline === -1 || newline >= bytesRead ? bytesRead : newline
      const room = maxLineBytes - pendingBytes
      if (end - start > room) cut = true
      if (room > 0) {
        // Copied: the buffer is reused for the next chunk.
        pending.push(Buffer.from(buffer.subarray(start, start + Math.min(room, end - start))))
        pendingBytes += Math.min(room, end - start)
      }
      if (end === bytesRead) break
      yield line()
      start = end + 1
    }
  }
  if (pendingBytes > 0 || cut) yield line()
}
