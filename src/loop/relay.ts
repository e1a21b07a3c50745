/**
 * What a tool's own server asks of the run during a call (an MCP server's elicitation and
 * sampling requests), relayed under the call's step key. An elicitation is answered as an
 * approval is: by the run's `elicit` function, or not now (the call waits, the run pauses, a
 * resume answers). A sampling request is a model call beside the agent's steps, on its budget.
 * Both are recorded; a replay asks them again in order and the recording answers them.
 */
import type { RecordedToolRequest } from '../effects/index.js'
import { BatonError, type ErrorCode } from '../errors/index.js'
import { type BatonEvent, type ElicitationAnswer, elicitationOf } from '../events/index.js'
import type { Message, Model, ModelResponse } from '../model/types.js'
import { describe, formatIssues, toSchema } from '../schema/index.js'
import { AwaitingInput, type ToolRelay } from '../tool/index.js'
import { stoppedError } from './agent-memory.js'
import type { Frame } from './frame.js'
import { sideCall } from './side-call.js'

/** The relay of one tool call: `key` is its step key, `step` its agent's step. */
export class CallRelay implements ToolRelay {
  private elicits = 0
  private samples = 0

  constructor(
    private readonly frame: Frame,
    private readonly key: string,
    private readonly callId: string,
    private readonly tool: string,
    private readonly step: number,
  ) {}

  async elicit(asked: {
    server: string
    message: string
    schema: Record<string, unknown>
  }): Promise<ElicitationAnswer> {
    const { frame, callId, tool } = this
    const { run } = frame
    const { server, message, schema } = asked
    if (frame.stopped) throw stoppedError(frame, `the elicitation of MCP server "${server}"`)
    const key = `${this.key}/elicit/${this.elicits++}`
    const event = { path: key, callId, name: tool, server, message, schema }
    run.emit({ type: 'elicitation.request', ...event })
    const request = elicitationOf(event)
    const elicit = run.elicit
    // A decision of the run: a replay (and a resume's recorded prefix) answers as recorded.
    const answer = await frame.race(
      run.effects.decision('elicitation', key, async (): Promise<ElicitationAnswer | undefined> => {
        const given = elicit ? await elicit(request) : undefined
        return given === undefined || given === null ? undefined : settle(given, schema)
      }),
    )
    if (answer === undefined) throw new AwaitingInput(request)
    const problem = answer.action === 'accept' ? await misfit(answer.content, schema) : undefined
    const answered: BatonEvent = {
      type: 'elicitation.answer',
      path: key,
      callId,
      name: tool,
      action: answer.action,
    }
    if (answer.action === 'accept') answered.content = answer.content
    if (problem) answered.error = { code: 'MCP_ELICITATION', message: problem }
    run.emit(answered)
    if (problem) throw new BatonError('MCP_ELICITATION', problem, { details: { path: key } })
    return answer
  }

  async sample(asked: {
    server: string
    model: Model
    messages: Message[]
    maxTokens: number
  }): Promise<ModelResponse> {
    const { frame, callId, tool } = this
    const { server, model, messages, maxTokens } = asked
    if (frame.stopped) throw stoppedError(frame, `the sampling request of MCP server "${server}"`)
    const key = `${this.key}/sample/${this.samples++}`
    frame.run.emit({
      type: 'sampling.request',
      path: key,
      callId,
      name: tool,
      server,
      model: model.id,
      messages,
      maxTokens,
    })
    const answer = await sideCall(frame, model, { messages, tools: [], maxTokens }, `${key}/model`, this.step)
    if ('outcome' in answer) {
      const error = answer.outcome.error
      throw new BatonError((error?.code ?? 'BUDGET_EXCEEDED') as ErrorCode, error?.message ?? 'refused', {
        details: error?.details ?? {},
      })
    }
    return answer
  }

  async again(asked: readonly RecordedToolRequest[]): Promise<void> {
    for (const request of asked) {
      try {
        if (request.type === 'elicitation.request') await this.elicit(request)
        else
          await this.sample({
            server: request.server,
            model: recordedModel(request.model),
            messages: request.messages,
            maxTokens: request.maxTokens,
          })
      } catch (error) {
        // What failed then fails again (a refused budget, a misfit answer), as it did: the
        // server's answer to it is in the recorded result. Only a stop ends the call.
        if (this.frame.stopped) throw error
      }
    }
  }
}

/** The answer an `elicit` function gave, checked, with the form's defaults put in accepted content. */
function settle(given: unknown, schema: Record<string, unknown>): ElicitationAnswer {
  const action = (given as { action?: unknown }).action
  if (action === 'decline' || action === 'cancel') return { action }
  const content = (given as { content?: unknown }).content ?? {}
  if (action === 'accept' && typeof content === 'object' && content !== null && !Array.isArray(content))
    return { action, content: withDefaults(content as Record<string, unknown>, schema) }
  throw new BatonError(
    'MCP_ELICITATION',
    `elicit must answer { action: 'accept', content }, { action: 'decline' }, { action: 'cancel' } or undefined, got ${describe(given)}`,
  )
}

/** The content with each field it leaves out set to the field's `default`, when it has one (SEP-1034). */
export function withDefaults(
  content: Record<string, unknown>,
  schema: Record<string, unknown>,
): Record<string, unknown> {
  const properties = schema.properties
  if (typeof properties !== 'object' || properties === null) return { ...content }
  const filled = { ...content }
  for (const [name, field] of Object.entries(properties as Record<string, unknown>)) {
    if (filled[name] !== undefined || typeof field !== 'object' || field === null) continue
    if ('default' in field) filled[name] = (field as { default: unknown }).default
  }
  return filled
}

/** Why accepted content does not fit the form's schema, or undefined when it does. */
async function misfit(
  content: Record<string, unknown>,
  schema: Record<string, unknown>,
): Promise<string | undefined> {
  let checked: Awaited<ReturnType<ReturnType<typeof toSchema>['validate']>>
  try {
    checked = await toSchema(schema, 'the elicitation form').validate(content)
  } catch (error) {
    return `the form's schema cannot be checked: ${(error as Error).message}`
  }
  return checked.success ? undefined : `the answer does not fit the form:\n${formatIssues(checked.issues)}`
}

/**
 * The model of a recorded sampling request: a replay answers its call from the recording and
 * never calls it (a call that goes live, where the recording ends, fails with this error).
 */
function recordedModel(id: string): Model {
  return {
    spec: 'baton.model.v1',
    id,
    generate: () =>
      Promise.reject(
        new BatonError(
          'REPLAY_MISSING',
          `the model ${id} that answered an MCP server's sampling request cannot be called from a recorded tool call`,
        ),
      ),
  }
}
