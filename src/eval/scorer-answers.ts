import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { BatonError } from '../errors/index.js'
import type { ScoreContext } from '../goal/index.js'
import { hashText } from '../loop/hash.js'
import { raceAbort } from '../loop/on-abort.js'
import { stableStringify } from '../loop/stable-stringify.js'
import type { Model, ModelRequest, ModelResponse } from '../model/types.js'
import { resolveModel } from '../providers/resolve.js'
import { describe } from '../schema/index.js'
import { redactor, redactValue } from '../transcript/redact.js'
import type { EvalMode } from './report.js'

/** The file of recorded scorer answers, versioned like every saved format. */
export interface ScorerAnswersFile {
  version: 1
  /** By request: `<hash of model id and request>#<n>` for the n-th identical request of the case. */
  answers: Record<string, { model: string; request: ModelRequest; response: ModelResponse }>
}

export interface ScorerAnswers {
  generate: ScoreContext['generate']
  /** Writes what was recorded (record mode); removes a stale file when nothing was. */
  save(): void
}

const RECORD_HINT = 'record it with `baton eval --mode record`'

/**
 * The model door for scorers (e.g. `judge`) in an eval: record mode calls the model and keeps
 * each answer, replay mode answers from the file and never calls a model, live mode just calls.
 */
export function scorerAnswers(mode: EvalMode, file: string, signal?: AbortSignal): ScorerAnswers {
  const recorded: ScorerAnswersFile = { version: 1, answers: {} }
  const seen = new Map<string, number>()
  let loaded: ScorerAnswersFile | undefined
  // The file holds requests as a transcript does, secrets redacted, and keys them the same way:
  // a replayed case hands the judge its redacted output and must find the answer recorded live.
  const redact = redactor()
  const keyOf = (model: Model | string, request: ModelRequest) => {
    // A model string is not resolved in replay mode: that would need the provider and its key.
    const id = typeof model === 'string' ? model : model.id
    const kept = redactValue(request, redact) as ModelRequest
    const hash = hashText(stableStringify({ model: id, request: kept }))
    const n = seen.get(hash) ?? 0
    seen.set(hash, n + 1)
    return { id, key: `${hash}#${n}`, kept }
  }
  return {
    async generate(model, request) {
      const { id, key, kept } = keyOf(model, request)
      if (mode === 'replay') {
        loaded ??= load(file)
        const answer = loaded.answers[key]
        if (!answer)
          throw new BatonError(
            'REPLAY_MISSING',
            `${file} has no recorded answer for this ${id} request (${key}): the scorer's request changed since it was recorded; ${RECORD_HINT}`,
            { details: { path: file, key } },
          )
        return answer.response
      }
      // Raced as well as passed: a model that ignores its signal cannot hold the eval past an abort.
      const response = await raceAbort(
        resolveModel(model).then((resolved) => resolved.generate(request, signal ? { signal } : {})),
        signal,
      )
      if (mode === 'record')
        recorded.answers[key] = {
          model: id,
          request: kept,
          response: redactValue(response, redact) as ModelResponse,
        }
      return response
    },
    save() {
      if (mode !== 'record') return
      if (Object.keys(recorded.answers).length === 0) {
        rmSync(file, { force: true })
        return
      }
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, `${JSON.stringify(recorded, null, 2)}\n`)
    },
  }
}

function load(file: string): ScorerAnswersFile {
  if (!existsSync(file))
    throw new BatonError('REPLAY_MISSING', `no recorded scorer answers at ${file}; ${RECORD_HINT}`, {
      details: { path: file },
    })
  let data: Partial<ScorerAnswersFile>
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new BatonError(
      'TRANSCRIPT',
      `${file}: cannot read the recorded scorer answers: ${(error as Error).message}`,
    )
  }
  if (data?.version !== 1 || typeof data.answers !== 'object' || data.answers === null)
    throw new BatonError('TRANSCRIPT', `${file}: not a scorer answers file of version 1; ${RECORD_HINT}`)
  // A hand-edited answer would reach the scorer as a response it cannot read.
  for (const [key, answer] of Object.entries(data.answers)) {
    const response = (answer as { response?: unknown } | null)?.response
    const message = (response as { message?: unknown } | null)?.message
    const problem = !isObject(response)
      ? `.response must be a model response object, got ${describe(response)}`
      : !isObject(message)
        ? `.response.message must be the assistant message object, got ${describe(message)}`
        : undefined
    if (problem)
      throw new BatonError('TRANSCRIPT', `${file}: answers["${key}"]${problem}; ${RECORD_HINT}`, {
        details: { path: file, key },
      })
  }
  return data as ScorerAnswersFile
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
