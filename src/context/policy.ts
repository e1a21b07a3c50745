/**
 * @module context
 * Context that fits: an agent's history is compacted inside the loop, before a model call, when
 * the request would pass a threshold. The settings an agent is defined with, checked here.
 */
import { isModel, type Message, type Model } from '../model/types.js'

/** What an agent's own context policy is told when it is asked to compact. */
export interface ContextInfo {
  /** About how many tokens the next request would be, as the history stands. */
  tokens: number
  /** The threshold in tokens: compaction was asked for because `tokens` passed it (or the provider refused). */
  limit: number
  /** The model's context window in tokens, when known. */
  window: number | undefined
  /** `threshold`: the estimate passed the limit; `overflow`: the provider refused the request as too long. */
  reason: 'threshold' | 'overflow'
  /** The index in the history where the most recent turns (kept as they are) begin. */
  recentFrom: number
  /** The agent's path (`root`, `root/2/agent:researcher#0`) and the step about to be taken. */
  path: string
  step: number
  /** About how many tokens a request holding `messages` would be (calibrated as the estimate above). */
  estimate(messages: readonly Message[]): number
}

/**
 * An agent's own compaction: a function over the history that returns the history to send
 * (or undefined to leave it). The first two messages (the instructions and the brief) must stay
 * as they are, and a tool result must follow the assistant message that made its call.
 */
export type ContextPolicyFn = (
  history: readonly Message[],
  info: ContextInfo,
) => readonly Message[] | undefined | Promise<readonly Message[] | undefined>

/** The context policy of `defineAgent({ context })`. Every field is optional. */
export interface ContextOptions {
  /** The model's context window in tokens; by default from the shipped table (`DEFAULT_CONTEXT_WINDOWS`). */
  window?: number
  /**
   * When to compact: a share of the window (e.g. `0.75`, the default) or `{ tokens }`. Compaction
   * runs before a model call whose request would pass it.
   */
  threshold?: number | { tokens: number }
  /** The most recent turns (an assistant message and its tool results), kept as they are. Default 3. */
  keepTurns?: number
  /**
   * Tier 1: tool results older than the kept turns are replaced by a stub that names the memory
   * key where the whole result is kept (the agent is given `memory_read` to read it back).
   * Results shorter than `minChars` (default 400) stay. Default on; `false` turns it off.
   */
  stubResults?: boolean | { minChars?: number }
  /**
   * Tier 2: when stubs are not enough, the turns older than the kept ones are summarised by a
   * model call (budgeted and recorded like any other): by the agent's own model, or `model` (a
   * cheaper one). Default on; `false` turns it off.
   */
  summarize?: boolean | { model?: Model | string; maxTokens?: number; instructions?: string }
  /** Tier 3: a provider's "context length exceeded" compacts and retries once. Default true. */
  retryOnOverflow?: boolean
  /** Your own compaction, in place of tiers 1 and 2 (the threshold and tier 3 still apply). */
  policy?: ContextPolicyFn
}

/** The policy an agent runs with: its options checked and filled in. */
export interface ContextPolicy {
  readonly window: number | undefined
  readonly threshold: { readonly share: number } | { readonly tokens: number }
  readonly keepTurns: number
  readonly stub: { readonly minChars: number } | false
  readonly summarize:
    | {
        readonly model: Model | string | undefined
        readonly maxTokens: number
        readonly instructions: string
      }
    | false
  readonly retryOnOverflow: boolean
  readonly custom: ContextPolicyFn | undefined
}

export const DEFAULT_THRESHOLD = 0.75
export const DEFAULT_KEEP_TURNS = 3
export const DEFAULT_STUB_MIN_CHARS = 400
export const DEFAULT_SUMMARY_TOKENS = 1024

export const SUMMARY_INSTRUCTIONS = `You compact the history of an agent that is still working, so that it can go on without the steps you summarise.
Write a summary of those steps for the agent itself: what it was asked, what it did, what it found (names, numbers, dates, ids, memory keys, file names, exactly as they appear), what it decided and why, and what is still open.
Leave out greetings and repetition. Write plain sentences or short lists, no preamble.`

type Fail = (field: string, message: string, value?: unknown) => never

const KNOWN = ['window', 'threshold', 'keepTurns', 'stubResults', 'summarize', 'retryOnOverflow', 'policy']

/** `defineAgent`'s `context` checked: undefined when off, the filled-in policy when on. */
export function checkContext(value: unknown, fail: Fail): ContextPolicy | undefined {
  if (value === undefined || value === false) return undefined
  if (typeof value === 'function') return fill({ policy: value as ContextPolicyFn }, fail)
  if (value === true) return fill({}, fail)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('context', `must be true, a context policy function or { ${KNOWN.join(', ')} }`, value)
  for (const key of Object.keys(value))
    if (!KNOWN.includes(key)) fail(`context.${key}`, `is not a context option (known: ${KNOWN.join(', ')})`)
  return fill(value as ContextOptions, fail)
}

const whole = (n: unknown, min: number): n is number =>
  typeof n === 'number' && Number.isSafeInteger(n) && n >= min

/** A value as a message shows it: `NaN`, `Infinity` and `-0` as themselves (JSON says `null`, `0`). */
function shown(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'symbol' || value === undefined) return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return typeof value
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Refuses a nested option object with a key it does not know, naming it. */
function onlyKnown(
  value: Record<string, unknown>,
  field: string,
  known: readonly string[],
  fail: Fail,
): void {
  for (const key of Object.keys(value))
    if (!known.includes(key))
      fail(`${field}.${key}`, `is not an option of ${field} (known: ${known.join(', ')})`, value[key])
}

function fill(options: ContextOptions, fail: Fail): ContextPolicy {
  const { window, threshold, keepTurns, stubResults, summarize, retryOnOverflow, policy } = options
  if (window !== undefined && !whole(window, 1))
    fail('context.window', `must be a positive whole number of tokens, got ${shown(window)}`, window)
  let limit: ContextPolicy['threshold'] = { share: DEFAULT_THRESHOLD }
  if (typeof threshold === 'number') {
    if (!(threshold > 0 && threshold <= 1))
      fail(
        'context.threshold',
        `as a number is a share of the window, above 0 and at most 1, got ${shown(threshold)} (give { tokens } for a number of tokens)`,
        threshold,
      )
    limit = { share: threshold }
  } else if (threshold !== undefined) {
    if (!isPlainObject(threshold))
      fail(
        'context.threshold',
        `must be a share of the window or { tokens: n }, got ${shown(threshold)}`,
        threshold,
      )
    onlyKnown(threshold, 'context.threshold', ['tokens'], fail)
    const { tokens } = threshold
    if (!whole(tokens, 1))
      fail(
        'context.threshold.tokens',
        `must be a positive whole number of tokens, got ${shown(tokens)}`,
        tokens,
      )
    if (window !== undefined && (tokens as number) > window)
      fail(
        'context.threshold',
        `is ${tokens} tokens, above the window of ${window}: a request that large cannot be sent`,
        threshold,
      )
    limit = { tokens: tokens as number }
  }
  if (keepTurns !== undefined && !whole(keepTurns, 0))
    fail('context.keepTurns', `must be a whole number of 0 or more, got ${shown(keepTurns)}`, keepTurns)
  let stub: ContextPolicy['stub'] = { minChars: DEFAULT_STUB_MIN_CHARS }
  if (stubResults === false) stub = false
  else if (isPlainObject(stubResults)) {
    onlyKnown(stubResults, 'context.stubResults', ['minChars'], fail)
    const { minChars } = stubResults
    if (minChars !== undefined && !whole(minChars, 0))
      fail(
        'context.stubResults.minChars',
        `must be a whole number of 0 or more, got ${shown(minChars)}`,
        minChars,
      )
    stub = { minChars: minChars ?? DEFAULT_STUB_MIN_CHARS }
  } else if (stubResults !== undefined && stubResults !== true)
    fail('context.stubResults', `must be true, false or { minChars }, got ${shown(stubResults)}`, stubResults)
  let summary: ContextPolicy['summarize'] = {
    model: undefined,
    maxTokens: DEFAULT_SUMMARY_TOKENS,
    instructions: SUMMARY_INSTRUCTIONS,
  }
  if (summarize === false) summary = false
  else if (isPlainObject(summarize)) {
    onlyKnown(summarize, 'context.summarize', ['model', 'maxTokens', 'instructions'], fail)
    const { model, maxTokens, instructions } = summarize as Exclude<
      ContextOptions['summarize'],
      boolean | undefined
    >
    if (model !== undefined && !(typeof model === 'string' ? model.trim() : isModel(model)))
      fail('context.summarize.model', `must be a model string or a Model, got ${shown(model)}`, model)
    if (maxTokens !== undefined && !whole(maxTokens, 1))
      fail(
        'context.summarize.maxTokens',
        `must be a positive whole number, got ${shown(maxTokens)}`,
        maxTokens,
      )
    if (instructions !== undefined && (typeof instructions !== 'string' || !instructions.trim()))
      fail('context.summarize.instructions', 'must be a non-empty string')
    summary = {
      model,
      maxTokens: maxTokens ?? DEFAULT_SUMMARY_TOKENS,
      instructions: instructions ?? SUMMARY_INSTRUCTIONS,
    }
  } else if (summarize !== undefined && summarize !== true)
    fail(
      'context.summarize',
      `must be true, false or { model, maxTokens, instructions }, got ${shown(summarize)}`,
      summarize,
    )
  if (retryOnOverflow !== undefined && typeof retryOnOverflow !== 'boolean')
    fail('context.retryOnOverflow', `must be true or false, got ${shown(retryOnOverflow)}`, retryOnOverflow)
  if (policy !== undefined && typeof policy !== 'function')
    fail('context.policy', `must be a function (history, info) => history, got ${typeof policy}`)
  return Object.freeze({
    window,
    threshold: Object.freeze(limit),
    keepTurns: keepTurns ?? DEFAULT_KEEP_TURNS,
    stub: stub && Object.freeze(stub),
    summarize: summary && Object.freeze(summary),
    retryOnOverflow: retryOnOverflow ?? true,
    custom: policy && guarded(policy),
  })
}

/**
 * The agent's policy as the loop asks it: given its own copy of the history (a policy that edits
 * messages in place cannot change what was sent, or the instructions, behind the checks), its
 * answer copied out while it is still the policy's turn (a getter or proxy that throws is the
 * policy throwing), and a history that is the same as the one given counted as leaving it.
 */
function guarded(policy: ContextPolicyFn): ContextPolicyFn {
  return async (history, info) => {
    const given: unknown = await policy(copyHistory(history), info)
    if (!Array.isArray(given)) return given as undefined
    const answer = Array.from(given, copyMessage) as Message[]
    const same = answer.length === history.length && answer.every((m, i) => sameData(m, history[i], 0))
    return same ? undefined : answer
  }
}

function copyHistory(history: readonly Message[]): Message[] {
  try {
    return structuredClone(history) as Message[]
  } catch {
    // A message holding what cannot be cloned (a provider's function, say): copied field by field.
    return history.map((message) => copyMessage(message) as Message)
  }
}

/** A message with its own arrays of calls and reasoning parts (values as they are). */
function copyMessage(message: unknown): unknown {
  if (!isPlainObject(message)) return message
  const copy: Record<string, unknown> = { ...message }
  for (const field of ['toolCalls', 'reasoning'])
    if (Array.isArray(copy[field]))
      copy[field] = Array.from(copy[field] as unknown[], (part) => (isPlainObject(part) ? { ...part } : part))
  return copy
}

/** Structural equality of message data (nested no deeper than a transcript keeps it). */
function sameData(a: unknown, b: unknown, depth: number): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth > 1_000)
    return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const keys = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined)
  const other = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined)
  if (keys.length !== other.length) return false
  return keys.every(
    (key) =>
      Object.hasOwn(b, key) &&
      sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], depth + 1),
  )
}
