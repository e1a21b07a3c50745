import { lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { readDirectory } from './workspace-open.js'
import type { WorkspaceRoot } from './workspace-root.js'

/** One entry under a directory, as `list_files` and `search_files` see it. */
export interface Entry {
  /** Its real path (only the directory walked was resolved: the entry itself is not followed). */
  real: string
  kind: 'directory' | 'file' | 'symlink' | 'other'
  size: number
  /** A directory that a recursive walk does not go into. */
  skipped?: boolean
  /** A directory that a recursive walk could not read (it changed, or is not readable). */
  unreadable?: boolean
}

/** Directories a recursive walk lists but does not go into: large, and rarely what is asked. */
const NOT_DESCENDED = new Set(['.git', 'node_modules'])

/**
 * The entries under a directory, sorted by name, depth first when `recursive`. Symbolic links
 * are reported, never followed (a link's target is checked when it is opened by path), and each
 * directory is read from what was opened, checked to be inside the root. `path` is what the model
 * asked for, named when the directory itself cannot be read.
 */
export async function* walk(
  ws: WorkspaceRoot,
  path: string,
  dir: string,
  recursive: boolean,
  signal: AbortSignal,
): AsyncGenerator<Entry> {
  yield* entries(ws, dir, await readDirectory(ws, path, dir), recursive, signal)
}

async function* entries(
  ws: WorkspaceRoot,
  dir: string,
  dirents: Awaited<ReturnType<typeof readDirectory>>,
  recursive: boolean,
  signal: AbortSignal,
): AsyncGenerator<Entry> {
  signal.throwIfAborted()
  for (const dirent of dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const real = join(dir, dirent.name)
    const kind = dirent.isDirectory()
      ? 'directory'
      : dirent.isFile()
        ? 'file'
        : dirent.isSymbolicLink()
          ? 'symlink'
          : 'other'
    if (kind !== 'directory' || !recursive) {
      const stats = await lstat(real).catch(() => undefined)
      if (!stats) continue
      yield { real, kind, size: stats.size }
      continue
    }
    if (NOT_DESCENDED.has(dirent.name)) {
      yield { real, kind, size: 0, skipped: true }
      continue
    }
    // A subdirectory that cannot be read (swapped for a link, removed, not readable) is shown as such.
    const inner = await readDirectory(ws, real, real).catch(() => undefined)
    yield { real, kind, size: 0, ...(inner ? {} : { unreadable: true }) }
    if (inner) yield* entries(ws, real, inner, true, signal)
  }
}
