/**
 * `--model` as the CLI takes it: a `<provider>:<model>` string, checked before anything loads, or
 * for a strict replay a recording's `scripted:<id>` model, which no replay ever calls.
 */
import { BatonError } from '../errors/index.js'
import type { Model } from '../model/index.js'
import { checkModelString } from '../model/model-string.js'
import { UsageError } from './args.js'

/**
 * Checks `--model`. `strictReplay`: no step goes live, so a `scripted:<id>` model (what the shipped
 * recordings were made with) names the recording's model instead of one to call.
 */
export function modelFlag(value: string, strictReplay: boolean): Model | string {
  if (value.startsWith('scripted:') && value.length > 'scripted:'.length) {
    if (strictReplay) return standIn(value)
    throw new UsageError(
      `--model ${value} is a recording's scripted model, which cannot answer a live step (only a replay without --lenient takes it); pass a model you can call (openai:…, anthropic:…, compatible:…)`,
    )
  }
  const problem = checkModelString(value)
  if (problem) throw new UsageError(`--model: ${problem}`)
  return value
}

/** Stands in for the model a recording was made with; a faithful replay never calls it. */
export function standIn(id: string): Model {
  return {
    spec: 'baton.model.v1',
    id,
    generate: () =>
      Promise.reject(
        new BatonError('MODEL_ERROR', `${id} is the recording's model: an offline replay cannot call it`),
      ),
  }
}
