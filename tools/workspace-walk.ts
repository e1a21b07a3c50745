import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** One entry under a directory, as `list_files` and `search_files` see it. */
export interface Entry {
  /** Its real path (only the directory walked was resolved: the entry itself is not followed). */
  real: string
  kind: 'directory' | 'file' | 'symlink' | 'other'
  size: number
  /** A directory that a recursive walk does not go into. */
  skipped?: boolean
}

/** Directories a recursive walk lists but does not go into: large, and rarely what is asked. */
const NOT_DESCENDED = new Set(['.git', 'node_modules'])

/**
 * The entries under a directory, sorted by name, depth first when `recursive`. Symbolic links
 * are reported, never followed (a link's target is checked when it is opened by path).
 */
export async function* walk(dir: string, recursive: boolean, signal: AbortSignal): AsyncGenerator<Entry> {
  signal.throwIfAborted()
  const names = (await readdir(dir)).sort()
  for (const name of names) {
    const real = join(dir, name)
    const stats = await lstat(real).catch(() => undefined)
    if (!stats) continue
    const kind = stats.isDirectory()
      ? 'directory'
      : stats.isFile()
        ? 'file'
        : stats.isSymbolicLink()
          ? 'symlink'
          : 'other'
    const skipped = recursive && kind === 'directory' && NOT_DESCENDED.has(name)
    yield { real, kind, size: stats.size, ...(skipped ? { skipped } : {}) }
    if (recursive && kind === 'directory' && !skipped) yield* walk(real, true, signal)
  }
}
