import { BatonError } from '../errors/index.js'
import { chainOf, checkModelString } from '../model/model-string.js'
import { isModel, type Model } from '../model/types.js'
import { resolveModel } from '../providers/resolve.js'
import { describe } from '../schema/index.js'

/** A model a chain or a router may call: a `Model`, or a model string resolved on first use. */
export type ModelChoice = Model | string

/** Checks a model choice where it is defined; returns what is wrong, or undefined. */
export function choiceProblem(choice: unknown): string | undefined {
  if (typeof choice === 'string') return checkModelString(choice)
  if (isModel(choice)) return undefined
  return `expected a model string (e.g. "openai:gpt-4o") or a Model (spec "baton.model.v1"), got ${describe(choice)}`
}

/** The id of a model choice, without resolving it. */
export const idOf = (choice: ModelChoice): string => (typeof choice === 'string' ? choice : choice.id)

/** A model choice resolved once: the provider (and its SDK) loads on the first call only. */
export class Member {
  readonly id: string
  /** The models it may answer with: its own candidates (a chain in a chain), or itself. */
  readonly candidates: readonly string[]
  private resolved: Promise<Model> | undefined

  constructor(private readonly choice: ModelChoice) {
    this.id = idOf(choice)
    this.candidates =
      typeof choice === 'string' ? (chainOf(choice) ?? [choice]) : (choice.candidates ?? [choice.id])
  }

  model(): Promise<Model> {
    this.resolved ??= resolveModel(this.choice).catch((error: unknown) => {
      this.resolved = undefined
      throw error
    })
    return this.resolved
  }
}

/** A definition-time error of `fallback()` or `route()`. */
export function definitionError(where: string, message: string, field: string): BatonError {
  return new BatonError('INVALID_DEFINITION', `${where}: ${message}`, { details: { field } })
}
