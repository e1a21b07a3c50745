import { constants, type Dirent } from 'node:fs'
import { type FileHandle, open, readdir, unlink } from 'node:fs/promises'
import { looksBinary } from './binary.js'
import { quoted } from './shown-name.js'
import { fsError, refuseMetadata, type WorkspaceRoot } from './workspace-root.js'

// Refuse to open a symbolic link swapped in after the path was checked (0 where unsupported).
const NOFOLLOW = constants.O_NOFOLLOW ?? 0
// A FIFO swapped in after the check must not hold a thread of the pool until a writer comes:
// opened without blocking, it is then refused by what fstat says the open file is.
const NONBLOCK = constants.O_NONBLOCK ?? 0
const DIRECTORY = constants.O_DIRECTORY ?? 0

/** A file that another name, maybe outside the workspace, also reaches. */
export class HardLinkError extends Error {}

/**
 * Opens a checked real path without following a link that appeared there since the check and
 * without blocking, then makes sure what was opened is a regular file with one name inside the
 * root: a FIFO, socket or device is refused, and so is a file with several hard links, since one
 * of its other names may lie outside the workspace (a hard link cannot be told from the file it
 * links to). For writing, a file is created only when missing, and removed again if the open
 * turns out to have gone outside.
 */
export async function openFile(
  ws: WorkspaceRoot,
  path: string,
  real: string,
  mode: 'read' | 'write',
): Promise<FileHandle> {
  const flags = (mode === 'read' ? constants.O_RDONLY : constants.O_WRONLY) | NOFOLLOW | NONBLOCK
  let created = false
  let handle: FileHandle
  try {
    handle = await open(real, flags).catch(async (error: NodeJS.ErrnoException) => {
      if (mode === 'read' || error.code !== 'ENOENT') throw error
      created = true
      return open(real, flags | constants.O_CREAT | constants.O_EXCL, 0o666)
    })
  } catch (error) {
    throw openError(path, error as NodeJS.ErrnoException)
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new Error(`${quoted(path)}: is not a regular file`)
    if (stats.nlink > 1)
      throw new HardLinkError(
        `${quoted(path)}: has ${stats.nlink} hard links; files with more than one are refused, since another name may lie outside the workspace`,
      )
    await ws
      .confineOpen(path, handle, real)
      .then(async (at) => {
        // A directory swapped for a link into a repository's metadata since the check.
        if (mode === 'write' && at !== undefined) refuseMetadata(path, await ws.relativeSystem(at))
      })
      .catch(async (error: Error) => {
        // The file this call made, wherever it landed: /proc says where, else nothing is known.
        const at = created ? await ws.openedAt(handle) : undefined
        if (at) await unlink(at).catch(() => {})
        throw error
      })
    return handle
  } catch (error) {
    await handle.close()
    throw error
  }
}

/**
 * The entries of a checked directory, read from the directory actually opened (through /proc
 * where there is one), so a directory swapped for a link since the check is refused, not listed.
 */
export async function readDirectory(ws: WorkspaceRoot, path: string, real: string): Promise<Dirent[]> {
  let handle: FileHandle
  try {
    handle = await open(real, constants.O_RDONLY | DIRECTORY | NOFOLLOW | NONBLOCK)
  } catch (error) {
    throw openError(path, error as NodeJS.ErrnoException)
  }
  try {
    const at = await ws.confineOpen(path, handle, real)
    return await readdir(at === undefined ? real : `/proc/self/fd/${handle.fd}`, { withFileTypes: true })
  } finally {
    await handle.close()
  }
}

/** Whether an open file looks binary, from its first 4 KB (read at position 0: later reads still start there). */
export async function isBinary(handle: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(4096)
  const { bytesRead } = await handle.read(head, 0, head.length, 0)
  return looksBinary(head.subarray(0, bytesRead))
}

function openError(path: string, error: NodeJS.ErrnoException): Error {
  const code = error.code
  if (code === 'ELOOP') return new Error(`${quoted(path)}: became a symbolic link while being opened`)
  if (code === 'EISDIR') return new Error(`${quoted(path)}: is a directory, not a file`)
  if (code === 'ENOTDIR') return new Error(`${quoted(path)}: is not a directory`)
  // A FIFO opened for writing without a reader.
  if (code === 'ENXIO') return new Error(`${quoted(path)}: is not a regular file`)
  return fsError(path, error)
}
