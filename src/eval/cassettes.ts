import { join } from 'node:path'

/** Where cassettes live unless told otherwise (relative to the working directory). */
export const DEFAULT_CASSETTE_DIR = 'evals/cassettes'

/** A case's recorded run: `<dir>/<eval>/<case>.jsonl`, and `<case>.<k>.jsonl` for trial k ≥ 2. */
export function cassettePath(dir: string, evalName: string, caseName: string, trial = 1): string {
  return join(dir, evalName, `${caseName}${trial > 1 ? `.${trial}` : ''}.jsonl`)
}

/** A case's recorded scorer model calls (judges), beside its cassette: `<case>[.<k>].scores.json`. */
export function scoresPath(dir: string, evalName: string, caseName: string, trial = 1): string {
  return join(dir, evalName, `${caseName}${trial > 1 ? `.${trial}` : ''}.scores.json`)
}
