/**
 * @module testing
 * The fakes Baton's own tests use, shipped so yours can use them too.
 */
import { MAX_TIMER_MS } from '../effects/clock.js'
import { BatonError } from '../errors/index.js'
import { deltasOf } from '../model/stream-call.js'
import type {
  AssistantMessage,
  FinishReason,
  GenerateOptions,
  Model,
  ModelRequest,
  ModelResponse,
  ModelStreamEvent,
  ToolCall,
} from '../model/types.js'
import { describe } from '../schema/index.js'
import { unknownKey } from '../schema/known-keys.js'

/** One scripted reply: text, tool calls, or both. */
export interface ScriptStep {
  text?: string
  toolCalls?: { name: string; args: object; id?: string }[]
  usage?: { inputTokens: number; outputTokens: number; cachedInputTokens?: number; reasoningTokens?: number }
  finishReason?: FinishReason
}

/** A scripted reply, or a function of the request that returns one. */
export type ScriptEntry = ScriptStep | ((request: ModelRequest) => ScriptStep | Promise<ScriptStep>)

export interface ScriptedModelOptions {
  /** Delay before each reply, in milliseconds (honours the abort signal). */
  latencyMs?: number
  /** The model id (for prices and transcripts). Default `scripted:model`. */
  id?: string
  /**
   * Report usage as a provider would, counting a token per 4 characters of what it is sent (the
   * messages and the tool specs) and of its answer, for steps that give no `usage` of their own.
   */
  countTokens?: boolean
  /**
   * The model's context window in tokens (its `contextWindow`): a request counted over it is
   * refused as a provider refuses one (a `MODEL_ERROR` whose `details.code` is `CONTEXT_LENGTH`),
   * without playing a step.
   */
  contextWindow?: number
}

export interface ScriptedModel extends Model {
  /** Every request received, in order. */
  readonly requests: ModelRequest[]
  /** Replies not yet played. */
  readonly remaining: number
}

/**
 * A model that plays `steps` in order and fails clearly when it runs out.
 *
 * @example
 * const model = scriptedModel([
 *   { toolCalls: [{ name: 'add', args: { a: 1, b: 2 } }] },
 *   (request) => ({ text: `The sum is ${request.messages.at(-1)?.content}` }),
 * ])
 */
const SCRIPT_OPTIONS: ReadonlySet<string> = new Set(['id', 'latencyMs', 'countTokens', 'contextWindow'])

export function scriptedModel(
  steps: readonly ScriptEntry[],
  options: ScriptedModelOptions = {},
): ScriptedModel {
  if (!Array.isArray(steps))
    throw new BatonError('INVALID_DEFINITION', 'scriptedModel: steps must be an array')
  for (let index = 0; index < steps.length; index++) {
    if (!(index in steps))
      throw new BatonError(
        'INVALID_DEFINITION',
        `scriptedModel: step ${index} is a hole in the array (an empty slot); give a step or remove it`,
      )
    const step = steps[index]
    if (typeof step !== 'function') checkStep(step, index)
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new BatonError(
      'INVALID_DEFINITION',
      `scriptedModel: options must be an object, got ${describe(options)}`,
    )
  const unknown = unknownKey(Object.keys(options), SCRIPT_OPTIONS, 'scriptedModel option', {
    latency: 'latencyMs',
  })
  if (unknown) throw new BatonError('INVALID_DEFINITION', `scriptedModel: ${unknown.key} ${unknown.problem}`)
  const { latencyMs, id } = options
  if (
    latencyMs !== undefined &&
    !(typeof latencyMs === 'number' && Number.isFinite(latencyMs) && latencyMs >= 0)
  )
    throw new BatonError(
      'INVALID_DEFINITION',
      `scriptedModel: latencyMs must be a number of milliseconds (0 or more), got ${describe(latencyMs)}`,
    )
  if (latencyMs !== undefined && latencyMs > MAX_TIMER_MS)
    throw new BatonError(
      'INVALID_DEFINITION',
      `scriptedModel: latencyMs must be at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest timer Node keeps, got ${latencyMs}`,
    )
  if (id !== undefined && (typeof id !== 'string' || id === ''))
    throw new BatonError(
      'INVALID_DEFINITION',
      `scriptedModel: id must be a non-empty string, got ${describe(id)}`,
    )
  const { contextWindow } = options
  if (contextWindow !== undefined && !(Number.isInteger(contextWindow) && contextWindow > 0))
    throw new BatonError(
      'INVALID_DEFINITION',
      `scriptedModel: contextWindow must be a positive whole number, got ${contextWindow}`,
    )
  return new Script(
    steps,
    options.id ?? 'scripted:model',
    options.latencyMs ?? 0,
    options.countTokens === true,
    contextWindow,
  )
}

/** A token per 4 characters of the request: its messages (calls included) and its tool specs. */
export function countRequestTokens(request: ModelRequest): number {
  let chars = request.tools.length ? JSON.stringify(request.tools).length : 0
  for (const message of request.messages) {
    chars += message.content.length
    if (message.role === 'assistant')
      for (const call of message.toolCalls ?? [])
        chars += call.name.length + JSON.stringify(call.args ?? null).length
  }
  return Math.ceil(chars / 4)
}

class Script implements ScriptedModel {
  readonly spec = 'baton.model.v1'
  readonly requests: ModelRequest[] = []
  private played = 0
  private calls = 0

  constructor(
    private readonly steps: readonly ScriptEntry[],
    readonly id: string,
    private readonly latencyMs: number,
    private readonly countTokens: boolean,
    readonly contextWindow: number | undefined,
  ) {}

  get remaining(): number {
    return this.steps.length - this.played
  }

  async generate(request: ModelRequest, options?: GenerateOptions): Promise<ModelResponse> {
    this.requests.push(request)
    const tokens = this.countTokens || this.contextWindow !== undefined ? countRequestTokens(request) : 0
    if (this.contextWindow !== undefined && tokens > this.contextWindow)
      throw new BatonError(
        'MODEL_ERROR',
        `scripted: this model's maximum context length is ${this.contextWindow} tokens, but the request has ${tokens}`,
        { details: { code: 'CONTEXT_LENGTH', status: 400, retryable: false } },
      )
    const index = this.played
    const entry = this.steps[index]
    if (entry === undefined) {
      throw new BatonError(
        'SCRIPT_EXHAUSTED',
        `scriptedModel: the script has ${this.steps.length} step(s) but call #${index + 1} asked for another${request.path ? ` (agent ${request.path})` : ''}`,
      )
    }
    this.played++
    if (this.latencyMs > 0) await sleep(this.latencyMs, options?.signal)
    else if (options?.signal?.aborted) throw options.signal.reason
    const step = typeof entry === 'function' ? await entry(request) : entry
    const response = toResponse(step, index, ++this.calls)
    if (this.countTokens && step.usage === undefined) {
      const { message } = response
      let out = message.content.length
      for (const call of message.toolCalls ?? [])
        out += call.name.length + JSON.stringify(call.args ?? null).length
      response.usage = { inputTokens: tokens, outputTokens: Math.ceil(out / 4) }
    }
    return response
  }

  /** Streams each reply: its text word by word, then its tool calls, then the whole response. */
  stream(request: ModelRequest, options?: GenerateOptions): AsyncIterable<ModelStreamEvent> {
    return new ScriptStream(this, request, options)
  }
}

/** One scripted reply as a stream: a plain iterator over it once it is known (no generator). */
class ScriptStream implements AsyncIterable<ModelStreamEvent>, AsyncIterator<ModelStreamEvent> {
  private events: ModelStreamEvent[] | undefined
  private next_ = 0

  constructor(
    private readonly script: Script,
    private readonly request: ModelRequest,
    private readonly options: GenerateOptions | undefined,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<ModelStreamEvent> {
    return this
  }

  async next(): Promise<IteratorResult<ModelStreamEvent>> {
    if (!this.events) {
      const response = await this.script.generate(this.request, this.options)
      this.events = deltasOf(response) as ModelStreamEvent[]
      this.events.push({ type: 'finish', response })
    }
    return this.next_ < this.events.length
      ? { value: this.events[this.next_++]!, done: false }
      : { value: undefined, done: true }
  }
}

const STEP_FIELDS = ['text', 'toolCalls', 'usage', 'finishReason']

/**
 * Checks a step (given, or returned by a step function): a misspelt field (`toolcalls`) would
 * otherwise play as an empty answer and the test would fail far from its cause.
 */
function checkStep(step: unknown, index: number): ScriptStep {
  const fail = (why: string) => new BatonError('INVALID_DEFINITION', `scriptedModel: step ${index} ${why}`)
  if (typeof step !== 'object' || step === null || Array.isArray(step))
    throw fail(`must be an object like { text } or { toolCalls }, got ${describe(step)}`)
  for (const field of Object.keys(step))
    if (!STEP_FIELDS.includes(field))
      throw fail(`has an unknown field "${field}" (known: ${STEP_FIELDS.join(', ')})`)
  const { text, toolCalls } = step as ScriptStep
  if (text !== undefined && typeof text !== 'string')
    throw fail(`text must be a string, got ${describe(text)}`)
  if (toolCalls !== undefined && !Array.isArray(toolCalls))
    throw fail(`toolCalls must be an array of { name, args }, got ${describe(toolCalls)}`)
  if (toolCalls)
    for (let i = 0; i < toolCalls.length; i++)
      if (!(i in toolCalls)) throw fail(`toolCalls[${i}] is a hole in the array (an empty slot)`)
  toolCalls?.forEach((call, i) => {
    if (typeof call !== 'object' || call === null || typeof call.name !== 'string' || call.name === '')
      throw fail(`toolCalls[${i}] must be { name, args } with a tool's name, got ${describe(call)}`)
  })
  return step as ScriptStep
}

function toResponse(given: ScriptStep, index: number, call: number): ModelResponse {
  const step = checkStep(given, index)
  const toolCalls: ToolCall[] | undefined = step.toolCalls?.map((tc, i) => ({
    id: tc.id ?? `call_${call}_${i}`,
    name: tc.name,
    args: tc.args,
  }))
  const message: AssistantMessage = { role: 'assistant', content: step.text ?? '' }
  if (toolCalls?.length) message.toolCalls = toolCalls
  return {
    message,
    usage: step.usage ?? { inputTokens: 0, outputTokens: 0 },
    finishReason: step.finishReason ?? (toolCalls?.length ? 'tool-calls' : 'stop'),
  }
}

// One abort listener per signal, not one per call: adding listeners to an AbortSignal costs
// several microseconds each, and a fake model should cost as close to nothing as it can.
const sleepers = new WeakMap<AbortSignal, Set<() => void>>()

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!signal) {
      setTimeout(resolve, ms)
      return
    }
    if (signal.aborted) return reject(signal.reason)
    let waiting = sleepers.get(signal)
    if (!waiting) {
      const set = new Set<() => void>()
      waiting = set
      sleepers.set(signal, set)
      signal.addEventListener(
        'abort',
        () => {
          for (const wake of set) wake()
          set.clear()
        },
        { once: true },
      )
    }
    const cancel = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      waiting.delete(cancel)
      resolve()
    }, ms)
    waiting.add(cancel)
  })
}
