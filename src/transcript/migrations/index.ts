/**
 * Transcript migrations, one file each, keyed by the version they read. A transcript of
 * version N is passed through migrations[N], migrations[N + 1], ... up to the current version.
 * Version 1 is the first schema: there is nothing to migrate yet.
 */
export interface Migration {
  /** Rewrites a header and its events from version `from` to `from + 1`. */
  migrate(header: Record<string, unknown>, events: Record<string, unknown>[]): void
}

export const migrations: Record<number, Migration> = {}
