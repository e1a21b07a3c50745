import { closeSync, openSync, renameSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { BatonError } from '../errors/index.js'
import type { RunResult } from '../run/types.js'
import type { ReplayEffects } from './replay-effects.js'

/** Where a resume writes, and what it does with that file once the run is over. */
export interface ResumeFile {
  /** The path the resumed run records to (undefined: it records nowhere). */
  record: string | undefined
  /** Puts the resumed transcript in place of the recording, or drops it; adjusts `result.transcript`. */
  settle(result: RunResult, effects: ReplayEffects): void
  /** Drops the resumed transcript (the run never started, or failed outright). */
  abandon(): void
}

/**
 * The file a resume writes. By default (or when `record` names the recording itself) the resume
 * writes `<path>.resuming` and replaces the recording with it only when the new transcript holds
 * everything the old one did: a resume that stops inside the recorded prefix (a divergence, a
 * smaller budget, an abort) would otherwise throw away answers already paid for. The temporary
 * file is created exclusively, so a second resume of the same transcript is refused instead of
 * writing over the first one's lines.
 */
export function resumeFile(path: string, record: string | undefined, onDisk: boolean): ResumeFile {
  const replaces = onDisk && (record === undefined || resolve(record) === resolve(path))
  if (!replaces) return { record, settle: () => {}, abandon: () => {} }
  const temporary = `${path}.resuming`
  claim(path, temporary)
  const drop = () => rmSync(temporary, { force: true })
  return {
    record: temporary,
    abandon: drop,
    settle(result, effects) {
      // A run whose transcript could not be written has none to put in place.
      const written = result.transcript === temporary
      const addedNothing = effects.live.model + effects.live.tool === 0
      const failed = result.stopReason === 'REPLAY_DIVERGENCE' || result.stopReason === 'REPLAY_MISSING'
      if (!written || failed || (addedNothing && effects.unreached().length > 0)) {
        drop()
        delete result.transcript
        return
      }
      try {
        renameSync(temporary, path)
        result.transcript = path
      } catch {
        // The recording stays as it was; the resumed transcript stays beside it, named in the result.
      }
    },
  }
}

function claim(path: string, temporary: string): void {
  try {
    closeSync(openSync(temporary, 'wx'))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const message =
      code === 'EEXIST'
        ? `${path}: another resume of this transcript is under way (${temporary} exists). If none is, a resume of it crashed: resume ${temporary} instead (it holds what that resume did), or delete it`
        : `${path}: cannot write the resumed transcript beside it (${temporary}): ${(error as Error).message}`
    throw new BatonError('TRANSCRIPT', message, { details: { path }, cause: error })
  }
}
