import type { BatonEvent } from '../events/index.js'
import type { Model, ModelRequest, ModelResponse } from '../model/types.js'
import { withFields } from '../objects.js'
import { redactor } from '../transcript/redact.js'
import type { Frame } from './frame.js'
import { transcriptHash } from './hash.js'
import { meteredCall } from './metered-call.js'
import { type AgentOutcome, budgetOutcome } from './outcome.js'

/**
 * A model call an agent makes beside its own steps (a scorer's judge, a compaction's summary):
 * budgeted on the agent's budget, raced against its stop, and recorded like any other, with a
 * request hash over the whole request (it has no history to chain on).
 */
export async function sideCall(
  frame: Frame,
  model: Model,
  request: ModelRequest,
  key: string,
  step: number,
): Promise<ModelResponse | { outcome: AgentOutcome }> {
  const { run } = frame
  const chars = request.messages.reduce((sum, m) => sum + m.content.length, 0)
  const metered = await meteredCall(frame, {
    key,
    step,
    model,
    price: frame.priceOf(model.id),
    inputTokens: Math.ceil(chars / 4),
    maxTokens: request.maxTokens,
    effect: (maxTokens) => {
      const sent = maxTokens === undefined ? request : withFields(request, { maxTokens })
      // Over the request as recorded (redacted), like every request hash.
      const hash = transcriptHash('', sent, redactor(), 1)
      if (run.observed) {
        const event: BatonEvent = {
          type: 'model.request',
          path: key,
          model: model.id,
          messages: sent.messages,
          hash,
          specHash: '',
        }
        if (maxTokens !== undefined) event.maxTokens = maxTokens
        run.emit(event)
      }
      return {
        key,
        model,
        request: sent,
        options: frame.callOptions(key),
        fresh: sent.messages,
        hash,
        specHash: '',
      }
    },
  })
  return metered.ok ? metered.response : { outcome: budgetOutcome(metered.refusal) }
}
