/**
 * Reading a file a user named (a transcript, a report, a key, a prices or prompt file): a device
 * such as /dev/zero never ends, so reading it whole would never return; it is refused at once.
 */
import { readFileSync, statSync } from 'node:fs'

/** The text of the file at `path` (UTF-8); throws `EDEVICE` for a device, else the system's error. */
export function readTextFile(path: string | URL): string {
  const stats = statSync(path, { throwIfNoEntry: false })
  if (stats && (stats.isCharacterDevice() || stats.isBlockDevice()))
    throw Object.assign(new Error('it is a device, not a file'), { code: 'EDEVICE' })
  return readFileSync(path, 'utf8')
}

/** What went wrong reading a file, in a few words: "no such file", "it is a directory"... */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EISDIR') return 'it is a directory'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'EDEVICE') return 'it is a device, not a file'
  return String((error as Error).message ?? error)
    .replace(/\s+/g, ' ')
    .trim()
}
