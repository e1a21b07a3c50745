import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readSync,
  type Stats,
  statSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { UsageError } from './usage-error.js'

/**
 * A `--record` path, refused at once (before the run, which would otherwise lose its transcript
 * or someone's file) when it is empty, names a directory, lies under a file or a directory that
 * cannot be written, or names an existing file that is not a transcript (it would be overwritten).
 */
export function recordFile(path: string): string {
  if (path.trim() === '') throw new UsageError('--record needs a file path, e.g. --record runs/x.jsonl')
  let stats: Stats | undefined
  try {
    stats = statSync(path, { throwIfNoEntry: false })
  } catch {
    // Not a place a file can be made (a file on the way, say): found below.
  }
  if (stats?.isDirectory())
    throw new UsageError(
      `--record ${path}: it is a directory; give the transcript's file path, e.g. --record ${join(path, 'run.jsonl')}`,
    )
  if (stats?.isFile()) {
    if (stats.size > 0 && !startsAsTranscript(path))
      throw new UsageError(
        `--record ${path}: the file exists and is not a Baton transcript, so it would be overwritten; choose another path, or delete it first`,
      )
    if (!writable(path))
      throw new UsageError(`--record ${path}: the file cannot be written (permission denied)`)
    return path
  }
  if (stats) return path
  // The file is made, with the folders it needs, in the nearest folder that exists.
  let dir = dirname(resolve(path))
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir)
  if (!statSync(dir).isDirectory())
    throw new UsageError(`--record ${path}: ${dir} is a file, not a directory; choose another path`)
  if (!writable(dir)) throw new UsageError(`--record ${path}: cannot write in ${dir} (permission denied)`)
  return path
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** Whether the file starts with a transcript's header line. */
function startsAsTranscript(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const start = Buffer.alloc(64)
    const read = readSync(fd, start, 0, start.length, 0)
    return /^\s*\{\s*"type"\s*:\s*"header"/.test(start.subarray(0, read).toString('utf8'))
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
