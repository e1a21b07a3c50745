/** Writing Baton's HTML pages: only over a page Baton wrote, and whole or not at all. */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Whether a file exists at `path` and is the same file as `stats` (a hard or symbolic link). */
export function sameFile(stats: Stats, path: string): boolean {
  const other = statSync(path, { throwIfNoEntry: false })
  return other !== undefined && other.dev === stats.dev && other.ino === stats.ino
}

/** The mark of a page Baton wrote (the generator meta tag, in the first lines). */
const PAGE_MARK = '<meta name="generator" content="baton view '

export function isViewPage(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const head = Buffer.alloc(2048)
    const read = readSync(fd, head, 0, head.length, 0)
    return head.subarray(0, read).toString('utf8').includes(PAGE_MARK)
  } catch {
    // Unreadable: the write will say why, if it fails too.
    return true
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Writes beside the target and renames over it: a failed write (a full disk) leaves the old page
 * whole, and a symbolic link at the target is replaced, not written through.
 */
export function replaceFile(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    writeFileSync(temp, text, { flag: 'wx' })
    renameSync(temp, path)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
}
