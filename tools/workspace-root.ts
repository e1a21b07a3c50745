import type { Stats } from 'node:fs'
import { type FileHandle, lstat, mkdir, readlink, realpath, rmdir, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { quoted, shownName } from './shown-name.js'

/** A path the model gave, checked to be inside the root. */
export interface Resolved {
  /** The real path (symbolic links resolved) to open. */
  real: string
  /** The path relative to the root, with `/` separators (`.` for the root): what messages show. */
  shown: string
}

/**
 * Confines the paths a model gives to one directory. Paths are resolved against the root;
 * absolute paths outside it, `..` that leads out of it and symbolic links whose target is
 * outside it are refused, and so are writes whose parent directories lead out through a link.
 * Errors name the path and the reason.
 */
export class WorkspaceRoot {
  private real: Promise<string> | undefined

  constructor(readonly root: string) {}

  /** An existing file or directory inside the root. */
  async existing(path: string): Promise<Resolved & { stats: Stats }> {
    const { root, rel } = await this.lexical(path)
    let real: string
    try {
      real = await realpath(join(root, rel))
    } catch (error) {
      throw fsError(path, error)
    }
    this.confine(path, root, real)
    const stats = await stat(real).catch((error) => {
      throw fsError(path, error)
    })
    return { real, shown: shownPath(rel), stats }
  }

  /**
   * Where to write a file: its real path, once every directory on the way (created if missing)
   * is checked to be inside the root. An existing symbolic link is followed only if it stays inside.
   */
  async writable(path: string): Promise<Resolved & { undo: () => Promise<void> }> {
    const { root, rel } = await this.lexical(path)
    if (rel === '') throw new Error(`${quoted(path)}: is the workspace root, not a file`)
    refuseMetadata(path, rel)
    const shown = shownPath(rel)
    let ancestor = join(root, rel)
    const missing: string[] = []
    let real: string
    for (;;) {
      try {
        real = await realpath(ancestor)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(path, error)
        // Something is there but cannot be resolved: a link to nothing, which could point anywhere.
        if (
          await lstat(ancestor).then(
            () => true,
            () => false,
          )
        ) {
          throw new Error(`${quoted(path)}: goes through a symbolic link whose target does not exist`)
        }
        missing.unshift(basename(ancestor))
        ancestor = dirname(ancestor)
      }
    }
    this.confine(path, root, real)
    // A link inside the workspace that leads into a repository's metadata is refused as well.
    refuseMetadata(path, join(relative(root, real), ...missing))
    const stats = await stat(real).catch((error) => {
      throw fsError(path, error)
    })
    if (missing.length === 0) {
      if (stats.isDirectory()) throw new Error(`${quoted(path)}: is a directory, not a file`)
      if (!stats.isFile()) throw new Error(`${quoted(path)}: is not a regular file`)
      return { real, shown, undo: async () => {} }
    }
    if (!stats.isDirectory())
      throw new Error(`${quoted(path)}: ${shownPath(relative(root, real))} is a file, not a directory`)
    // One by one, so that a write that fails can remove the directories it made (and only those).
    const created: string[] = []
    const undo = async () => {
      for (const dir of created.reverse()) await rmdir(dir).catch(() => {})
    }
    let dir = real
    for (const name of missing.slice(0, -1)) {
      dir = join(dir, name)
      try {
        await mkdir(dir)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
        await undo()
        throw fsError(path, error)
      }
      created.push(dir)
    }
    return { real: join(dir, missing.at(-1) ?? ''), shown, undo }
  }

  /**
   * Checks that an open file or directory is inside the root: a directory on the checked path
   * swapped for a link to the outside, after the check and before the open, took the open there.
   * Returns where the handle really is when the system says (Linux's /proc), else `undefined`.
   */
  async confineOpen(path: string, handle: FileHandle, real: string): Promise<string | undefined> {
    const root = await this.realRoot()
    const changed = () =>
      new Error(`${quoted(path)}: the path changed while it was opened and now leads outside the workspace`)
    const at = await this.openedAt(handle)
    if (at !== undefined) {
      if (leavesRoot(relative(root, at))) throw changed()
      return at
    }
    // Elsewhere: the path, resolved again, must still be inside and name the very file opened.
    const again = await realpath(real).catch(() => undefined)
    if (again === undefined || leavesRoot(relative(root, again))) throw changed()
    const [now, opened] = await Promise.all([stat(again).catch(() => undefined), handle.stat()])
    if (now?.ino !== opened.ino || now.dev !== opened.dev) throw changed()
    return undefined
  }

  /** Where an open handle is, from Linux's /proc (`undefined` elsewhere). */
  async openedAt(handle: FileHandle): Promise<string | undefined> {
    if (process.platform !== 'linux') return undefined
    const at = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined)
    return at?.startsWith('/') ? at.replace(/ \(deleted\)$/, '') : undefined
  }

  /** The root-relative, `/`-separated form of a real path inside the root, as a model reads it. */
  async shown(real: string): Promise<string> {
    return shownName(await this.relative(real))
  }

  /** The root-relative form of a real path inside the root, in the system's separators. */
  async relativeSystem(real: string): Promise<string> {
    return relative(await this.realRoot(), real)
  }

  /** The root-relative, `/`-separated form of a real path inside the root (what globs match). */
  async relative(real: string): Promise<string> {
    return relativePath(relative(await this.realRoot(), real))
  }

  private async lexical(path: string): Promise<{ root: string; rel: string }> {
    if (typeof path !== 'string' || path.includes('\0')) {
      throw new Error(`${quoted(path)}: not a usable path`)
    }
    const root = await this.realRoot()
    const given = resolve(this.root)
    if (isAbsolute(path)) {
      // Either spelling of the root is fine: as configured, or with its links resolved.
      const absolute = resolve(path)
      for (const base of [given, root]) {
        const rel = relative(base, absolute)
        if (!leavesRoot(rel)) return { root, rel }
      }
      throw new Error(
        `${quoted(path)}: an absolute path outside the workspace; use a path relative to the workspace root`,
      )
    }
    const rel = relative(given, resolve(given, path))
    if (leavesRoot(rel)) throw new Error(`${quoted(path)}: ".." leads outside the workspace`)
    return { root, rel }
  }

  private confine(path: string, root: string, real: string): void {
    if (leavesRoot(relative(root, real))) {
      throw new Error(`${quoted(path)}: a symbolic link on this path leads outside the workspace`)
    }
  }

  private realRoot(): Promise<string> {
    this.real ??= realpath(this.root).catch((error: NodeJS.ErrnoException) => {
      this.real = undefined
      throw new Error(`the workspace root ${this.root} cannot be used (${error.code ?? error.message})`)
    })
    return this.real
  }
}

// The metadata directories of version control systems. A file written there runs as code or
// rewrites history the next time someone uses the repository (`.git/hooks/pre-commit`,
// `.git/config`'s `core.fsmonitor`, a `.git` file that points git elsewhere), so no model writes
// there, whatever the case of the name (case-insensitive file systems).
const METADATA = /^\.(?:git|hg|svn|bzr|jj)$/i

/**
 * Refuses a write to a path (relative to the root, in the system's separators) that is or goes
 * through a version control metadata directory.
 */
export function refuseMetadata(path: string, rel: string): void {
  const part = rel.split(sep).find((name) => METADATA.test(name.replace(/[. ]+$/, '') || name))
  if (part !== undefined)
    throw new Error(
      `${quoted(path)}: is inside "${part}", a version control directory; the workspace tools do not write there`,
    )
}

function leavesRoot(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)
}

function relativePath(rel: string): string {
  return rel === '' ? '.' : rel.split(sep).join('/')
}

function shownPath(rel: string): string {
  return shownName(relativePath(rel))
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the path is too long',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files; try again',
  ENFILE: 'too many open files; try again',
  EBUSY: 'the file is busy',
  EFBIG: 'the file would be too large',
  EIO: 'an input/output error',
}

/**
 * A file system error as the model reads it: the path it gave and the reason. Never Node's
 * message, which names the host's absolute path.
 */
export function fsError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code
  if (typeof code !== 'string') return error instanceof Error ? error : new Error(String(error))
  return new Error(`${quoted(path)}: ${REASONS[code] ?? `cannot be used (${code})`}`)
}

/** Whether an error is one the file system raised (it has a code and names a system call). */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string'
}
